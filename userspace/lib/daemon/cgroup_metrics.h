// Per-container resource usage (CPU time, memory, pids) read from each
// container's cgroup at scrape time, on cgroup v2 and on v1/hybrid hosts.
#pragma once

#include "cgroup/layout.h"
#include "daemon/kernel_sync.h"
#include "metrics/registry.h"

namespace capsa::daemon {

// Registers a collector reading the containers of sync's last pass; a deleted
// container (state or cgroup gone) has no series. The usage files stay open
// from one scrape to the next, and are closed once their container is gone.
void register_cgroup_metrics(metrics::Registry& registry, cgroup::Layout layout, KernelSync& sync);

}  // namespace capsa::daemon
