// RAII owner of the policy enforcement programs (bpf/policy.bpf.c): loads
// the skeleton with its maps pinned (a restarted capsad finds the rules and
// bindings the kernel is enforcing), attaches the cgroup programs to the
// cgroup2 root and the tracepoints, pins every link (enforcement goes on
// while capsad is down), and gives typed access to the maps.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "policy.h"
#include "bpf/event_ring.h"

struct policy_bpf;
struct policy_lsm_bpf;
struct bpf_link;

namespace capsa::bpf {

// Which kernel mechanism enforces a kind of rule on this host.
struct EnforcementTiers {
  std::string cgroup_hooks;  // "cgroup-bpf", or "none: <reason>"
  std::string tracepoints;   // "tracepoint-kill", or "none: <reason>"
  // Opened files are decided on the exits of the open calls alone; false
  // where those tracepoints could not be attached (no tracefs): a raw
  // sys_exit program then decides them on every syscall exit.
  bool per_syscall_exits = true;
  // Without BPF-LSM: unix datagrams sent to a socket bound outside the root
  // are killed at the receiver's sk_data_ready (Linux 6.3 and later).
  bool unix_datagrams = false;
  // BPF-LSM programs attached: files, exec, root and task confinement, and
  // the syscall rules of bpf/lsm_syscalls.h refused with EPERM.
  bool lsm = false;
  std::string lsm_error;     // why not, when !lsm
};

class PolicyProgs {
public:
  // cgroup2_root: mount point of the cgroup v2 hierarchy ("" when the host
  // has none: the cgroup hooks are then not attached, and tiers() says so).
  // The BPF-LSM programs are tried too (LsmUse::kTry): where the kernel
  // refuses them the tracepoint tier decides files and exec, and tiers()
  // says why; kRequire makes that refusal an error; kNever does not load
  // them (and removes an earlier capsad's LSM links once the tracepoint tier
  // is in). fowners_per_container: the BPF-LSM tier's quota of noted
  // descriptor owners (bpf/policy.h).
  enum class LsmUse { kTry, kRequire, kNever };
  static PolicyProgs load_and_pin(const std::string& pin_root, const std::string& cgroup2_root,
                                  LsmUse lsm = LsmUse::kTry,
                                  uint32_t fowners_per_container = CAPSA_FOWNERS_PER_CONTAINER);

  PolicyProgs(PolicyProgs&& o) noexcept;
  PolicyProgs& operator=(PolicyProgs&&) = delete;
  PolicyProgs(const PolicyProgs&) = delete;
  ~PolicyProgs();

  const EnforcementTiers& tiers() const { return tiers_; }

  // The programs that run on every system call of every task, attached only
  // while a policy in force needs them: the syscall-rule check (syscall
  // rules) and the kill of a task a cgroup hook condemned (kill rules on
  // network, sysctls or devices). Attaching pins the link (the kernel goes
  // on enforcing through a capsad restart or kill -9); detaching unpins it.
  // A capsad starting over pins of an earlier one takes them over attached,
  // until its first call here says otherwise. Idempotent.
  void set_syscall_hooks(bool syscall_rules, bool doomed_kills);
  bool syscall_rules_hooked() const { return sys_enter_ != nullptr; }
  bool doomed_kills_hooked() const { return doomed_ != nullptr || !tiers_.per_syscall_exits; }

  // The open calls' exits (tracepoint tier, per-syscall exits): attached
  // unless every governed container's files are decided by Landlock (root
  // confinement and every file rule of its policy in each of its
  // processes' rulesets), as then they would only cost every open on the
  // host. Pinned like the others; at start they are attached only where an
  // earlier capsad had them pinned (replaced without a gap), until the
  // first call here. No-op under
  // BPF-LSM (not attached) and with the raw sys_exit fallback (which also
  // kills condemned tasks). Idempotent.
  void set_file_hooks(bool on);
  bool file_hooks_attached() const { return !tiers_.lsm && (!tiers_.per_syscall_exits || !file_exits_.empty()); }

  int bindings_fd() const;
  int defaults_fd() const;
  int exec_fd() const;
  int files_fd() const;
  int net_fd() const;
  int sysctl_fd() const;
  int dev_fd() const;
  int syscall_fd() const;
  int hits_fd() const;
  int seccomp_answered_fd() const;  // pol_sc_answered
  int fowners_fd() const;        // pol_fowners; -1 without BPF-LSM
  int fowner_counts_fd() const;  // pol_fowner_counts; -1 without BPF-LSM
  int copy_counts_fd() const;    // pol_copy_counts (sub-cgroup bindings per container)
  // The container cgroup a cgroup made beneath it stands for (its binding's
  // CAPSA_BIND_COPY home); any other id as it is.
  uint64_t container_cgroup(uint64_t cgroup_id) const;

  // Counts one hit of a rule decided in user space (seccomp, Landlock) in
  // pol_hits_user; read_hits() adds them to the programs' pol_hits.
  void count_hit(const capsa_hit_key& key) const;
  int user_hits_fd() const;  // pol_hits_user
  // Per-rule hit counts summed over CPUs.
  std::map<std::tuple<uint64_t, uint32_t, uint32_t>, uint64_t> read_hits() const;
  std::array<uint64_t, CAPSA_PSTAT_MAX> read_stats() const;

  // Waits up to timeout_ms for events and hands each to fn; returns how many.
  int poll_events(int timeout_ms, const std::function<void(const capsa_policy_event&)>& fn);

private:
  PolicyProgs() = default;
  void load_lsm(const std::string& maps_dir, const std::string& links_dir, uint32_t fowners_per_container);
  // Removes the pins of an earlier capsad's BPF-LSM links.
  static void unpin_lsm(const std::string& links_dir);
  void set_config(uint32_t flags);
  void attach_exits(const std::string& links_dir);
  // The datagram check where the kernel has its tracepoint; pinned, or
  // (on = false, BPF-LSM decides) an earlier capsad's pin removed.
  void hook_unix_datagrams(const std::string& links_dir, bool on);
  // Removes the pins of the exits (either kind) an earlier capsad attached;
  // opens_only: the open calls' alone.
  void unpin_exits(const std::string& links_dir, bool opens_only = false);
  // Attaches (or detaches) `prog` under its pin name; `link` is its link.
  void hook(bpf_program* prog, bpf_link*& link, bool on);

  mutable std::mutex user_hits_mu_;  // count_hit's read-modify-write, from two threads
  policy_bpf* skel_ = nullptr;
  policy_lsm_bpf* lsm_skel_ = nullptr;
  std::unique_ptr<EventRing<capsa_policy_event>> ring_;
  std::vector<bpf_link*> links_;
  std::string links_dir_;
  bpf_link* sys_enter_ = nullptr;  // on demand, see set_syscall_hooks()
  bpf_link* doomed_ = nullptr;
  std::vector<bpf_link*> file_exits_;  // the open exits, see set_file_hooks()
  EnforcementTiers tiers_;
};

}  // namespace capsa::bpf
