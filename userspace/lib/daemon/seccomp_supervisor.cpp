#include "daemon/seccomp_supervisor.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include <spdlog/spdlog.h>

#include "bpf/cgroup_id.h"
#include "common/error.h"
#include "daemon/task_confinement.h"
#include "policy/syscall_abi.h"

namespace capsa::daemon {

namespace {

// Rarely used by applications, each a way out of or around a container when
// misused: sent to capsad even while no rule names them, so a rule added to
// a running container's policy is answered with EPERM, not a kill.
constexpr const char* kBuiltinCandidates[] = {
    "ptrace", "bpf", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick",
    "move_mount", "open_tree", "mount_setattr", "unshare", "setns", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "keyctl", "add_key", "request_key", "perf_event_open", "userfaultfd",
    "open_by_handle_at", "name_to_handle_at", "process_vm_readv", "process_vm_writev", "swapon", "swapoff", "reboot",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "acct", "quotactl", "quotactl_fd", "syslog",
    "personality", "io_uring_setup", "iopl", "ioperm", "lookup_dcookie", "vhangup", "pidfd_getfd",
};

int seccomp_ioctl(int fd, unsigned long req, void* arg) {
  int rc;
  do rc = ::ioctl(fd, req, arg);
  while (rc < 0 && errno == EINTR);
  return rc;
}

// Tgid, parent and command of a thread, from /proc (checked against pid
// reuse by the caller with NOTIF_ID_VALID once read).
void describe(pid_t tid, capsa_policy_event& ev) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/status");
  ev.pid = static_cast<uint32_t>(tid);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Name:\t", 0) == 0)
      std::strncpy(ev.comm, line.c_str() + 6, sizeof ev.comm - 1);
    else if (line.rfind("Tgid:\t", 0) == 0)
      ev.pid = static_cast<uint32_t>(std::strtoul(line.c_str() + 6, nullptr, 10));
    else if (line.rfind("PPid:\t", 0) == 0)
      ev.ppid = static_cast<uint32_t>(std::strtoul(line.c_str() + 6, nullptr, 10));
  }
  // The executable as its container sees it: the host's path less the
  // container's root, as the BPF side reports it.
  std::error_code ec;
  std::string proc = "/proc/" + std::to_string(tid);
  std::string exe = std::filesystem::read_symlink(proc + "/exe", ec).string();
  std::string root = std::filesystem::read_symlink(proc + "/root", ec).string();
  if (!root.empty() && root != "/" && exe.rfind(root + "/", 0) == 0) exe.erase(0, root.size());
  std::strncpy(ev.binary, exe.c_str(), sizeof ev.binary - 1);
}

uint64_t boot_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

std::set<uint32_t> seccomp_candidates(const std::set<uint32_t>& rule_syscalls, bool task_confinement) {
  std::set<uint32_t> out;
  if (task_confinement) out = task_confinement_syscalls();
  for (uint32_t nr : rule_syscalls)
    if (nr < CAPSA_SECCOMP_MAX_NR) out.insert(nr);
  for (const char* name : kBuiltinCandidates) {
    int nr = ::seccomp_syscall_resolve_name(name);
    if (nr >= 0 && nr < CAPSA_SECCOMP_MAX_NR) out.insert(static_cast<uint32_t>(nr));
  }
  return out;
}

SeccompSupervisor::SeccompSupervisor(bpf::PolicyProgs& progs, Report report, std::string cgroup2_mount)
    : progs_(progs),
      task_syscalls_(task_confinement_judged()),
      cgroup2_mount_(std::move(cgroup2_mount)),
      report_(std::move(report)) {
  worker_.start([this] { run(); });
}

SeccompSupervisor::~SeccompSupervisor() { worker_.stop(); }

void SeccompSupervisor::add(UniqueFd listener, const ListenerInfo& info) {
  {
    std::lock_guard lock(mu_);
    int fd = listener.get();
    entries_[fd] = Entry{std::move(listener), info};
  }
  spdlog::info("container {}: seccomp listener of pid {} supervised ({} syscalls)", info.container_id, info.pid,
               info.syscalls.size());
  worker_.wake();
}

std::set<uint32_t> SeccompSupervisor::covered(uint64_t cgroup_id) const {
  std::lock_guard lock(mu_);
  std::optional<std::set<uint32_t>> both;
  for (const auto& [fd, e] : entries_) {
    if (e.info.cgroup_id != cgroup_id) continue;
    if (!both) {
      both = e.info.syscalls;
      continue;
    }
    std::set<uint32_t> next;
    for (uint32_t nr : *both)
      if (e.info.syscalls.count(nr)) next.insert(nr);
    both = std::move(next);
  }
  return both.value_or(std::set<uint32_t>{});
}

size_t SeccompSupervisor::listeners() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void SeccompSupervisor::for_each_listener(const std::function<void(int, const ListenerInfo&)>& fn) const {
  std::lock_guard lock(mu_);
  for (const auto& [fd, e] : entries_) fn(fd, e.info);
}

void SeccompSupervisor::run() {
  while (!worker_.stopping()) {
    std::vector<pollfd> fds{{worker_.wake_fd(), POLLIN, 0}};
    std::map<int, ListenerInfo> infos;
    {
      std::lock_guard lock(mu_);
      for (const auto& [fd, e] : entries_) {
        fds.push_back({fd, POLLIN, 0});
        infos[fd] = e.info;
      }
    }
    int n = ::poll(fds.data(), fds.size(), -1);
    if (n < 0 && errno != EINTR) {
      spdlog::error("seccomp supervisor: poll: {}", errno_text(errno));
      return;
    }
    if (n <= 0) continue;
    if (fds[0].revents) worker_.drain();
    for (size_t i = 1; i < fds.size(); ++i) {
      const auto& p = fds[i];
      if (p.revents & POLLIN) {
        try {
          answer(p.fd, infos[p.fd]);
        } catch (const std::exception& e) {
          spdlog::error("container {}: seccomp: {}", infos[p.fd].container_id, e.what());
        }
      }
      // Every process of the filter has exited: nothing will come.
      if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) {
        std::lock_guard lock(mu_);
        auto it = entries_.find(p.fd);
        if (it == entries_.end()) continue;
        spdlog::debug("container {}: seccomp listener of pid {} done", it->second.info.container_id,
                      it->second.info.pid);
        entries_.erase(it);
      }
    }
  }
}

// Returns true when it answered: EPERM for a call that reaches a task
// outside the caller's container (task_confinement.h), reported like the
// BPF-LSM hooks' refusals. Confinement is no policy rule: a policy in audit
// mode does not relax it.
bool SeccompSupervisor::refuse_task_escape(int fd, const seccomp_notif& req, int nr, const ListenerInfo& info,
                                           const capsa_binding& binding) {
  // BPF-LSM's hooks judge the task the kernel resolved, not a pid.
  if (progs_.tiers().lsm || !task_syscalls_.contains(static_cast<uint32_t>(nr))) return false;
  pid_t caller = static_cast<pid_t>(req.pid);
  uint64_t args[6];
  std::memcpy(args, req.data.args, sizeof args);
  // Pids name capsad's tasks only for a caller in capsad's pid namespace.
  // Cgroups the container made beneath its own are its (the BPF tier's copies).
  SameContainer same;
  if (!cgroup2_mount_.empty())
    same = [this](const std::string& own, const std::string& theirs) {
      try {
        uint64_t a = progs_.container_cgroup(bpf::cgroup_id_of(cgroup2_mount_ + own));
        return a != 0 && a == progs_.container_cgroup(bpf::cgroup_id_of(cgroup2_mount_ + theirs));
      } catch (const Error&) {
        return false;  // one of them was removed: not provably the same
      }
    };
  auto escape = in_our_pid_namespace(caller) ? task_escape(caller, nr, args, same)
                                             : task_escape_elsewhere(caller, nr, args, same);
  if (!escape) return false;
  capsa_policy_event ev{};
  ev.ts_ns = boot_ns();
  ev.cgroup_id = info.cgroup_id;
  ev.policy_id = binding.policy_id;
  ev.rule_id = CAPSA_RULE_TASK_CONFINEMENT;
  ev.kind = CAPSA_KIND_TASK_ESCAPE;
  ev.action = CAPSA_ACT_DENY;
  ev.enforced = 1;
  ev.access = escape->op;
  ev.target_pid = static_cast<uint32_t>(escape->target ? thread_group_of(escape->target) : 0);
  ev.signal = escape->signal;
  ev.syscall_nr = nr;
  describe(caller, ev);
  std::string target_comm;
  if (escape->target) std::getline(std::ifstream("/proc/" + std::to_string(ev.target_pid) + "/comm"), target_comm);
  std::strncpy(ev.path, target_comm.c_str(), sizeof ev.path - 1);
  // What /proc said belongs to the caller only if the call still waits.
  __u64 id = req.id;
  if (seccomp_ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return true;
  seccomp_notif_resp resp{};
  resp.id = req.id;
  resp.error = -EPERM;
  send(fd, req, resp, info, false);
  progs_.count_hit(capsa_hit_key{info.cgroup_id, binding.policy_id, CAPSA_RULE_TASK_CONFINEMENT});
  report_(ev);
  return true;
}

void SeccompSupervisor::answer(int fd, const ListenerInfo& info) {
  seccomp_notif req{};
  if (seccomp_ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
    // ENOENT: the caller was interrupted or died before we looked.
    if (errno != ENOENT) spdlog::warn("container {}: seccomp receive: {}", info.container_id, errno_text(errno));
    return;
  }
  seccomp_notif_resp resp{};
  resp.id = req.id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;

  capsa_binding binding{};
  capsa_verdict verdict{};
  int nr = policy::native_syscall_nr(req.data.arch, req.data.nr);
  bool governed = nr >= 0 && bpf_map_lookup_elem(progs_.bindings_fd(), &info.cgroup_id, &binding) == 0;
  if (governed && refuse_task_escape(fd, req, nr, info, binding)) return;
  capsa_syscall_key key{binding.policy_id, static_cast<uint32_t>(nr)};
  // A call routed for some arguments only (an owner-setting fcntl) is not
  // this listener's to rule on: BPF's syscall rules cover it, as every
  // other call of its kind.
  bool ruled = governed && info.syscalls.contains(static_cast<uint32_t>(nr)) && bpf_map_lookup_elem(progs_.syscall_fd(), &key, &verdict) == 0 &&
               verdict.action != CAPSA_ACT_ALLOW;
  bool enforce = ruled && !(binding.flags & CAPSA_BIND_AUDIT_ONLY);
  UniqueFd pidfd;
  if (ruled) {
    capsa_policy_event ev{};
    ev.ts_ns = boot_ns();
    ev.cgroup_id = info.cgroup_id;
    ev.policy_id = binding.policy_id;
    ev.rule_id = verdict.rule_id;
    ev.kind = CAPSA_KIND_SYSCALL;
    ev.action = verdict.action;
    ev.enforced = enforce ? 1 : 0;
    ev.syscall_nr = nr;
    describe(static_cast<pid_t>(req.pid), ev);
    if (enforce && verdict.action == CAPSA_ACT_KILL) {
      pidfd.reset(thread_pidfd(static_cast<pid_t>(req.pid)));
    }
    // What /proc said, and the pidfd, belong to the caller only if the
    // notification is still pending now (seccomp_unotify(2) on pid reuse).
    if (seccomp_ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) != 0) return;
    progs_.count_hit(capsa_hit_key{info.cgroup_id, binding.policy_id, verdict.rule_id});
    report_(ev);
  }
  if (enforce && verdict.action >= CAPSA_ACT_DENY) {
    resp.flags = 0;
    resp.error = -EPERM;
    // The signal is pending before the answer: the caller dies on its way
    // back to user space, the call itself never ran.
    if (verdict.action == CAPSA_ACT_KILL) {
      if (!pidfd || ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) != 0)
        spdlog::error("container {}: kill pid {} for a syscall rule: {}", info.container_id, req.pid,
                      errno_text(errno));
    }
  }
  send(fd, req, resp, info, ruled);
}

// A call judged here by a rule and let run (audit) is noted first: the
// sys_enter program stands back for that one call, reported here, and for
// no other. Calls let run without a rule here are judged there as any call
// (the same lookup, or a rule this listener does not rule on: an fcntl
// routed for its owner-setting commands).
void SeccompSupervisor::send(int fd, const seccomp_notif& req, seccomp_notif_resp resp, const ListenerInfo& info,
                             bool judged) {
  int answered = progs_.seccomp_answered_fd();
  uint32_t tid = req.pid;
  bool noted = false;
  if (judged && (resp.flags & SECCOMP_USER_NOTIF_FLAG_CONTINUE)) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    capsa_sc_answer a{};
    a.nr = static_cast<uint32_t>(req.data.nr);
    a.abi = policy::syscall_abi(req.data.arch, req.data.nr);
    a.ts_ns = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
    noted = bpf_map_update_elem(answered, &tid, &a, BPF_ANY) == 0;
    if (!noted)
      spdlog::warn("container {}: note a seccomp answer in pol_sc_answered: {} (the call may be judged twice)",
                   info.container_id, errno_text(errno));
  }
  if (seccomp_ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) return;
  int err = errno;
  // The caller is gone (or was interrupted, and asks again): no call comes.
  if (noted) bpf_map_delete_elem(answered, &tid);
  if (err != ENOENT) spdlog::warn("container {}: seccomp answer: {}", info.container_id, errno_text(err));
}

}  // namespace capsa::daemon
