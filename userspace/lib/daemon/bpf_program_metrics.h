// capsad's own BPF programs and ring buffers as the kernel accounts them:
// runs and run time per program, when asked for (capsad --bpf-stats), and
// how full each ring is.
#pragma once

#include <string>

#include "metrics/registry.h"

namespace capsa::daemon {

// Programs are those attached through the links pinned under
// <pin_root>/links, rings the ring-buffer maps pinned under <pin_root>/maps:
// exactly what runs in the kernel on capsad's behalf, whichever capsad
// loaded it.
//
// run_time_stats: enable the kernel's BPF run-time stats for as long as the
// collector lives, and export runs and run time per program. Off, neither is
// exported: the kernel then counts nothing, and counting costs every run of
// every BPF program on the host two clock reads (~60 ns measured here, on
// the order of the programs' own work).
void register_bpf_program_metrics(metrics::Registry& registry, const std::string& pin_root, bool run_time_stats);

}  // namespace capsa::daemon
