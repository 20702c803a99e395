// capsad's seccomp tier for syscall rules: the runtime installs, in every
// process it starts in a container, a filter that sends a fixed candidate
// set of syscalls to a listener (SECCOMP_RET_USER_NOTIF) and hands the
// listener to capsad. One thread polls all listeners and answers each call
// from the container's current binding in the pinned maps (the same lookup
// the BPF programs make), so a policy change applies to the next call:
//   no rule, allow, or a policy in audit mode: the call runs (CONTINUE);
//   audit: the call runs, and is reported;
//   deny: EPERM, the call never runs, the process goes on;
//   kill: SIGKILL (pidfd) while the call waits, so it never runs.
// Every audit, deny and kill is an event and a pol_hits count, as on the BPF
// path. A call judged by a rule here and let run (audit) is noted in
// `pol_sc_answered` first, so the sys_enter program does not judge it again
// (see bpf/policy.h).
#pragma once

#include <linux/seccomp.h>

#include <functional>
#include <map>
#include <mutex>
#include <set>

#include "bpf/policy_loader.h"
#include "common/poll_worker.h"
#include "common/unique_fd.h"
#include "daemon/seccomp_listener.h"

namespace capsa::daemon {

// The syscalls the runtime routes to capsad: those the policies in force
// have rules for, and a built-in set of rarely used, security-relevant ones,
// so that rules added later on them are enforced with EPERM too; with
// task_confinement, the calls that signal or trace another task as well
// (task_confinement.h), and the owner-setting fcntl and ioctl commands
// (task_confinement_arg_routes(), sent to the runtime beside these).
std::set<uint32_t> seccomp_candidates(const std::set<uint32_t>& rule_syscalls, bool task_confinement = false);

class SeccompSupervisor {
public:
  using Report = std::function<void(const capsa_policy_event&)>;
  // cgroup2_mount: where capsad sees the cgroup2 hierarchy, so that a task
  // in a cgroup its container made counts as the container's ("": none).
  SeccompSupervisor(bpf::PolicyProgs& progs, Report report, std::string cgroup2_mount = "");
  ~SeccompSupervisor();
  SeccompSupervisor(const SeccompSupervisor&) = delete;
  SeccompSupervisor& operator=(const SeccompSupervisor&) = delete;

  void add(UniqueFd listener, const ListenerInfo& info);
  // The syscalls decided here for every process of the container (the
  // intersection over its listeners); empty when it has none.
  std::set<uint32_t> covered(uint64_t cgroup_id) const;
  size_t listeners() const;
  // Calls fn(fd, info) for every listener held here, under the lock.
  void for_each_listener(const std::function<void(int, const ListenerInfo&)>& fn) const;

private:
  struct Entry {
    UniqueFd fd;
    ListenerInfo info;
  };
  void run();
  void answer(int fd, const ListenerInfo& info);
  bool refuse_task_escape(int fd, const seccomp_notif& req, int nr, const ListenerInfo& info,
                          const capsa_binding& binding);
  void send(int fd, const seccomp_notif& req, seccomp_notif_resp resp, const ListenerInfo& info, bool judged);

  bpf::PolicyProgs& progs_;
  const std::set<uint32_t> task_syscalls_;
  const std::string cgroup2_mount_;
  Report report_;
  mutable std::mutex mu_;
  std::map<int, Entry> entries_;  // by fd
  PollWorker worker_{"seccomp supervisor"};  // woken when the poll set changed
};

}  // namespace capsa::daemon
