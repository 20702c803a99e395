#include "container/init_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/error.h"
#include "common/unique_fd.h"
#include "container/path_resolve.h"
#include "container/process_setup.h"
#include "container/sync_channel.h"

namespace capsa::container {

namespace {

void reset_signals() {
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
}

// Nothing of the runtime may reach the container: not its lock files (a held
// flock would block `start`), log files or sockets.
void close_other_fds(std::vector<int> keep) {
  keep.push_back(0);
  keep.push_back(1);
  keep.push_back(2);
  std::sort(keep.begin(), keep.end());
  unsigned int from = 0;
  for (int fd : keep) {
    if (fd < 0) continue;
    if (static_cast<unsigned>(fd) > from) ::syscall(SYS_close_range, from, fd - 1, 0);
    from = static_cast<unsigned>(fd) + 1;
  }
  ::syscall(SYS_close_range, from, ~0U, 0);
}

// A pty from the container's own devpts instance, as the process's
// controlling terminal and stdio; the master goes to the runtime.
void setup_terminal(const InitPlan& plan, const spec::Process& proc) {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) throw_sys("process.terminal: open /dev/ptmx (needs a devpts mount with newinstance)");
  if (::unlockpt(master.get()) != 0) throw_sys("process.terminal: unlockpt");
  char name[64];
  if (::ptsname_r(master.get(), name, sizeof name) != 0) throw_sys("process.terminal: ptsname");
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) throw_sys(std::string("process.terminal: open ") + name);
  if (::fchown(slave.get(), proc.user.uid, proc.user.gid) != 0) throw_sys(std::string("process.terminal: chown ") + name);
  // /dev/console is the same terminal, as with runc.
  UniqueFd console(::open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (console && ::mount(name, "/dev/console", nullptr, MS_BIND, nullptr) != 0)
    throw_sys("process.terminal: bind the pty over /dev/console");
  if (::setsid() < 0) throw_sys("process.terminal: setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) throw_sys("process.terminal: make the pty the controlling terminal");
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(slave.get(), fd) < 0) throw_sys("process.terminal: dup2");
  if (!send_with_fd(plan.sync_fd, std::string(kSyncPty) + ":" + name, master.get()))
    throw Error("process.terminal: the runtime went away");
}

void setup(const InitPlan& plan) {
  const spec::Spec& spec = *plan.spec;
  const spec::Process& proc = *spec.process;
  for (auto [fd, type] : plan.join_ns) {
    if (::setns(fd, type) != 0) throw_sys("linux.namespaces: setns");
    ::close(fd);
  }
  if (plan.new_cgroup_ns && ::unshare(CLONE_NEWCGROUP) != 0) throw_sys("unshare the cgroup namespace");
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
    throw_sys("hostname: sethostname");
  if (!spec.domainname.empty() && ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0)
    throw_sys("domainname: setdomainname");

  prepare_rootfs(spec, plan.rootfs);
  apply_sysctls(spec);  // before finish_rootfs makes /proc/sys read-only
  finish_rootfs(spec);
  if (plan.new_net_ns) bring_up_loopback();
  if (proc.terminal) setup_terminal(plan, proc);

  apply_rlimits(proc);
  apply_oom_score_adj(proc);
  apply_identity(proc);
  if (::chdir(proc.cwd.c_str()) != 0) throw_sys("process.cwd: chdir " + proc.cwd);
}

}  // namespace

void run_init(const InitPlan& plan) noexcept {
  // The runtime dying before we are ready must not leave a half-built init.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  reset_signals();
  std::vector<int> keep = {plan.sync_fd, plan.fifo_fd};
  for (auto [fd, type] : plan.join_ns) keep.push_back(fd);
  close_other_fds(keep);

  auto go = sync_recv(plan.sync_fd);
  if (!go || *go != kSyncGo) ::_exit(1);

  std::string exe;
  try {
    setup(plan);
    const auto& proc = *plan.spec->process;
    exe = find_executable(proc.args[0], env_path(proc));
  } catch (const std::exception& e) {
    sync_send(plan.sync_fd, std::string(kSyncErrorPrefix) + e.what());
    ::_exit(1);
  }
  if (!sync_send(plan.sync_fd, kSyncReady)) ::_exit(1);
  ::close(plan.sync_fd);
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);  // `create` exits normally now

  // Blocks until `start` opens the fifo for reading.
  int fifo = ::open(fd_path(plan.fifo_fd).c_str(), O_WRONLY | O_CLOEXEC);
  if (fifo < 0 || ::write(fifo, "0", 1) != 1) {
    std::fprintf(stderr, "capsa init: open exec fifo: %s\n", std::strerror(errno));
    ::_exit(1);
  }
  ::close(fifo);
  ::close(plan.fifo_fd);

  const auto& proc = *plan.spec->process;
  std::vector<char*> argv, envp;
  for (const auto& a : proc.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : proc.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(exe.c_str(), argv.data(), envp.data());
  std::fprintf(stderr, "capsa init: exec %s: %s\n", exe.c_str(), std::strerror(errno));
  ::_exit(127);
}

}  // namespace capsa::container
