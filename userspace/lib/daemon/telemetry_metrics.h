// The metric families capsad exports from the kernel-side telemetry, built
// at scrape time from the BPF maps and the container catalog.
#pragma once

#include "bpf/telemetry_loader.h"
#include "daemon/kernel_sync.h"
#include "metrics/registry.h"

namespace capsa::daemon {

// Registers a collector on `registry` that syncs and reports the counters
// that pass read.
void register_telemetry_metrics(metrics::Registry& registry, bpf::Telemetry& telemetry, KernelSync& sync);

// capsa_build_info{version,commit} 1
void register_build_info(metrics::Registry& registry);

}  // namespace capsa::daemon
