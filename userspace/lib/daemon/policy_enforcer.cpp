#include "daemon/policy_enforcer.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "bpf/copy_counts.h"
#include "bpf/libbpf_util.h"
#include "cgroup/cgroups_beneath.h"
#include "cgroup/container_cgroup.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/mountinfo.h"
#include "common/unique_fd.h"
#include "policy/lsm_hooked_syscalls.h"
#include "policy/policy_dir.h"
#include "policy/selection.h"

namespace capsa::daemon {

namespace {

// How long a Landlock hand-out may go unreported (and a reported pid wait
// for its entry) before the process counts as holding no known ruleset.
constexpr auto kHandOutLifetime = std::chrono::seconds(30);

template <typename K, typename V>
void put(int fd, const K& key, const V& value, const char* map) {
  if (bpf_map_update_elem(fd, &key, &value, BPF_ANY) != 0) throw_sys(std::string("write BPF map ") + map);
}

// Deletes every key for which drop(key) is true (keys gathered first: a
// hash walk that deletes as it goes can restart and miss keys).
template <typename K, typename Pred>
void delete_if(int fd, Pred drop) {
  std::vector<K> doomed;
  bpf::for_each_key<K>(fd, [&](const K& k) {
    if (drop(k)) doomed.push_back(k);
  });
  for (const auto& k : doomed) bpf_map_delete_elem(fd, &k);
}

// The container's root as its processes see it (their mounts included) while
// it has processes; the bundle's rootfs otherwise. With the mounts its paths
// go through, whose super blocks name the devices of inode keys.
struct ContainerRoot {
  UniqueFd fd;
  std::vector<MountInfo> mounts;
};

ContainerRoot open_container_root(const KnownContainer& c) {
  ContainerRoot r;
  std::string proc = "/proc/" + std::to_string(c.init_pid);
  if (c.init_pid > 0 && (c.status == state::Status::Created || c.status == state::Status::Running ||
                         c.status == state::Status::Paused)) {
    r.fd.reset(::open((proc + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    // Read after the root: a pid used again meanwhile lists other mount ids,
    // and the keys fall back to st_dev.
    if (r.fd) r.mounts = parse_mountinfo(read_file_if_exists(proc + "/mountinfo").value_or(""));
  }
  if (!r.fd && !c.rootfs.empty()) {
    r.fd.reset(::open(c.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    r.mounts = parse_mountinfo(read_file_if_exists("/proc/self/mountinfo").value_or(""));
  }
  return r;
}

}  // namespace

PolicyEnforcer::PolicyEnforcer(bpf::PolicyProgs& progs, std::string policy_dir)
    : progs_(progs), dir_(std::move(policy_dir)) {
  // Ids of an earlier capsad may still be bound in the pinned maps: start
  // above them so a version of ours is never mistaken for one of theirs.
  bpf::for_each_key<uint64_t>(progs_.bindings_fd(), [&](uint64_t cgid) {
    capsa_binding b{};
    if (bpf_map_lookup_elem(progs_.bindings_fd(), &cgid, &b) == 0) next_id_ = std::max(next_id_, b.policy_id + 1);
  });
  bpf::for_each_key<uint32_t>(progs_.defaults_fd(), [&](uint32_t id) { next_id_ = std::max(next_id_, id + 1); });
}

ReloadReport PolicyEnforcer::reload() {
  std::lock_guard lock(mu_);
  std::map<std::string, const policy::Policy*> in_force;
  for (const auto& [file, v] : versions_) in_force[file] = &v.policy;
  // Compiled once more here so that a version the kernel side cannot take
  // is rejected before it gives up its file's claims (its version in force
  // stays, name and default included).
  auto loaded = policy::load_policy_dir(dir_, in_force, [](const policy::Policy& p) { policy::compile_policy(p, 1); });
  ReloadReport report;
  std::map<std::string, Version> next;
  for (auto& p : loaded.policies) {
    auto old = versions_.find(p.source_file);
    std::string file = p.source_file;
    try {
      uint32_t id = next_id_;
      auto compiled = policy::compile_policy(p, id);
      ++next_id_;
      names_[id] = {p.name, compiled.rules};
      next[file] = Version{std::move(p), std::move(compiled)};
      needs_[id] = hook_needs(next[file]);
    } catch (const std::exception& e) {
      report.errors.push_back(e.what());
      if (old != versions_.end()) next[file] = old->second;
    }
  }
  for (const auto& err : loaded.errors) {
    report.errors.push_back(err.message);
    // The file's previous version stays in force.
    if (auto old = versions_.find(err.file); old != versions_.end()) next[err.file] = old->second;
  }
  versions_ = std::move(next);
  for (const auto& [file, v] : versions_) report.loaded.push_back(v.policy.name);
  for (const auto& e : report.errors) spdlog::error("policy: {}", e);
  last_errors_ = report.errors;
  (report.errors.empty() ? reloads_ok_ : reloads_failed_)++;
  if (applied_) apply_locked(last_containers_);
  return report;
}

void PolicyEnforcer::apply(const std::vector<KnownContainer>& containers) {
  std::lock_guard lock(mu_);
  apply_locked(containers);
}

void PolicyEnforcer::write_static_entries(const policy::CompiledPolicy& c) {
  for (const auto& [k, v] : c.net) put(progs_.net_fd(), k, v, "pol_net");
  for (const auto& [k, v] : c.sysctl) put(progs_.sysctl_fd(), k, v, "pol_sysctl");
  for (const auto& [k, v] : c.dev) put(progs_.dev_fd(), k, v, "pol_dev");
  for (const auto& [k, v] : c.syscalls) put(progs_.syscall_fd(), k, v, "pol_syscall");
  put(progs_.defaults_fd(), c.id, c.defaults, "pol_defaults");
}

PolicyEnforcer::HookNeeds PolicyEnforcer::hook_needs(const Version& v) {
  const auto& c = v.compiled;
  HookNeeds n;
  for (const auto& [k, verdict] : c.syscalls) n.syscall_rules |= verdict.action != CAPSA_ACT_ALLOW;
  // Only a kill condemns a task in a cgroup hook, and audit mode never does.
  if (v.policy.mode == policy::Mode::Audit) return n;
  auto kill = [](const capsa_verdict& verdict) { return verdict.action == CAPSA_ACT_KILL; };
  bool k = kill(c.defaults.net_egress) || kill(c.defaults.net_bind);
  for (const auto& [key, val] : c.net)
    for (uint32_t i = 0; i < val.nranges && i < CAPSA_NET_MAX_RANGES; ++i) k |= kill(val.ranges[i].verdict);
  for (const auto& [key, val] : c.sysctl) k |= kill(val.read) || kill(val.write);
  for (const auto& [key, val] : c.dev)
    for (const auto& a : val.access) k |= kill(a);
  n.doomed_kills = k;
  return n;
}

void PolicyEnforcer::apply_locked(const std::vector<KnownContainer>& containers) {
  last_containers_ = containers;
  applied_ = true;
  // Hooks a version needs are attached before a container is bound to it;
  // those only earlier versions needed go once nothing is bound to them.
  HookNeeds want;
  for (const auto& [file, v] : versions_) {
    auto n = needs_.at(v.compiled.id);
    want.syscall_rules |= n.syscall_rules;
    want.doomed_kills |= n.doomed_kills;
  }
  progs_.set_syscall_hooks(want.syscall_rules || progs_.syscall_rules_hooked(),
                           want.doomed_kills || progs_.doomed_kills_hooked());
  auto [policies, by_file] = in_force_locked();
  // The open exits, too, go in before a container they must decide for is
  // bound (or moved to a version Landlock does not decide).
  // Each container's selection, made once for this and the binding below.
  std::vector<policy::Selection> selections;
  std::map<uint64_t, const Version*> upcoming;
  for (const auto& c : containers) {
    selections.push_back(c.cgroup_id ? policy::explain_selection(policies, c.id, c.annotations) : policy::Selection{});
    if (c.cgroup_id)
      upcoming[c.cgroup_id] = selections.back().policy ? by_file.at(selections.back().policy->source_file) : nullptr;
  }
  update_file_hooks_locked(upcoming, /*attach_only=*/true);

  std::map<uint64_t, Bound> next_bound;
  std::set<uint32_t> live;
  InodeEntries inode_live;
  std::set<uint32_t> kept;  // versions of containers whose update failed
  for (size_t i = 0; i < containers.size(); ++i) {
    const auto& c = containers[i];
    if (!c.cgroup_id) continue;
    const auto& sel = selections[i];
    if (!sel.policy) {
      // No policy: still bound, so that file-root confinement applies.
      capsa_binding none{CAPSA_POLICY_NONE, 0};
      auto old = bound_.find(c.cgroup_id);
      if (old == bound_.end() || old->second.policy_id != CAPSA_POLICY_NONE || !swept_)
        put(progs_.bindings_fd(), c.cgroup_id, none, "pol_bindings");
      bind_sub_cgroups(c);
      live.insert(CAPSA_POLICY_NONE);
      next_bound[c.cgroup_id] = Bound{c.id, CAPSA_POLICY_NONE, sel.reason, {}, {}};
      continue;
    }
    const Version& v = *by_file.at(sel.policy->source_file);
    const auto& compiled = v.compiled;
    try {
      // Everything the version needs goes in before the binding points at it.
      if (!written_.count(compiled.id)) {
        write_static_entries(compiled);
        written_.insert(compiled.id);
      }
      Bound b{c.id, compiled.id, sel.reason, {}, {}};
      write_inode_entries(c, compiled, b, inode_live);
      uint32_t flags = (v.policy.mode == policy::Mode::Audit ? CAPSA_BIND_AUDIT_ONLY : 0u) |
                       (compiled.file_paths.empty() ? 0u : CAPSA_BIND_HAS_FILES);
      capsa_binding binding{compiled.id, flags};
      auto old = bound_.find(c.cgroup_id);
      if (old == bound_.end() || old->second.policy_id != compiled.id || !swept_) {
        put(progs_.bindings_fd(), c.cgroup_id, binding, "pol_bindings");
        spdlog::info("container {}: policy {} (id {}, {})", c.id, v.policy.name, compiled.id, sel.reason);
      }
      bind_sub_cgroups(c);
      live.insert(compiled.id);
      next_bound[c.cgroup_id] = std::move(b);
    } catch (const std::exception& e) {
      spdlog::error("container {}: policy {}: {}", c.id, v.policy.name, e.what());
      // Keeps whatever it was bound to rather than dropping to no policy.
      if (auto old = bound_.find(c.cgroup_id); old != bound_.end()) {
        live.insert(old->second.policy_id);
        kept.insert(old->second.policy_id);
        next_bound[c.cgroup_id] = old->second;
      }
    }
  }
  // Rulesets handed out for containers that are gone. One not bound yet may
  // be a create in progress (its state is written after its process is set
  // up), or one that failed: kept a minute.
  auto now = std::chrono::steady_clock::now();
  for (auto it = landlock_.begin(); it != landlock_.end();) {
    bool gone = !next_bound.count(it->first) &&
                (bound_.count(it->first) || now - it->second.at > std::chrono::minutes(1));
    it = gone ? landlock_.erase(it) : std::next(it);
  }
  bool changed = !swept_ || next_bound.size() != bound_.size();
  for (const auto& [cgid, b] : bound_) {
    auto it = next_bound.find(cgid);
    if (it == next_bound.end() || it->second.policy_id != b.policy_id) changed = true;
    if (it == next_bound.end() && bpf_map_delete_elem(progs_.bindings_fd(), &cgid) != 0 && errno != ENOENT)
      spdlog::warn("unbind cgroup {}: {}", cgid, errno_text(errno));
  }
  // A container whose update failed keeps its old entries (it is still bound to them).
  for (const auto& k : inode_written_.exec)
    if (kept.count(std::get<0>(k))) inode_live.exec.insert(k);
  for (const auto& k : inode_written_.files)
    if (kept.count(std::get<0>(k))) inode_live.files.insert(k);
  if (!(inode_live == inode_written_)) changed = true;
  bound_ = std::move(next_bound);
  if (changed) collect_garbage(live, inode_live);
  HookNeeds bound_need;
  for (uint32_t id : live) {
    auto n = needs_.find(id);
    bound_need.syscall_rules |= n != needs_.end() && n->second.syscall_rules;
    bound_need.doomed_kills |= n != needs_.end() && n->second.doomed_kills;
  }
  progs_.set_syscall_hooks(bound_need.syscall_rules, bound_need.doomed_kills);
  update_file_hooks_locked(bound_versions_locked(), /*attach_only=*/false);
}

std::map<uint64_t, const PolicyEnforcer::Version*> PolicyEnforcer::bound_versions_locked() const {
  std::map<uint32_t, const Version*> by_id;
  for (const auto& [file, v] : versions_) by_id[v.compiled.id] = &v;
  std::map<uint64_t, const Version*> out;
  for (const auto& [cgid, b] : bound_) {
    auto v = by_id.find(b.policy_id);
    out[cgid] = v == by_id.end() ? nullptr : v->second;
  }
  return out;
}

bool PolicyEnforcer::files_by_landlock_locked(uint64_t cgroup_id, const Version* v) const {
  if (!v || !v->policy.files_landlock) return false;
  auto it = landlock_.find(cgroup_id);
  if (it == landlock_.end()) return false;
  const auto& rec = it->second;
  if (!rec.from_init || rec.incomplete || !rec.pending.empty() || !rec.entered.empty() || rec.installed.empty())
    return false;
  // Audit rules must see the opens Landlock lets through.
  if (v->policy.mode == policy::Mode::Audit && !v->compiled.file_paths.empty()) return false;
  for (const auto& fp : v->compiled.file_paths)
    if (fp.verdict.action == CAPSA_ACT_AUDIT) return false;
  // Each ruleset must refuse at least what the policy denies now (one
  // handed out by an earlier version may refuse more: never less safe).
  auto want = policy::landlock_denies(v->policy);
  for (const auto& denies : rec.installed)
    for (const auto& w : want) {
      bool held = std::any_of(denies.begin(), denies.end(), [&](const policy::LandlockDeny& d) {
        return d.path == w.path && (d.access & w.access) == w.access;
      });
      if (!held) return false;
    }
  return true;
}

void PolicyEnforcer::update_file_hooks_locked(const std::map<uint64_t, const Version*>& bound, bool attach_only) {
  // A hand-out never reported: the process failed before building its
  // ruleset, or its runtime died; either way nothing tells what it holds.
  auto now = std::chrono::steady_clock::now();
  // The ring may have dropped a task's entry with the events it lost: no
  // container's processes are known then.
  uint64_t lost = progs_.read_stats()[CAPSA_PSTAT_EVENTS_LOST];
  bool entries_lost = events_lost_ && lost > *events_lost_;
  events_lost_ = lost;
  for (auto& [cgid, rec] : landlock_) {
    if (entries_lost && !rec.incomplete) {
      spdlog::warn("policy: policy events were lost, a task's entry into container cgroup {} among them perhaps: "
                   "the open exits decide its files",
                   cgid);
      rec.incomplete = true;
    }
    std::erase_if(rec.reported, [&](const auto& r) { return now - r.second > kHandOutLifetime; });
    for (auto p = rec.pending.begin(); p != rec.pending.end();) {
      bool stale = now - p->second.second > kHandOutLifetime;
      rec.incomplete |= stale;
      p = stale ? rec.pending.erase(p) : std::next(p);
    }
    // A task moved in that no report named, with no hand-out left to
    // name it (or for longer than one may take): it holds no ruleset.
    for (auto e = rec.entered.begin(); e != rec.entered.end();) {
      bool stray = rec.pending.empty() || now - e->second > kHandOutLifetime;
      if (stray)
        spdlog::warn("policy: pid {} was moved into a container whose files Landlock decides, and holds no "
                     "ruleset capsa installed: the open exits decide its files",
                     e->first);
      rec.incomplete |= stray;
      e = stray ? rec.entered.erase(e) : std::next(e);
    }
  }
  bool need = false;
  for (const auto& [cgid, v] : bound) need = need || !files_by_landlock_locked(cgid, v);
  if (!need && attach_only) return;
  try {
    progs_.set_file_hooks(need);
  } catch (const std::exception& e) {
    spdlog::error("policy: {} the open exits: {}", need ? "attach" : "detach", e.what());
  }
}

bool PolicyEnforcer::files_by_landlock_alone_locked() const {
  return !progs_.file_hooks_attached() && !progs_.tiers().lsm && !bound_.empty();
}

bool PolicyEnforcer::files_by_landlock_alone() const {
  std::lock_guard lock(mu_);
  return files_by_landlock_alone_locked();
}

void PolicyEnforcer::refresh_file_hooks_locked(bool attach_only) {
  if (applied_) update_file_hooks_locked(bound_versions_locked(), attach_only);
}

PolicyEnforcer::InForce PolicyEnforcer::in_force_locked() const {
  InForce out;
  for (const auto& [file, v] : versions_) {
    out.policies.push_back(v.policy);
    out.by_file[file] = &v;
  }
  return out;
}

// Exec and file paths name files inside each container's own root: resolved
// there, written before the binding points at them. A path missing now is
// looked for again at the next sync.
void PolicyEnforcer::write_inode_entries(const KnownContainer& c, const policy::CompiledPolicy& compiled, Bound& b,
                                         InodeEntries& live) {
  if (compiled.exec_paths.empty() && compiled.file_paths.empty()) return;
  ContainerRoot root = open_container_root(c);
  if (!root.fd) throw Error("open the root of container " + c.id + ": " + errno_text(errno));
  for (const auto& [k, verdict] : policy::resolve_exec(compiled, root.fd.get(), &b.missing_exec_paths, root.mounts)) {
    ExecKey ek{k.policy_id, k.dev, k.ino};
    if (!inode_written_.exec.count(ek)) put(progs_.exec_fd(), k, verdict, "pol_exec");
    inode_written_.exec.insert(ek);
    live.exec.insert(ek);
  }
  for (const auto& [k, value] : policy::resolve_files(compiled, root.fd.get(), &b.missing_file_paths, root.mounts)) {
    ExecKey fk{k.policy_id, k.dev, k.ino};
    if (!inode_written_.files.count(fk)) put(progs_.files_fd(), k, value, "pol_files");
    inode_written_.files.insert(fk);
    live.files.insert(fk);
  }
}

void PolicyEnforcer::collect_garbage(const std::set<uint32_t>& live, const InodeEntries& inode_live) {
  sweep_copies();
  auto dead = [&](uint32_t id) { return !live.count(id); };
  delete_if<capsa_net_key>(progs_.net_fd(), [&](const capsa_net_key& k) { return dead(k.policy_id); });
  delete_if<capsa_sysctl_key>(progs_.sysctl_fd(), [&](const capsa_sysctl_key& k) { return dead(k.policy_id); });
  delete_if<capsa_dev_key>(progs_.dev_fd(), [&](const capsa_dev_key& k) { return dead(k.policy_id); });
  delete_if<capsa_syscall_key>(progs_.syscall_fd(), [&](const capsa_syscall_key& k) { return dead(k.policy_id); });
  delete_if<uint32_t>(progs_.defaults_fd(), dead);
  delete_if<capsa_inode_key>(progs_.exec_fd(), [&](const capsa_inode_key& k) {
    return !inode_live.exec.count(ExecKey{k.policy_id, k.dev, k.ino});
  });
  delete_if<capsa_inode_key>(progs_.files_fd(), [&](const capsa_inode_key& k) {
    return !inode_live.files.count(ExecKey{k.policy_id, k.dev, k.ino});
  });
  for (int fd : {progs_.hits_fd(), progs_.user_hits_fd()})
    delete_if<capsa_hit_key>(fd, [&](const capsa_hit_key& k) { return !bound_.count(k.cgroup_id); });
  sweep_fowners();
  for (auto it = written_.begin(); it != written_.end();) it = dead(*it) ? written_.erase(it) : std::next(it);
  inode_written_ = inode_live;
  swept_ = true;
}

void PolicyEnforcer::bind_sub_cgroups(const KnownContainer& c) {
  std::optional<std::string> dir = c.cgroup ? c.cgroup->unified_dir() : std::nullopt;
  if (!dir) return;
  if (!cgroup::has_cgroups_beneath(*dir)) return;
  const int fd = progs_.bindings_fd();
  const capsa_binding copy{CAPSA_POLICY_NONE, CAPSA_BIND_COPY, c.cgroup_id};
  const int64_t all = bpf::copy_count_of(progs_.copy_counts_fd(), 0);
  int64_t held = 0, added = 0;
  // First every cgroup beneath, and how many copies the container holds:
  // the quota is on the whole tree, whatever order the walk takes.
  std::vector<std::pair<std::string, uint64_t>> unbound;
  cgroup::for_each_cgroup_beneath(*dir, "container " + c.id, [&](const std::string& path, uint64_t id) {
    capsa_binding b{};
    bool known = bpf_map_lookup_elem(fd, &id, &b) == 0;
    if (known && !(b.flags & CAPSA_BIND_COPY)) return false;  // a container nested in this one: its own
    if (known && b.home == c.cgroup_id)
      ++held;
    else  // unbound, or copied for a container this one is nested in (before this one was bound)
      unbound.emplace_back(path, id);
    return true;
  });
  for (const auto& [path, id] : unbound) {
    if (held < CAPSA_POLICY_COPIES_PER_CONTAINER && all + added < CAPSA_POLICY_MAX_COPIES) {
      capsa_binding b{};
      int flag = bpf_map_lookup_elem(fd, &id, &b) == 0 ? BPF_EXIST : BPF_NOEXIST;
      if (flag == BPF_EXIST && (b.flags & CAPSA_BIND_COPY) && b.home == c.cgroup_id) {
        ++held;  // the BPF tier's, made meanwhile
        continue;
      }
      if (bpf_map_update_elem(fd, &id, &copy, flag) == 0) {
        if (!cgroup::still_there(path, id)) {
          bpf_map_delete_elem(fd, &id);
          continue;
        }
        ++held;
        ++added;
        continue;
      }
    }
    // Its threads, not its processes: a threaded cgroup lists no processes.
    std::vector<pid_t> procs;
    try {
      procs = cgroup::threads_of(path);
    } catch (const Error& e) {
      spdlog::warn("container {}: {}", c.id, e.what());
    }
    if (procs.empty()) continue;
    spdlog::error("container {}: cgroup {} beneath its own cannot be bound ({} held, {} allowed): its {} "
                  "tasks' processes are killed",
                  c.id, path, held, CAPSA_POLICY_COPIES_PER_CONTAINER, procs.size());
    for (pid_t pid : procs) ::kill(pid, SIGKILL);
  }
  // Counted as the BPF tier counts its own (the next sweep makes the counts
  // again from the map).
  if (added) bpf::count_copies_added(progs_.copy_counts_fd(), c.cgroup_id, added);
}

void PolicyEnforcer::sweep_copies() {
  int fd = progs_.bindings_fd(), counts_fd = progs_.copy_counts_fd();
  // Bindings pinned by an earlier capsad for containers we do not govern,
  // and copies for cgroups beneath them. A copy is read again just before
  // it goes: its cgroup's id is never reused, so what it names stays.
  auto unbound = [&](uint64_t cgid) {
    capsa_binding b{};
    if (bound_.count(cgid) || bpf_map_lookup_elem(fd, &cgid, &b) != 0) return false;
    return !(b.flags & CAPSA_BIND_COPY) || !bound_.count(b.home);
  };
  const bpf::HeldCounts before = bpf::read_counts(counts_fd, "pol_copy_counts");
  bpf::HeldCounts held;
  std::vector<uint64_t> doomed;
  // A key deleted meanwhile restarts the walk: each is counted once.
  std::set<uint64_t> seen;
  bpf::for_each_key<uint64_t>(fd, [&](const uint64_t& cgid) {
    capsa_binding b{};
    if (!seen.insert(cgid).second) return;
    if (bpf_map_lookup_elem(fd, &cgid, &b) != 0 || bound_.count(cgid)) return;
    if ((b.flags & CAPSA_BIND_COPY) && bound_.count(b.home)) {
      ++held[b.home];
      ++held[0];
    } else {
      doomed.push_back(cgid);
    }
  });
  for (uint64_t cgid : doomed)
    if (unbound(cgid)) bpf_map_delete_elem(fd, &cgid);
  bpf::settle_counts(counts_fd, before, held, [&](uint64_t cgid) { return bound_.count(cgid) > 0; },
                     copy_count_deferrals_, "pol_copy_counts");
}

void PolicyEnforcer::sweep_fowners() {
  int fd = progs_.fowners_fd(), counts_fd = progs_.fowner_counts_fd();
  if (fd < 0 || counts_fd < 0) return;
  // Owners noted for files of a container no longer governed go: its SIGIO
  // is judged no more. Each entry is read again just before it goes, as the
  // kernel may have handed the file to a governed container since.
  auto unbound = [&](uint64_t key) {
    capsa_fowner o{};
    return bpf_map_lookup_elem(fd, &key, &o) == 0 && !bound_.count(o.cgroup_id);
  };
  const auto before = bpf::read_counts(counts_fd, "pol_fowner_counts");
  std::vector<uint64_t> doomed;
  bpf::HeldCounts held;
  bpf::for_each_key<uint64_t>(fd, [&](const uint64_t& key) {
    capsa_fowner o{};
    if (bpf_map_lookup_elem(fd, &key, &o) != 0) return;
    if (bound_.count(o.cgroup_id))
      ++held[o.cgroup_id];
    else
      doomed.push_back(key);
  });
  for (uint64_t key : doomed)
    if (unbound(key)) bpf_map_delete_elem(fd, &key);
  // The counts the quota is checked against, made again from the entries:
  // an earlier capsad's (or a pre-quota program's) entries are counted, and
  // what two setters racing on one file put off is put right, but a count
  // the kernel changed while capsad walked is left to the next sweep.
  bpf::settle_counts(counts_fd, before, held, [&](uint64_t cgid) { return bound_.count(cgid) > 0; },
                     fowner_count_deferrals_, "pol_fowner_counts");
}

std::map<std::string, std::string> PolicyEnforcer::tiers() const {
  const auto& t = progs_.tiers();
  std::string kill = t.tracepoints == "tracepoint-kill"
                         ? "tracepoint-kill (deny is enforced as a kill, after the syscall or exec, before the "
                           "process runs another instruction)"
                         : t.tracepoints;
  std::string seccomp =
      "seccomp-notify (syscalls listed when a container's process started, and a built-in security-relevant set: "
      "deny is EPERM before the call runs, kill kills before it runs; `capsactl status` lists them per container); ";
  if (t.lsm) {
    std::string hooked;
    for (const auto& s : policy::lsm_syscalls()) hooked += (hooked.empty() ? "" : ", ") + std::string(s.name);
    return {{"files", "bpf-lsm (file_open, path_mknod/mkdir, path_unlink/rmdir: EPERM before the operation)"},
            {"root-confinement",
             "bpf-lsm (file_open, bprm_check_security, unix_stream_connect, unix_may_send: EPERM before the open, "
             "exec, connect or send)"},
            {"task-confinement",
             "bpf-lsm (ptrace_access_check in attach mode, ptrace_traceme, task_kill: EPERM for a task outside the "
             "container; file_send_sigiotask: no SIGIO or SIGURG to an owner outside the container that set it; "
             "file_fcntl, file_ioctl: O_ASYNC and F_SETSIG refused on a file whose owner, set outside, is outside)"},
            {"exec", "bpf-lsm (bprm_check_security: EPERM before the exec)"},
            {"syscalls", seccomp + "bpf-lsm for " + hooked +
                             " (EPERM from their LSM hook before the operation); other syscalls: " + kill},
            {"network", t.cgroup_hooks},
            {"sysctls", t.cgroup_hooks},
            {"devices", t.cgroup_hooks}};
  }
  std::string files = t.tracepoints == "tracepoint-kill"
                          ? "tracepoint-kill (read, write, exec: decided on the opened file as open returns; "
                            "create and unlink need BPF-LSM, unavailable: " + t.lsm_error + ")"
                          : t.tracepoints;
  std::string root = t.tracepoints == "tracepoint-kill"
                         ? std::string("tracepoint-kill (opened files and execs; unix sockets ") +
                               (t.unix_datagrams ? "at the receiver's sk_data_ready, as a connect or a datagram send "
                                                   "returns, the connection or datagram queued)"
                                                 : "as connect(2) returns; datagrams sent to an address without "
                                                   "connect need BPF-LSM or Linux 6.3's sk_data_ready tracepoint)")
                         : t.tracepoints;
  return {{"files", files},
          {"root-confinement", root},
          {"task-confinement",
           t.cgroup_hooks == "cgroup-bpf"
               ? "seccomp-notify (for containers sharing the host's pid namespace, one with its own sees no task "
                 "outside it: kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_send_signal, ptrace "
                 "attach, seize and traceme, process_vm_readv/writev, pidfd_getfd, and the owner-setting fcntl "
                 "F_SETOWN/F_SETOWN_EX and ioctl FIOSETOWN/SIOCSPGRP: EPERM before the call for a task outside the "
                 "container; kill(-1) is refused whole; for every container, O_ASYNC turned on and F_SETSIG on a "
                 "descriptor whose owner, set by a host process or a terminal's foreground group, is outside: EPERM)"
               : "none: ptrace and signals across containers need BPF-LSM (unavailable: " + t.lsm_error +
                     ") or a cgroup v2 hierarchy to tell containers' tasks apart"},
          {"exec", kill},
          {"syscalls", seccomp + "other syscalls: " + kill},
          {"network", t.cgroup_hooks},
          {"sysctls", t.cgroup_hooks},
          {"devices", t.cgroup_hooks}};
}

std::optional<PolicyEnforcer::LandlockGrant> PolicyEnforcer::landlock_for(
    const std::string& container_id, const std::map<std::string, std::string>& annotations, uint64_t cgroup_id,
    bool init, bool reports) {
  std::lock_guard lock(mu_);
  auto [policies, by_file] = in_force_locked();
  auto sel = policy::explain_selection(policies, container_id, annotations);
  const Version* selected = sel.policy ? by_file.at(sel.policy->source_file) : nullptr;
  if (!selected || !selected->policy.files_landlock) {
    // A process of a container whose files Landlock may have decided alone
    // starts without a ruleset: the open exits first.
    if (auto it = landlock_.find(cgroup_id); it != landlock_.end()) {
      it->second.incomplete = true;
      refresh_file_hooks_locked(/*attach_only=*/true);
    }
    return std::nullopt;
  }
  const Version& v = *selected;
  auto denies = policy::landlock_denies(v.policy);  // none in audit mode: root confinement only
  bool fresh = !landlock_.count(cgroup_id);
  auto& rec = landlock_[cgroup_id];
  if (fresh) rec.from_init = init;
  // A runtime that does not report what it installed: never Landlock alone.
  if (!reports) {
    rec.incomplete = true;
    refresh_file_hooks_locked(/*attach_only=*/true);
  }
  rec.versions[v.compiled.id] = v.policy.name;
  rec.file_paths[v.compiled.id] = v.compiled.file_paths;
  rec.rules = denies.size();
  rec.at = std::chrono::steady_clock::now();
  uint64_t token = next_token_++;
  rec.pending[token] = {denies, rec.at};
  spdlog::info("container {}: Landlock ruleset of policy {} (id {}, root confinement, {} path(s)) handed to the "
               "runtime",
               container_id, v.policy.name, v.compiled.id, denies.size());
  return LandlockGrant{v.policy.name, v.compiled.id, std::move(denies), token};
}

bool PolicyEnforcer::landlock_installed(uint64_t cgroup_id, uint64_t token, bool root_confined, bool complete,
                                        uint32_t pid) {
  std::lock_guard lock(mu_);
  auto it = landlock_.find(cgroup_id);
  if (it == landlock_.end()) return false;
  auto& rec = it->second;
  auto p = rec.pending.find(token);
  if (p == rec.pending.end()) return false;
  // Its entry, seen already or still to come; a runtime that names no pid
  // (an older capsa) leaves entries unmatched: taken as its.
  if (!pid)
    rec.entered.clear();
  else if (pid == kPidUnknown)
    rec.incomplete = true;  // its entry cannot be told from a stranger's
  else if (!rec.entered.erase(pid))
    rec.reported[pid] = std::chrono::steady_clock::now();
  if (!root_confined || !complete)
    rec.incomplete = true;
  else if (std::find(rec.installed.begin(), rec.installed.end(), p->second.first) == rec.installed.end())
    rec.installed.push_back(p->second.first);
  rec.pending.erase(p);
  refresh_file_hooks_locked(/*attach_only=*/false);
  return true;
}

void PolicyEnforcer::task_entered(uint64_t cgroup_id, uint32_t pid, const char* comm) {
  std::lock_guard lock(mu_);
  auto it = landlock_.find(cgroup_id);
  if (it == landlock_.end()) return;  // its files are not Landlock's
  auto& rec = it->second;
  if (rec.reported.erase(pid)) return;
  spdlog::debug("policy: pid {} ({}) entered the cgroup of a container whose files Landlock may decide", pid,
                std::string(comm, strnlen(comm, 16)));
  rec.entered.emplace(pid, std::chrono::steady_clock::now());
  refresh_file_hooks_locked(/*attach_only=*/rec.pending.empty());
}

size_t PolicyEnforcer::landlock_containers() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [cgid, rec] : landlock_) n += bound_.count(cgid);
  return n;
}

std::optional<std::pair<uint32_t, uint32_t>> PolicyEnforcer::landlock_rule(uint64_t cgroup_id, const std::string& path,
                                                                           uint8_t access) const {
  std::lock_guard lock(mu_);
  auto rec = landlock_.find(cgroup_id);
  if (rec == landlock_.end()) return std::nullopt;
  // A ruleset of root confinement alone: its refusals are outside the root.
  if (rec->second.file_paths.empty() || rec->second.file_paths.rbegin()->second.empty())
    return std::make_pair(rec->second.file_paths.empty() ? 0u : rec->second.file_paths.rbegin()->first,
                          static_cast<uint32_t>(CAPSA_RULE_ROOT_CONFINEMENT));
  const auto& [policy_id, rules] = *rec->second.file_paths.rbegin();
  const policy::FilePath* best = nullptr;
  for (const auto& fp : rules) {
    if (fp.verdict.action < CAPSA_ACT_DENY || (access && !(fp.access & access))) continue;
    const std::string& p = fp.path.path;
    bool covers = path == p || (fp.path.prefix && (p == "/" || path.rfind(p + "/", 0) == 0));
    if (covers && (!best || p.size() > best->path.path.size())) best = &fp;
  }
  // A refusal no rule covers is one of the ruleset's side effects (creating
  // directly in a route directory): reported without a rule.
  return std::make_pair(policy_id, best ? best->verdict.rule_id : 0u);
}

std::set<uint32_t> PolicyEnforcer::syscall_rule_numbers() const {
  std::lock_guard lock(mu_);
  std::set<uint32_t> out;
  for (const auto& [file, v] : versions_)
    for (const auto& [key, verdict] : v.compiled.syscalls) out.insert(key.nr);
  return out;
}

void PolicyEnforcer::set_seccomp_coverage(std::function<std::set<uint32_t>(uint64_t)> covered) {
  std::lock_guard lock(mu_);
  seccomp_covered_ = std::move(covered);
}

std::optional<PolicyEnforcer::RuleName> PolicyEnforcer::rule_name(uint32_t policy_id, uint32_t rule_id) const {
  std::lock_guard lock(mu_);
  auto p = names_.find(policy_id);
  std::string policy = p == names_.end() ? "" : p->second.first;
  // BPF-LSM refuses what the tracepoints can only kill.
  if (rule_id == CAPSA_RULE_ROOT_CONFINEMENT)
    return RuleName{policy, "root-confinement", "root-escape", progs_.tiers().lsm ? "deny" : "kill"};
  if (rule_id == CAPSA_RULE_TASK_CONFINEMENT) return RuleName{policy, "task-confinement", "task-escape", "deny"};
  if (rule_id == CAPSA_RULE_CGROUP_CONFINEMENT) return RuleName{policy, "cgroup-confinement", "cgroup-escape", "kill"};
  if (p == names_.end()) return std::nullopt;
  auto r = p->second.second.find(rule_id);
  if (r == p->second.second.end()) return std::nullopt;
  return RuleName{p->second.first, r->second.name, r->second.kind, policy::to_string(r->second.action)};
}

nlohmann::json PolicyEnforcer::status() const {
  std::lock_guard lock(mu_);
  nlohmann::json j;
  j["policy_dir"] = dir_;
  j["tiers"] = tiers();
  size_t with_landlock = 0;
  for (const auto& [cgid, rec] : landlock_) with_landlock += bound_.count(cgid);
  if (with_landlock)
    j["tiers"]["files"] = "landlock in " + std::to_string(with_landlock) +
                          " container(s) whose policy has files.landlock: true (deny and kill rules: EACCES before "
                          "the operation; the ruleset of a process is fixed when it starts), and " +
                          j["tiers"]["files"].get<std::string>();
  if (files_by_landlock_alone_locked()) {
    j["tiers"]["files"] = "landlock (every governed container's processes hold the ruleset of its policy, "
                          "files.landlock: true; the open exits are detached, opens cost the host nothing)";
    j["tiers"]["root-confinement"] = std::string(
        "landlock (files outside the root: EACCES before the open, exec, create or unlink); unix sockets: ") +
        (progs_.tiers().unix_datagrams ? "killed at sk_data_ready as connect or send returns"
                                       : "killed as connect returns");
  }
  j["errors"] = last_errors_;
  j["policies"] = nlohmann::json::array();
  for (const auto& [file, v] : versions_) {
    auto unenforced = v.compiled.unenforced;
    if (progs_.tiers().lsm) unenforced.erase("files.create,unlink");
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& [id, r] : v.compiled.rules)
      rules.push_back({{"id", id}, {"kind", r.kind}, {"name", r.name}, {"action", policy::to_string(r.action)}});
    j["policies"].push_back({{"name", v.policy.name},
                             {"file", file},
                             {"id", v.compiled.id},
                             {"mode", policy::to_string(v.policy.mode)},
                             {"default", v.policy.is_default},
                             {"files_landlock", v.policy.files_landlock},
                             {"selector", v.policy.container_globs},
                             {"rules", rules},
                             {"unenforced", unenforced}});
  }
  std::map<uint32_t, const policy::CompiledPolicy*> by_id;
  for (const auto& [file, v] : versions_) by_id[v.compiled.id] = &v.compiled;
  auto syscall_name = [](uint32_t nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, static_cast<int>(nr));
    std::string out = name ? name : std::to_string(nr);
    ::free(name);
    return out;
  };
  // Which policy versions' Landlock rulesets the container's processes run
  // under (null: none); a version later than these cannot relax them.
  auto landlock_json = [&](uint64_t cgid) -> nlohmann::json {
    auto it = landlock_.find(cgid);
    if (it == landlock_.end()) return nullptr;
    nlohmann::json versions = nlohmann::json::array();
    for (const auto& [id, name] : it->second.versions) versions.push_back({{"policy", name}, {"policy_id", id}});
    return {{"versions", versions}, {"rules", it->second.rules}};
  };
  j["containers"] = nlohmann::json::array();
  auto versions = bound_versions_locked();
  for (const auto& [cgid, b] : bound_) {
    auto n = names_.find(b.policy_id);
    // Per syscall rule of its policy: answered by the seccomp supervisor
    // (EPERM possible), refused by a BPF-LSM hook, or left to the
    // tracepoint kill.
    nlohmann::json by_seccomp = nlohmann::json::array(), by_lsm = nlohmann::json::array(),
                   by_kill = nlohmann::json::array();
    if (auto c = by_id.find(b.policy_id); c != by_id.end()) {
      auto covered = seccomp_covered_ ? seccomp_covered_(cgid) : std::set<uint32_t>{};
      for (const auto& [key, verdict] : c->second->syscalls) {
        auto& list = covered.count(key.nr)                                   ? by_seccomp
                     : progs_.tiers().lsm && policy::lsm_syscall(key.nr) ? by_lsm
                                                                         : by_kill;
        list.push_back(syscall_name(key.nr));
      }
    }
    auto version = versions.find(cgid);
    bool by_landlock = version != versions.end() && files_by_landlock_locked(cgid, version->second);
    j["containers"].push_back({{"id", b.container_id},
                               {"cgroup_id", cgid},
                               {"policy", n == names_.end() ? "" : n->second.first},
                               {"policy_id", b.policy_id},
                               {"selected_by", b.reason},
                               {"syscalls", {{"seccomp-notify", by_seccomp}, {"bpf-lsm", by_lsm}, {"tracepoint-kill", by_kill}}},
                               {"landlock", landlock_json(cgid)},
                               {"files_by", by_landlock ? "landlock" : progs_.tiers().lsm ? "bpf-lsm" : "tracepoint-kill"},
                               {"missing_exec_paths", b.missing_exec_paths},
                               {"missing_file_paths", b.missing_file_paths}});
  }
  return j;
}

uint64_t PolicyEnforcer::reloads_ok() const {
  std::lock_guard lock(mu_);
  return reloads_ok_;
}

uint64_t PolicyEnforcer::reloads_failed() const {
  std::lock_guard lock(mu_);
  return reloads_failed_;
}

}  // namespace capsa::daemon
