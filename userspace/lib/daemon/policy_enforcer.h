// capsad's policy side: keeps the policies of a directory in force in the
// kernel for every container they select.
//
// A reload parses every file; a file that fails keeps its previous version in
// force (nothing is half applied). Each policy version is compiled under a
// fresh policy id and its map entries are written before any container is
// bound to it; a container then moves from the old version to the new one in
// one update of its binding, and the old version's entries are removed once
// nothing is bound to them. A capsad that starts over pinned maps does the
// same, so enforcement has no gap across restarts.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "bpf/copy_counts.h"
#include "bpf/policy_loader.h"
#include "daemon/container_catalog.h"
#include "policy/compiler.h"
#include "policy/landlock_rules.h"
#include "policy/model.h"

namespace capsa::daemon {

struct ReloadReport {
  std::vector<std::string> loaded;  // policy names now in force
  std::vector<std::string> errors;  // "file:line:col: message" (the previous version stays)
};

class PolicyEnforcer {
public:
  PolicyEnforcer(bpf::PolicyProgs& progs, std::string policy_dir);

  // Re-reads the policy directory and re-applies to the containers of the
  // last apply() (none before the first: a restarted capsad must not unbind
  // what it has not looked at yet).
  ReloadReport reload();
  // Binds each container to the policy that selects it and writes what the
  // kernel needs; unbinds containers that are gone. Thread-safe.
  void apply(const std::vector<KnownContainer>& containers);

  // For `capsactl status` / `policy list|show`.
  nlohmann::json status() const;
  // Names for a (policy id, rule id) reported by the kernel; nullopt when unknown.
  struct RuleName {
    std::string policy, rule, kind, action;
  };
  std::optional<RuleName> rule_name(uint32_t policy_id, uint32_t rule_id) const;
  // Which mechanism enforces each rule kind on this host.
  std::map<std::string, std::string> tiers() const;

  // The Landlock ruleset of the policy that selects this container now,
  // for the runtime to install in a process it is about to start there
  // (`init`: the container's first, created by `capsa create`): root
  // confinement, and the policy's deny and kill file rules in enforce mode;
  // nullopt when that policy did not opt in (spec.files.landlock). What is
  // handed out is recorded under cgroup_id, for status() and for deciding
  // whether the open exits are still needed (see landlock_installed()): the
  // process keeps that ruleset whatever later versions say. `reports`: the
  // runtime tells landlock_installed() what it installed (else the
  // container's files are never Landlock's alone).
  static constexpr uint32_t kPidUnknown = UINT32_MAX;
  struct LandlockGrant {
    std::string policy;
    uint32_t policy_id = 0;
    std::vector<policy::LandlockDeny> denies;
    uint64_t token = 0;  // names this hand-out in landlock_installed()
  };
  std::optional<LandlockGrant> landlock_for(const std::string& container_id,
                                            const std::map<std::string, std::string>& annotations,
                                            uint64_t cgroup_id, bool init, bool reports);
  // The runtime's report that the process of hand-out `token` built its
  // ruleset: confining it to the root or not, with every rule path in it or
  // some skipped (missing in the root). A container whose processes all
  // hold a complete ruleset of the rules its policy has now, with root
  // confinement from its first process on, has its files decided by
  // Landlock alone: once every governed container's are, the open exits
  // are detached (bpf::PolicyProgs::set_file_hooks). False for an unknown token.
  // pid: the process that holds it (0: not told, by an older runtime;
  // kPidUnknown: told, but not to be found in our pid namespace), matched
  // with task_entered().
  bool landlock_installed(uint64_t cgroup_id, uint64_t token, bool root_confined, bool complete, uint32_t pid = 0);
  // A task was moved into the container's cgroup from outside it (the BPF
  // tier's CAPSA_KIND_ENTRY): unless it is a process the runtime is
  // starting there (a hand-out pending, reported by that pid within the
  // hand-out's 30 s), it holds no ruleset, and the open exits come back.
  void task_entered(uint64_t cgroup_id, uint32_t pid, const char* comm);
  // Whether Landlock alone decides every governed container's files (there
  // is one, and the open exits are detached: nothing hangs on the opens).
  bool files_by_landlock_alone() const;
  // Containers some process of which was handed a Landlock ruleset.
  size_t landlock_containers() const;
  // The deny or kill file rule behind a Landlock refusal of `access` on
  // `path` in that container (the longest path of the latest ruleset handed
  // out there that covers it): {policy id, rule id, 0 when none covers it};
  // nullopt when capsad handed that cgroup no ruleset (not capsa's refusal).
  std::optional<std::pair<uint32_t, uint32_t>> landlock_rule(uint64_t cgroup_id, const std::string& path,
                                                             uint8_t access) const;

  // Syscall numbers some policy in force has a rule for: the runtime routes
  // them (with a built-in set) to capsad's seccomp supervisor.
  std::set<uint32_t> syscall_rule_numbers() const;
  // Which syscalls capsad's seccomp supervisor answers for a cgroup id, so
  // that status() can say, per container, which rules it enforces and which
  // the tracepoint kill does.
  void set_seccomp_coverage(std::function<std::set<uint32_t>(uint64_t cgroup_id)> covered);

  uint64_t reloads_ok() const;
  uint64_t reloads_failed() const;

private:
  struct Version {
    policy::Policy policy;
    policy::CompiledPolicy compiled;
  };
  // The every-syscall hooks a policy version needs (see
  // bpf::PolicyProgs::set_syscall_hooks).
  struct HookNeeds {
    bool syscall_rules = false;
    bool doomed_kills = false;
  };
  static HookNeeds hook_needs(const Version& v);
  struct Bound {
    std::string container_id;
    uint32_t policy_id = 0;
    std::string reason;
    std::vector<std::string> missing_exec_paths;
    std::vector<std::string> missing_file_paths;
  };

  void apply_locked(const std::vector<KnownContainer>& containers);
  void write_static_entries(const policy::CompiledPolicy& c);
  using ExecKey = std::tuple<uint32_t, uint64_t, uint64_t>;  // policy id, dev, ino
  // Inode-keyed entries (exec and file rules) resolved per container root.
  struct InodeEntries {
    std::set<ExecKey> exec, files;
    bool operator==(const InodeEntries&) const = default;
  };
  void write_inode_entries(const KnownContainer& c, const policy::CompiledPolicy& compiled, Bound& b,
                           InodeEntries& live);
  // Drops the noted descriptor owners of containers no longer governed and
  // rebuilds each container's count of them (BPF-LSM tier only).
  void sweep_fowners();
  // On every apply: cgroups c made beneath its own that hold no copy of
  // its binding (made before it was bound, or while ring events were lost,
  // or copied for a container c is nested in) get one, as the BPF tier
  // gives those made since (CAPSA_BIND_COPY); the processes of those past
  // the quota are killed, as the BPF tier kills what enters them.
  void bind_sub_cgroups(const KnownContainer& c);
  // Copies whose container is no longer bound go; the counts the BPF
  // tier's quota is checked against are made again from the map.
  void sweep_copies();
  void collect_garbage(const std::set<uint32_t>& live, const InodeEntries& inode_live);

  bpf::PolicyProgs& progs_;
  std::string dir_;
  mutable std::mutex mu_;
  uint32_t next_id_ = 1;
  std::map<std::string, Version> versions_;  // in force, by source file
  // Every version compiled since start, for naming what the kernel reports
  // (an event may arrive after its version was replaced).
  std::map<uint32_t, std::pair<std::string, std::map<uint32_t, policy::RuleInfo>>> names_;
  std::map<uint32_t, HookNeeds> needs_;  // by policy id, every version compiled
  std::set<uint32_t> written_;      // versions whose entries are in the maps
  InodeEntries inode_written_;      // exec and file entries in the maps
  bool swept_ = false;              // pinned leftovers of an earlier capsad removed
  bpf::SettleDeferrals copy_count_deferrals_, fowner_count_deferrals_;
  std::vector<std::string> last_errors_;
  std::vector<KnownContainer> last_containers_;
  bool applied_ = false;  // apply() ran: last_containers_ is the real set
  std::map<uint64_t, Bound> bound_;  // by cgroup id
  struct LandlockRecord {
    std::map<uint32_t, std::string> versions;  // policy id -> name, every version handed out
    std::map<uint32_t, std::vector<policy::FilePath>> file_paths;  // policy id -> its file rules
    size_t rules = 0;                          // of the latest
    std::chrono::steady_clock::time_point at;  // of the latest
    // Whether Landlock alone decides the container's files: its first
    // hand-out was the init's, none is unreported or reported incomplete,
    // and the rules installed (each distinct set once) are the policy's.
    bool from_init = false;
    bool incomplete = false;
    std::map<uint64_t, std::pair<std::vector<policy::LandlockDeny>, std::chrono::steady_clock::time_point>>
        pending;  // by token
    std::vector<std::vector<policy::LandlockDeny>> installed;
    // Tasks moved in from outside, not (yet) reported by pid; and the
    // latest pids reported, as their entry may be seen after the report.
    std::map<uint32_t, std::chrono::steady_clock::time_point> entered;
    std::map<uint32_t, std::chrono::steady_clock::time_point> reported;
  };
  // Policy events lost so far (an entry among them cannot be matched).
  std::optional<uint64_t> events_lost_;
  std::map<uint64_t, LandlockRecord> landlock_;  // by cgroup id
  uint64_t next_token_ = 1;
  // Whether every process of the container holds a ruleset that decides
  // what version `v` would on the open exits.
  bool files_by_landlock_locked(uint64_t cgroup_id, const Version* v) const;
  // Attaches the open exits unless every container in `bound` (by cgroup
  // id, the version it is or is about to be bound to) is decided by
  // Landlock; `attach_only`: never detaches (before bindings move).
  void update_file_hooks_locked(const std::map<uint64_t, const Version*>& bound, bool attach_only);
  std::map<uint64_t, const Version*> bound_versions_locked() const;
  bool files_by_landlock_alone_locked() const;
  // update_file_hooks_locked() for the bindings in force, once apply() has
  // made them (before, the containers are not known yet).
  void refresh_file_hooks_locked(bool attach_only);
  // The policies in force, and the version of each by its source file.
  struct InForce {
    std::vector<policy::Policy> policies;
    std::map<std::string, const Version*> by_file;
  };
  InForce in_force_locked() const;
  std::function<std::set<uint32_t>(uint64_t)> seccomp_covered_;
  uint64_t reloads_ok_ = 0, reloads_failed_ = 0;
};

}  // namespace capsa::daemon
