#include "container/clone_into_cgroup.h"

#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace capsa::container {

long clone_child(unsigned long flags, int cgroup_fd, bool* into_cgroup) noexcept {
  *into_cgroup = false;
#if defined(SYS_clone3) && defined(CLONE_INTO_CGROUP)
  if (cgroup_fd >= 0) {
    struct clone_args args {};
    args.flags = flags | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0) {
      *into_cgroup = pid > 0;
      return pid;
    }
    // Any refusal falls through: the plain clone reports a namespace error
    // in the words it always has.
  }
#else
  (void)cgroup_fd;
#endif
  return ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
}

}  // namespace capsa::container
