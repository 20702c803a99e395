#include "container/init_process.h"

#include <fcntl.h>
#include <grp.h>
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
#include <optional>

#include "common/error.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "container/hooks.h"
#include "container/init_stub.h"
#include "container/path_resolve.h"
#include "container/process_setup.h"
#include "container/sync_channel.h"
#include "state/container_state.h"

namespace capsa::container {

namespace {

// Lets the runtime run prestart and createRuntime, then runs createContainer
// here: in the container's namespaces, but before pivot_root, so the hook's
// path resolves in the runtime's file system as runc does.
nlohmann::json create_time_hooks(const InitPlan& plan) {
  if (!sync_send(plan.sync_fd, kSyncHooks)) throw Error("runtime gone before the createRuntime hooks");
  auto reply = sync_recv(plan.sync_fd);
  std::string prefix = std::string(kSyncHooksDone) + " ";
  // The runtime reports a failed hook itself, and kills us.
  if (!reply || reply->rfind(prefix, 0) != 0) ::_exit(1);
  nlohmann::json state = nlohmann::json::parse(reply->substr(prefix.size()));
  run_hooks(plan.spec->hooks.create_container, "createContainer", state);
  return state;
}

// Offsets can only be written before any process is in the namespace, so
// it is unshared (which moves only future children), given its offsets, and
// then entered through time_for_children.
void enter_new_time_ns(const std::map<std::string, spec::TimeOffset>& offsets) {
  if (::unshare(CLONE_NEWTIME) != 0) throw_sys("linux.namespaces: unshare the time namespace");
  if (!offsets.empty()) {
    std::string text;
    for (const auto& [clock, o] : offsets)
      text += clock + " " + std::to_string(o.secs) + " " + std::to_string(o.nanosecs) + "\n";
    try {
      write_file("/proc/self/timens_offsets", text);
    } catch (const Error& e) {
      throw Error(std::string("linux.timeOffsets: ") + e.what(), e.sys_errno());
    }
  }
  UniqueFd ns(::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
  if (!ns || ::setns(ns.get(), CLONE_NEWTIME) != 0) throw_sys("linux.namespaces: enter the new time namespace");
}

// stub_path: set, in stub mode, while /proc can still be looked at.
void setup(const InitPlan& plan, nlohmann::json& hook_state, std::string& stub_path) {
  const spec::Spec& spec = *plan.spec;
  const spec::Process& proc = *spec.process;
  // Files the init creates (/dev, mount points) must belong to a mapped id,
  // or the kernel refuses them with EOVERFLOW: become the namespace's root.
  if (plan.rootfs.in_user_ns) {
    if (::setgroups(0, nullptr) != 0) throw_sys("user namespace: setgroups");
    if (::setresgid(0, 0, 0) != 0) throw_sys("user namespace: setresgid 0 (is gid 0 mapped by linux.gidMappings?)");
    if (::setresuid(0, 0, 0) != 0) throw_sys("user namespace: setresuid 0 (is uid 0 mapped by linux.uidMappings?)");
  }
  if (plan.new_time_ns) enter_new_time_ns(spec.linux->time_offsets);
  if (plan.new_cgroup_ns && ::unshare(CLONE_NEWCGROUP) != 0) throw_sys("unshare the cgroup namespace");
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
    throw_sys("hostname: sethostname");
  if (!spec.domainname.empty() && ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0)
    throw_sys("domainname: setdomainname");

  prepare_rootfs(spec, plan.rootfs, [&] {
    if (plan.hook_sync) hook_state = create_time_hooks(plan);
  });
  apply_sysctls(spec);  // before finish_rootfs makes /proc/sys read-only
  finish_rootfs(spec);
  if (plan.new_net_ns) bring_up_loopback();
  if (proc.terminal) setup_terminal(plan.sync_fd, proc, true);

  // Built on the final mounts; the exec fifo, opened for writing once
  // restricted, lies outside the root and needs its own grant.
  std::optional<LandlockRuleset> landlock;
  if (plan.landlock) landlock = reported_landlock_ruleset(plan.sync_fd, *plan.landlock, plan.fifo_fd);
  if (plan.stub_fd >= 0) stub_path = stub_path_if_proc(plan.stub_fd);
  const spec::Personality* personality = spec.linux && spec.linux->personality ? &*spec.linux->personality : nullptr;
  become_process(plan.sync_fd, proc, personality, plan.seccomp, plan.policy_seccomp, landlock ? &*landlock : nullptr);
}

}  // namespace

void run_init(const InitPlan& plan) noexcept {
  // The runtime dying before we are ready must not leave a half-built init.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // Until exec (which resets it) nobody in the container may ptrace us or
  // open our /proc entries: we still hold runtime fds and memory.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  reset_signals();
  std::vector<int> keep = {plan.sync_fd, plan.fifo_fd};
  if (plan.stub_fd >= 0) keep.push_back(plan.stub_fd);
  keep.insert(keep.end(), plan.preserved_fds.begin(), plan.preserved_fds.end());
  for (auto [index, fd] : plan.rootfs.idmapped_mounts) keep.push_back(fd);
  close_fds_except(keep);
  keep_across_exec(plan.preserved_fds);

  auto go = sync_recv(plan.sync_fd);
  if (!go || *go != kSyncGo) ::_exit(1);

  std::string exe, stub_path;
  nlohmann::json hook_state;
  try {
    // Before the seccomp filter: the stub takes these over and closes them.
    if (plan.stub_fd >= 0 && !keep_across_exec({plan.sync_fd, plan.fifo_fd}))
      throw Error("keep the sync and exec fifo fds for capsa's init stub: " + errno_text(errno));
    setup(plan, hook_state, stub_path);
    const auto& proc = *plan.spec->process;
    exe = find_executable(proc.args[0], env_path(proc));
  } catch (const std::exception& e) {
    sync_send(plan.sync_fd, std::string(kSyncErrorPrefix) + e.what());
    ::_exit(1);
  }
  if (plan.stub_fd >= 0) {
    // "ready" comes from the stub: once capsad hears it, exec policy applies
    // to the container, and the stub is not the container's program.
    const auto& proc = *plan.spec->process;
    exec_init_stub(plan.stub_fd, stub_path, plan.sync_fd, plan.fifo_fd, exe, proc.args, proc.env);
    sync_send(plan.sync_fd, std::string(kSyncErrorPrefix) + "exec capsa's init stub: " + errno_text(errno));
    ::_exit(1);
  }
  // Before "ready": once it has that, `create` exits at once, and a death
  // signal still armed would kill us with it (seen under load via podman).
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (!sync_send(plan.sync_fd, kSyncReady)) ::_exit(1);
  ::close(plan.sync_fd);

  // Blocks until `start` opens the fifo for reading.
  int fifo = ::open(fd_path(plan.fifo_fd).c_str(), O_WRONLY | O_CLOEXEC);
  if (fifo < 0 || ::write(fifo, "0", 1) != 1) {
    std::fprintf(stderr, "capsa init: open exec fifo: %s\n", std::strerror(errno));
    ::_exit(1);
  }
  ::close(plan.fifo_fd);
  // `start` reads the fifo to EOF: our text there is its error, and the
  // fifo's close on exec (O_CLOEXEC) tells it the program runs.
  if (!plan.spec->hooks.start_container.empty()) {
    hook_state["status"] = state::to_string(state::Status::Created);
    try {
      run_hooks(plan.spec->hooks.start_container, "startContainer", hook_state);
    } catch (const std::exception& e) {
      std::string msg = e.what();
      ssize_t ignored = ::write(fifo, msg.data(), msg.size());
      (void)ignored;
      ::_exit(1);
    }
  }

  const auto& proc = *plan.spec->process;
  auto argv = exec_vector(proc.args), envp = exec_vector(proc.env);
  ::execve(exe.c_str(), argv.data(), envp.data());
  std::fprintf(stderr, "capsa init: exec %s: %s\n", exe.c_str(), std::strerror(errno));
  ::_exit(127);
}

}  // namespace capsa::container
