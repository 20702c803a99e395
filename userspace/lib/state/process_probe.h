// Liveness of a pid as seen in /proc, robust to pid reuse.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace capsa::state {

struct ProcStat {
  char state = '?';         // field 3: R, S, D, Z, X, ...
  uint64_t start_time = 0;  // field 22, clock ticks since boot
};

// nullopt when the process does not exist.
std::optional<ProcStat> read_proc_stat(pid_t pid);

// True when pid exists, is not a zombie, and started at start_time.
bool process_alive(pid_t pid, uint64_t start_time);

}  // namespace capsa::state
