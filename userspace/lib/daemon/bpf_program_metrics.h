// capsad's own BPF programs and ring buffers as the kernel accounts them:
// runs and run time per program (kernel BPF run-time stats are enabled for
// as long as the registry's collector lives), and how full each ring is.
#pragma once

#include <string>

#include "metrics/registry.h"

namespace capsa::daemon {

// Programs are those attached through the links pinned under
// <pin_root>/links, rings the ring-buffer maps pinned under <pin_root>/maps:
// exactly what runs in the kernel on capsad's behalf, whichever capsad
// loaded it.
void register_bpf_program_metrics(metrics::Registry& registry, const std::string& pin_root);

}  // namespace capsa::daemon
