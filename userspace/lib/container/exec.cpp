#include "container/exec.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "cgroup/container_cgroup.h"
#include "common/error.h"
#include "container/console_socket.h"
#include "container/namespace_join.h"
#include "container/policy_seccomp.h"
#include "container/process_setup.h"
#include "container/seccomp_filter.h"
#include "container/sync_channel.h"
#include "state/process_probe.h"

namespace capsa::container {

namespace {

struct NsEntry {
  const char* name;
  int type;
};
// join_namespaces takes the user namespace in its own pass; mount last, as
// entering it changes our root.
constexpr NsEntry kNamespaces[] = {{"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
                                   {"net", CLONE_NEWNET},   {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
                                   {"mnt", CLONE_NEWNS}};

ino_t ns_inode(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

[[noreturn]] void run_exec_child(int sync_fd, const std::vector<std::pair<int, int>>& ns, const ExecRequest& req,
                                 const SeccompFilter* seccomp, const SeccompFilter* policy,
                                 const LandlockPlan* landlock_plan, const std::vector<int>& preserved) noexcept {
  const spec::Process& proc = req.process;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // Until exec (which resets it) nobody in the container may ptrace us or
  // open our /proc entries: we still hold runtime fds and memory.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  reset_signals();
  std::vector<int> keep = {sync_fd};
  for (auto [fd, type] : ns) keep.push_back(fd);
  keep.insert(keep.end(), preserved.begin(), preserved.end());
  close_fds_except(keep);
  keep_across_exec(preserved);
  auto go = sync_recv(sync_fd);
  if (!go || *go != kSyncGo) ::_exit(1);
  std::string exe;
  try {
    try {
      join_namespaces(ns);
    } catch (const Error& e) {
      throw Error(std::string("join the container's namespaces: ") + e.what(), e.sys_errno());
    }
    if (proc.terminal) setup_terminal(sync_fd, proc, false);
    // In the container's mount namespace and root: the same ruleset as
    // its init gets, built from the policy in force now.
    std::optional<LandlockRuleset> landlock;
    if (landlock_plan) landlock = reported_landlock_ruleset(sync_fd, *landlock_plan, -1);
    become_process(sync_fd, proc, req.personality ? &*req.personality : nullptr, seccomp, policy,
                   landlock ? &*landlock : nullptr);
    exe = find_executable(proc.args[0], env_path(proc));
  } catch (const std::exception& e) {
    sync_send(sync_fd, std::string(kSyncErrorPrefix) + e.what());
    ::_exit(1);
  }
  auto argv = exec_vector(proc.args), envp = exec_vector(proc.env);
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  // sync_fd is close-on-exec: the runtime sees EOF once the program runs.
  ::execve(exe.c_str(), argv.data(), envp.data());
  sync_send(sync_fd, std::string(kSyncErrorPrefix) + "exec " + exe + ": " + errno_text(errno));
  ::_exit(127);
}

}  // namespace

Executed exec_in_container(const state::ContainerState& st, const ExecRequest& req) {
  if (!state::process_alive(st.init_pid, st.init_start_time)) throw Error("cannot exec in a stopped container");
  std::vector<int> preserved = preserved_fds(req.preserve_fds);
  if (req.process.terminal && req.console_socket.empty() && !req.foreground)
    throw Error("--tty needs --console-socket when detached");
  if (!req.process.terminal && !req.console_socket.empty())
    throw Error("--console-socket: no terminal was asked for (--tty)");

  std::string base = "/proc/" + std::to_string(st.init_pid) + "/ns/";
  std::vector<UniqueFd> fds;
  std::vector<std::pair<int, int>> ns;
  for (const auto& n : kNamespaces) {
    // Joining a namespace we already share is a no-op; skipping it keeps
    // exec working where setns into our own namespace would be refused.
    if (ns_inode(base + n.name) == ns_inode(std::string("/proc/self/ns/") + n.name)) continue;
    UniqueFd fd(::open((base + n.name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_sys("open " + base + n.name);
    ns.emplace_back(fd.get(), n.type);
    fds.push_back(std::move(fd));
  }
  if (ns_inode(base + "pid") != ns_inode("/proc/self/ns/pid")) {
    UniqueFd pidns(::open((base + "pid").c_str(), O_RDONLY | O_CLOEXEC));
    // Only our future children move: capsa itself stays where it is.
    if (!pidns || ::setns(pidns.get(), CLONE_NEWPID) != 0) throw_sys("join pid namespace " + base + "pid");
  }

  std::optional<SeccompFilter> seccomp;
  if (req.seccomp) seccomp.emplace(SeccompFilter::build(*req.seccomp, st.bundle + "/config.json"));

  PolicyFromCapsad from_capsad =
      req.capsad_socket.empty() ? PolicyFromCapsad{}
                                : policy_from_capsad(req.capsad_socket, req.seccomp ? &*req.seccomp : nullptr, st.id,
                                                     st.annotations, st.cgroup_id,
                                                     ns_inode(base + "pid") == ns_inode("/proc/self/ns/pid"),
                                                     /*init=*/false);
  if (!req.landlock_plan_file.empty()) {
    keep_landlock_plan(req.landlock_plan_file, from_capsad);
    from_capsad.landlock = landlock_plan_for(req.landlock_plan_file, from_capsad);
  }
  if (from_capsad.landlock) from_capsad.landlock->host_devices = host_mounted_devices();
  auto& policy = from_capsad.seccomp;

  auto sync = make_sync_pair();
  pid_t pid = ::fork();
  if (pid < 0) throw_sys("fork");
  if (pid == 0)
    run_exec_child(sync.init_end.get(), ns, req, seccomp ? &*seccomp : nullptr, policy ? &policy->filter : nullptr,
                   from_capsad.landlock ? &*from_capsad.landlock : nullptr, preserved);
  sync.init_end.reset();
  Executed out;
  out.pid = pid;
  try {
    cgroup::ContainerCgroup::from_json(st.cgroup).join(pid);
    if (!sync_send(sync.runtime_end.get(), kSyncGo)) throw Error("exec'd process exited before setup");
    std::string pty_name;
    for (;;) {
      auto msg = recv_with_fd(sync.runtime_end.get());
      if (!msg) break;  // EOF: the program was exec'd
      if (msg->msg.rfind(kSyncErrorPrefix, 0) == 0) throw Error(msg->msg.substr(std::string(kSyncErrorPrefix).size()));
      if (msg->msg == kSyncSeccomp && msg->fd) {
        send_to_seccomp_listener(*req.seccomp, state::oci_state(st, state::Status::Running), pid, msg->fd.get());
        continue;
      }
      if (msg->msg.rfind(std::string(kSyncLandlock) + " ", 0) == 0) {
        if (from_capsad.landlock)
          landlock_installed(req.capsad_socket, *from_capsad.landlock, st.id, st.cgroup_id,
                             msg->msg.substr(std::string(kSyncLandlock).size() + 1), pid);
        if (!sync_send(sync.runtime_end.get(), kSyncLandlockAck)) throw Error("exec'd process exited during setup");
        continue;
      }
      if (msg->msg == kSyncPolicyNotify && msg->fd && policy) {
        hand_listener_to_capsad(*policy, st.id, st.cgroup_id, pid, msg->fd.get());
        continue;
      }
      if (msg->msg.rfind(kSyncPty, 0) == 0 && msg->fd) {
        out.pty_master = std::move(msg->fd);
        pty_name = msg->msg.substr(std::string(kSyncPty).size() + 1);
      }
    }
    if (out.pty_master && !req.console_socket.empty()) {
      send_to_console_socket(req.console_socket, pty_name, out.pty_master.get());
      out.pty_master.reset();
    }
  } catch (...) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw;
  }
  return out;
}

}  // namespace capsa::container
