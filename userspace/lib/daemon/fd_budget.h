// How many descriptors capsad may keep open for reuse (cgroup files, pidfds):
// a cache of them must never starve sockets and BPF objects.
#pragma once

#include <sys/resource.h>

namespace capsa::daemon {

// Whether a descriptor just opened may be kept: only while it is numbered
// below 3/4 of RLIMIT_NOFILE (the kernel hands out the lowest free number).
inline bool may_keep_fd(int fd) {
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  return lim.rlim_cur == RLIM_INFINITY || static_cast<rlim_t>(fd) < lim.rlim_cur / 4 * 3;
}

}  // namespace capsa::daemon
