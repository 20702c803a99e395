#include "container/ns_stage.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "container/namespace_join.h"
#include "container/sync_channel.h"

namespace capsa::container {

void run_ns_stage(const InitPlan& plan) noexcept {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // Namespaces we join may hold processes of the container's users: none of
  // them may ptrace us or open our /proc entries while we hold runtime fds.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  long init = -1;
  try {
    try {
      join_namespaces(plan.join_ns);
    } catch (const Error& e) {
      throw Error(std::string("linux.namespaces: ") + e.what(), e.sys_errno());
    }
    if (plan.new_user_ns) {
      if (::unshare(CLONE_NEWUSER) != 0) throw_sys("linux.namespaces: unshare the user namespace");
      if (!sync_send(plan.sync_fd, kSyncIdMaps)) ::_exit(1);
      // The runtime reports its own failure to write them.
      auto reply = sync_recv(plan.sync_fd);
      if (!reply || *reply != kSyncIdMapsDone) ::_exit(1);
    }
    if (plan.unshare_flags != 0 && ::unshare(plan.unshare_flags) != 0)
      throw_sys("linux.namespaces: unshare the new namespaces");
    init = ::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (init < 0) throw_sys("clone the container init");
  } catch (const std::exception& e) {
    sync_send(plan.sync_fd, std::string(kSyncErrorPrefix) + e.what());
    ::_exit(1);
  }
  if (init == 0) run_init(plan);
  // Our pid namespace is the runtime's (setns and unshare move only
  // children), so this pid means the same to it.
  if (!sync_send(plan.sync_fd, std::string(kSyncInitPid) + " " + std::to_string(init))) ::kill(static_cast<pid_t>(init), SIGKILL);
  ::_exit(0);
}

}  // namespace capsa::container
