// The metric families of policy enforcement: verdicts per container and
// rule (counted in the kernel), events sent/lost, reloads, and which tier
// enforces each rule kind.
#pragma once

#include "bpf/policy_loader.h"
#include "daemon/kernel_sync.h"
#include "daemon/policy_enforcer.h"
#include "metrics/registry.h"

namespace capsa::daemon {

void register_policy_metrics(metrics::Registry& registry, bpf::PolicyProgs& progs, PolicyEnforcer& enforcer,
                             KernelSync& sync);

}  // namespace capsa::daemon
