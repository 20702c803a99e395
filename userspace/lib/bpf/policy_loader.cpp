#include "bpf/policy_loader.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <seccomp.h>
#include <unistd.h>

#include <cstring>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "bpf/libbpf_util.h"
#include "bpf/pinned_map_upgrade.h"
#include "bpf/tracefs.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "policy/syscall_abi.h"
#include "policy.skel.h"
#include "policy_lsm.skel.h"

namespace capsa::bpf {

namespace {

bool is_cgroup_program(bpf_program* prog) {
  switch (bpf_program__type(prog)) {
    case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
    case BPF_PROG_TYPE_CGROUP_SYSCTL:
    case BPF_PROG_TYPE_CGROUP_DEVICE:
      return true;
    default:
      return false;
  }
}

// Attached by set_syscall_hooks() while a policy needs them.
bool is_on_demand(const std::string& name) {
  return name == "capsa_policy_sys_enter" || name == "capsa_policy_doomed";
}

// The raw sys_exit program that stands in for the per-syscall exits.
constexpr const char* kRawSysExit = "capsa_policy_sys_exit";

// The per-syscall exit tracepoints: the open calls' and connect's.
bool is_syscall_exit(bpf_program* prog) { return bpf_program__type(prog) == BPF_PROG_TYPE_TRACEPOINT; }

constexpr const char* kConnectExit = "capsa_exit_connect";

// The open calls' exits (either build): what set_file_hooks() attaches.
bool is_open_exit(bpf_program* prog) {
  return is_syscall_exit(prog) && bpf_program__name(prog) != std::string_view(kConnectExit);
}

// The open exits built on direct loads (bpf/file_walk_direct.bpf.h).
bool is_direct_exit(bpf_program* prog) {
  return std::string_view(bpf_program__name(prog)).starts_with("capsa_direct_exit_");
}

// Both builds are pinned (and named in metrics) as the probe-read one:
// "capsa_exit_openat" whichever the kernel runs.
std::string exit_pin_name(bpf_program* prog) {
  std::string name = bpf_program__name(prog);
  constexpr std::string_view kDirect = "capsa_direct_exit_";
  if (name.starts_with(kDirect)) name = "capsa_exit_" + name.substr(kDirect.size());
  return name;
}

bool kernel_btf_has(const char* name, uint32_t kind) {
  struct btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return false;
  bool found = btf__find_by_name_kind(vmlinux, name, kind) > 0;
  btf__free(vmlinux);
  return found;
}

// bpf_rdonly_cast() came with Linux 6.2; the direct-load exits need it.
bool kernel_has_rdonly_cast() { return kernel_btf_has("bpf_rdonly_cast", BTF_KIND_FUNC); }

// The native numbers of i386 and x32 calls, for the syscall rules
// (pol_compat_nr, bpf/policy.h): written before any program is attached.
void fill_compat_nrs(int fd) {
  for (uint32_t i = 0; i < CAPSA_COMPAT_NRS; ++i) {
    int native = i < CAPSA_COMPAT_X32_BASE
                     ? policy::native_syscall_nr(SCMP_ARCH_X86, static_cast<int>(i))
                     : policy::native_syscall_nr(SCMP_ARCH_X86_64, static_cast<int>(CAPSA_X32_SYSCALL_BIT | i));
    uint32_t v = native < 0 ? 0 : static_cast<uint32_t>(native) + 1;
    if (bpf_map_update_elem(fd, &i, &v, BPF_ANY) != 0) throw_sys("write BPF map pol_compat_nr");
  }
}

// The sk_data_ready tracepoint came with Linux 6.3.
bool kernel_has_sk_data_ready() { return kernel_btf_has("btf_trace_sk_data_ready", BTF_KIND_TYPEDEF); }

constexpr const char* kUnixDatagram = "capsa_unix_datagram";

// Loads one build of the open exits: by direct loads where the kernel
// allows, else by BPF_CORE_READ. The other is not loaded at all.
void choose_open_exits(bpf_object* obj) {
  bool direct = kernel_has_rdonly_cast();
  struct bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    if (!is_syscall_exit(prog)) continue;
    // Exits with no direct-load twin (the connect check) are always loaded.
    std::string name = bpf_program__name(prog);
    bool has_twin = is_direct_exit(prog) ||
                    bpf_object__find_program_by_name(obj, ("capsa_direct_" + name.substr(6)).c_str()) != nullptr;
    if (has_twin) bpf_program__set_autoload(prog, is_direct_exit(prog) == direct);
  }
  if (!direct) spdlog::info("this kernel has no bpf_rdonly_cast(): opened files are checked by probe reads (slower)");
}

bool pinned(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

}  // namespace

// The open calls' exit tracepoints, all of them or (where tracefs is
// missing and cannot be mounted) the raw sys_exit program instead: that one
// runs on every syscall exit of every task, the per-syscall ones only on
// the opens. Pins of whichever is not in use, left by an earlier capsad,
// are removed once the other is attached.
void PolicyProgs::attach_exits(const std::string& links_dir) {
  // The open exits stay only where an earlier capsad had them in force
  // (taken over without a gap); otherwise they are attached here to learn
  // that they can be, and then left to the first set_file_hooks().
  bool earlier_opens = pinned(links_dir + "/capsa_exit_openat");
  std::vector<std::pair<bpf_link*, std::string>> attached;
  std::string failure = ensure_tracefs_mounted();
  struct bpf_program* prog;
  if (failure.empty()) bpf_object__for_each_program(prog, skel_->obj) {
    if (!is_syscall_exit(prog) || !bpf_program__autoload(prog)) continue;
    bpf_link* link = bpf_program__attach(prog);
    if (!link) {
      failure = std::string(bpf_program__name(prog)) + ": " + errno_text(errno);
      break;
    }
    attached.emplace_back(link, exit_pin_name(prog));
  }
  std::vector<std::string> stale;
  if (failure.empty()) {
    for (auto& [link, name] : attached) {
      bool open = name != kConnectExit;
      if (open && !earlier_opens) {
        bpf_link__destroy(link);
        ::unlink((links_dir + "/" + name).c_str());  // a stray of a capsad killed while attaching them
        continue;
      }
      (open ? file_exits_ : links_).push_back(link);
      pin_link(link, links_dir, name);
    }
    stale.push_back(kRawSysExit);
  } else {
    for (auto& [link, name] : attached) bpf_link__destroy(link);
    spdlog::warn("per-syscall exit tracepoints unavailable ({}): opened files are decided on every syscall exit",
                 failure);
    tiers_.per_syscall_exits = false;
    bpf_link* link = bpf_program__attach(skel_->progs.capsa_policy_sys_exit);
    if (!link) throw_bpf(std::string("attach BPF program ") + kRawSysExit, -errno);
    links_.push_back(link);
    pin_link(link, links_dir, kRawSysExit);
    bpf_object__for_each_program(prog, skel_->obj) {
      if (is_syscall_exit(prog) && bpf_program__autoload(prog)) stale.push_back(exit_pin_name(prog));
    }
  }
  for (const auto& name : stale) ::unlink((links_dir + "/" + name).c_str());
}

void PolicyProgs::hook_unix_datagrams(const std::string& links_dir, bool on) {
  bpf_program* prog = skel_->progs.capsa_unix_datagram;
  if (!on || !bpf_program__autoload(prog)) {
    ::unlink((links_dir + "/" + kUnixDatagram).c_str());
    return;
  }
  bpf_link* link = bpf_program__attach(prog);
  if (!link) throw_bpf(std::string("attach BPF program ") + kUnixDatagram, -errno);
  links_.push_back(link);
  pin_link(link, links_dir, kUnixDatagram);
  tiers_.unix_datagrams = true;
}

void PolicyProgs::unpin_exits(const std::string& links_dir, bool opens_only) {
  struct bpf_program* prog;
  bpf_object__for_each_program(prog, skel_->obj) {
    if (opens_only ? is_open_exit(prog)
                   : is_syscall_exit(prog) || bpf_program__name(prog) == std::string_view(kRawSysExit))
      ::unlink((links_dir + "/" + exit_pin_name(prog)).c_str());
  }
}

void PolicyProgs::hook(bpf_program* prog, bpf_link*& link, bool on) {
  std::string name = bpf_program__name(prog);
  std::string path = links_dir_ + "/" + name;
  if (on && !link) {
    bpf_link* l = bpf_program__attach(prog);
    if (!l) throw_bpf("attach BPF program " + name, -errno);
    try {
      pin_link(l, links_dir_, name);
    } catch (...) {
      bpf_link__destroy(l);
      throw;
    }
    link = l;
    spdlog::info("attached {}: a policy in force needs it", name);
  } else if (!on && (link || pinned(path))) {
    // The pin first: once our fd goes too, nothing holds the link.
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_sys("unpin BPF link " + path);
    if (link) bpf_link__destroy(std::exchange(link, nullptr));
    spdlog::info("detached {}: no policy in force needs it", name);
  }
}

void PolicyProgs::set_file_hooks(bool on) {
  if (tiers_.lsm || !tiers_.per_syscall_exits || on == !file_exits_.empty()) return;
  struct bpf_program* prog;
  if (on) {
    std::vector<bpf_link*> attached;
    try {
      bpf_object__for_each_program(prog, skel_->obj) {
        if (!is_open_exit(prog) || !bpf_program__autoload(prog)) continue;
        bpf_link* link = bpf_program__attach(prog);
        if (!link) throw_bpf(std::string("attach BPF program ") + bpf_program__name(prog), -errno);
        attached.push_back(link);
        pin_link(link, links_dir_, exit_pin_name(prog));
      }
    } catch (const Error& e) {
      for (auto* l : attached) bpf_link__destroy(l);
      unpin_exits(links_dir_, /*opens_only=*/true);
      // Files must still be decided: by the raw sys_exit program, on every
      // syscall exit (it kills condemned tasks too), for good.
      spdlog::error("the open exits could not be attached ({}): opened files are decided on every syscall exit",
                    e.what());
      bpf_link* raw = bpf_program__attach(skel_->progs.capsa_policy_sys_exit);
      if (!raw) throw_bpf(std::string("attach BPF program ") + kRawSysExit, -errno);
      links_.push_back(raw);
      pin_link(raw, links_dir_, kRawSysExit);
      tiers_.per_syscall_exits = false;
      return;
    }
    file_exits_ = std::move(attached);
    spdlog::info("attached the open exits: a governed container's files are not all decided by Landlock");
    return;
  }
  // Pins first: once our fds go too, nothing holds the links.
  unpin_exits(links_dir_, /*opens_only=*/true);
  for (auto* l : file_exits_) bpf_link__destroy(l);
  file_exits_.clear();
  spdlog::info("detached the open exits: every governed container's files are decided by Landlock");
}

void PolicyProgs::set_syscall_hooks(bool syscall_rules, bool doomed_kills) {
  hook(skel_->progs.capsa_policy_sys_enter, sys_enter_, syscall_rules);
  // The raw sys_exit fallback kills condemned tasks itself.
  bool want_doomed = doomed_kills && tiers_.per_syscall_exits;
  bool had_doomed = doomed_ != nullptr;
  hook(skel_->progs.capsa_policy_doomed, doomed_, want_doomed);
  if (had_doomed && !doomed_) {
    // Entries left now would kill whichever task reuses the id once the
    // hook is back.
    int fd = bpf_map__fd(skel_->maps.pol_doomed);
    std::vector<uint64_t> keys;
    for_each_key<uint64_t>(fd, [&](uint64_t k) { keys.push_back(k); });
    for (auto k : keys) bpf_map_delete_elem(fd, &k);
  }
}

// Loads and attaches the BPF-LSM programs over the maps policy.bpf.c pinned.
// Throws (leaving nothing attached) where the kernel refuses them.
void PolicyProgs::load_lsm(const std::string& maps_dir, const std::string& links_dir, uint32_t fowners_per_container) {
  lsm_skel_ = policy_lsm_bpf__open();
  if (!lsm_skel_) throw_bpf("open BPF object policy_lsm", -errno);
  lsm_skel_->rodata->fowners_per_container = fowners_per_container;
  if (!kernel_btf_has("bpf_lsm_file_ioctl_compat", BTF_KIND_FUNC))
    bpf_program__set_autoload(lsm_skel_->progs.capsa_lsm_file_ioctl_compat, false);
  auto pins = PinnedMapUpgrade::set_map_pins(lsm_skel_->obj, maps_dir);
  if (int err = policy_lsm_bpf__load(lsm_skel_)) throw_bpf("load the BPF-LSM programs", err);
  pins.carry_over_and_pin();
  std::vector<std::pair<bpf_link*, std::string>> attached;
  struct bpf_program* prog;
  bpf_object__for_each_program(prog, lsm_skel_->obj) {
    if (!bpf_program__autoload(prog)) continue;
    bpf_link* link = bpf_program__attach(prog);
    if (!link) {
      int err = -errno;
      for (auto& [l, n] : attached) bpf_link__destroy(l);
      throw_bpf(std::string("attach BPF-LSM program ") + bpf_program__name(prog), err);
    }
    attached.emplace_back(link, bpf_program__name(prog));
  }
  // Pinned only once every hook is in: all of the tier or none of it.
  for (auto& [link, name] : attached) {
    links_.push_back(link);
    pin_link(link, links_dir, name);
  }
}

void PolicyProgs::unpin_lsm(const std::string& links_dir) {
  // Opened, never loaded: only its program names are wanted.
  policy_lsm_bpf* skel = policy_lsm_bpf__open();
  if (!skel) throw_bpf("open BPF object policy_lsm", -errno);
  struct bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) ::unlink((links_dir + "/" + bpf_program__name(prog)).c_str());
  policy_lsm_bpf__destroy(skel);
}

void PolicyProgs::set_config(uint32_t flags) {
  uint32_t zero = 0;
  capsa_policy_config cfg{flags};
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.pol_config), &zero, &cfg, BPF_ANY) != 0)
    throw_sys("write BPF map pol_config");
}

PolicyProgs PolicyProgs::load_and_pin(const std::string& pin_root, const std::string& cgroup2_root,
                                      LsmUse lsm, uint32_t fowners_per_container) {
  route_libbpf_log();
  auto dirs = prepare_pin_dirs(pin_root);

  PolicyProgs p;
  p.skel_ = policy_bpf__open();
  if (!p.skel_) throw_bpf("open BPF object policy", -errno);
  // The maps policy_lsm.bpf.c shares are pinned anew before it loads.
  auto pins = PinnedMapUpgrade::set_map_pins(p.skel_->obj, dirs.maps);
  choose_open_exits(p.skel_->obj);
  if (!kernel_has_sk_data_ready()) {
    bpf_program__set_autoload(p.skel_->progs.capsa_unix_datagram, false);
    spdlog::info("this kernel has no sk_data_ready tracepoint: unix datagrams sent to an address are not checked "
                 "without BPF-LSM, unix connects are judged at connect's syscall exit");
  } else {
    // Connects are judged where datagrams are (capsa_unix_datagram).
    bpf_program__set_autoload(p.skel_->progs.capsa_exit_connect, false);
  }
  if (int err = policy_bpf__load(p.skel_)) throw_bpf("load BPF programs (policy)", err);
  pins.carry_over_and_pin();
  // Maps this version no longer has (pol_sc_notify: the set of syscalls the
  // sys_enter kill left to any listener, see pol_sc_answered). An earlier
  // capsad's programs keep theirs until our links replace them.
  for (const char* retired : {"pol_sc_notify"}) ::unlink((dirs.maps + "/" + retired).c_str());
  fill_compat_nrs(bpf_map__fd(p.skel_->maps.pol_compat_nr));

  UniqueFd cgroup_root;
  if (cgroup2_root.empty()) {
    p.tiers_.cgroup_hooks = "none: this host has no cgroup v2 hierarchy to attach cgroup-bpf programs to";
  } else {
    cgroup_root.reset(::open(cgroup2_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cgroup_root) throw_sys("open the cgroup v2 root " + cgroup2_root);
    p.tiers_.cgroup_hooks = "cgroup-bpf";
  }
  p.tiers_.tracepoints = "tracepoint-kill";

  p.links_dir_ = dirs.links;
  struct bpf_program* prog;
  bpf_object__for_each_program(prog, p.skel_->obj) {
    std::string name = bpf_program__name(prog);
    struct bpf_link* link = nullptr;
    if (is_on_demand(name) || is_syscall_exit(prog) || name == kRawSysExit || name == kUnixDatagram) continue;
    if (is_cgroup_program(prog)) {
      if (!cgroup_root) continue;
      link = bpf_program__attach_cgroup(prog, cgroup_root.get());
    } else {
      link = bpf_program__attach(prog);
    }
    if (!link) throw_bpf("attach BPF program " + name, -errno);
    p.links_.push_back(link);
    pin_link(link, dirs.links, name);
  }
  // An earlier capsad's raw sys_exit (which also killed condemned tasks)
  // is replaced by the per-syscall exits below.
  bool had_raw_exit = pinned(dirs.links + "/" + kRawSysExit);
  if (lsm == LsmUse::kNever) {
    p.tiers_.lsm_error = "not loaded (capsad --no-lsm)";
    spdlog::info("BPF-LSM tier not loaded (--no-lsm): files and exec are decided by tracepoint kills");
  } else try {
    p.load_lsm(dirs.maps, dirs.links, fowners_per_container);
    p.tiers_.lsm = true;
  } catch (const MapCarryOverFailed&) {
    if (p.lsm_skel_) policy_lsm_bpf__destroy(std::exchange(p.lsm_skel_, nullptr));
    throw;
  } catch (const Error& e) {
    if (p.lsm_skel_) policy_lsm_bpf__destroy(std::exchange(p.lsm_skel_, nullptr));
    if (lsm == LsmUse::kRequire) throw Error(std::string(e.what()) + " (--require-lsm)", e.sys_errno());
    p.tiers_.lsm_error = e.what();
    spdlog::warn("BPF-LSM tier unavailable, files and exec fall back to tracepoint kills: {}", e.what());
  }
  // Under BPF-LSM, file_open and the unix socket hooks have decided every
  // open and connect before it returns: the exits would only look and leave,
  // yet each open on the host would pay for the tracepoint. An earlier
  // capsad's exits go once the LSM hooks are in.
  if (p.tiers_.lsm) {
    p.unpin_exits(dirs.links);
  } else {
    p.attach_exits(dirs.links);
  }
  p.hook_unix_datagrams(dirs.links, !p.tiers_.lsm);
  // Connects are judged at sk_data_ready now that it is in: an earlier
  // capsad's connect exit goes.
  if (!bpf_program__autoload(p.skel_->progs.capsa_exit_connect))
    ::unlink((dirs.links + "/" + kConnectExit).c_str());
  // An earlier capsad's on-demand hooks stay in force (ours replace them
  // without a gap) until the first set_syscall_hooks() decides.
  if (pinned(dirs.links + "/capsa_policy_sys_enter"))
    p.hook(p.skel_->progs.capsa_policy_sys_enter, p.sys_enter_, true);
  if (pinned(dirs.links + "/capsa_policy_doomed") || had_raw_exit || !p.tiers_.per_syscall_exits)
    p.hook(p.skel_->progs.capsa_policy_doomed, p.doomed_, p.tiers_.per_syscall_exits);
  p.set_config(p.tiers_.lsm ? CAPSA_CFG_LSM_FILES | CAPSA_CFG_LSM_SYSCALLS : 0u);
  // Only now do our programs stop standing back for the LSM hooks (the
  // pinned config said an earlier capsad's decide): theirs may go. Where
  // this capsad's failed to load, an earlier one's go too: they may judge
  // with maps this one no longer writes (replaced on upgrade), and the tier
  // reported is the one in force.
  if (!p.tiers_.lsm) unpin_lsm(dirs.links);
  p.ring_ = std::make_unique<EventRing<capsa_policy_event>>(bpf_map__fd(p.skel_->maps.pol_events), "the policy events ring buffer");
  return p;
}

PolicyProgs::PolicyProgs(PolicyProgs&& o) noexcept
    : skel_(std::exchange(o.skel_, nullptr)),
      lsm_skel_(std::exchange(o.lsm_skel_, nullptr)),
      ring_(std::move(o.ring_)),
      links_(std::move(o.links_)),
      links_dir_(std::move(o.links_dir_)),
      sys_enter_(std::exchange(o.sys_enter_, nullptr)),
      doomed_(std::exchange(o.doomed_, nullptr)),
      file_exits_(std::move(o.file_exits_)),
      tiers_(std::move(o.tiers_)) {}

PolicyProgs::~PolicyProgs() {
  ring_.reset();
  if (sys_enter_) links_.push_back(sys_enter_);
  if (doomed_) links_.push_back(doomed_);
  links_.insert(links_.end(), file_exits_.begin(), file_exits_.end());
  release_links(links_);
  if (lsm_skel_) policy_lsm_bpf__destroy(lsm_skel_);
  if (skel_) policy_bpf__destroy(skel_);
}

int PolicyProgs::bindings_fd() const { return bpf_map__fd(skel_->maps.pol_bindings); }
int PolicyProgs::defaults_fd() const { return bpf_map__fd(skel_->maps.pol_defaults); }
int PolicyProgs::exec_fd() const { return bpf_map__fd(skel_->maps.pol_exec); }
int PolicyProgs::files_fd() const { return bpf_map__fd(skel_->maps.pol_files); }
int PolicyProgs::net_fd() const { return bpf_map__fd(skel_->maps.pol_net); }
int PolicyProgs::sysctl_fd() const { return bpf_map__fd(skel_->maps.pol_sysctl); }
int PolicyProgs::dev_fd() const { return bpf_map__fd(skel_->maps.pol_dev); }
int PolicyProgs::syscall_fd() const { return bpf_map__fd(skel_->maps.pol_syscall); }
int PolicyProgs::hits_fd() const { return bpf_map__fd(skel_->maps.pol_hits); }
int PolicyProgs::seccomp_answered_fd() const { return bpf_map__fd(skel_->maps.pol_sc_answered); }
int PolicyProgs::fowners_fd() const { return lsm_skel_ ? bpf_map__fd(lsm_skel_->maps.pol_fowners) : -1; }
int PolicyProgs::copy_counts_fd() const { return bpf_map__fd(skel_->maps.pol_copy_counts); }

uint64_t PolicyProgs::container_cgroup(uint64_t cgroup_id) const {
  capsa_binding b{};
  if (cgroup_id && bpf_map_lookup_elem(bindings_fd(), &cgroup_id, &b) == 0 && (b.flags & CAPSA_BIND_COPY)) return b.home;
  return cgroup_id;
}
int PolicyProgs::fowner_counts_fd() const {
  return lsm_skel_ ? bpf_map__fd(lsm_skel_->maps.pol_fowner_counts) : -1;
}

void PolicyProgs::count_hit(const capsa_hit_key& key) const {
  std::lock_guard lock(user_hits_mu_);
  int fd = user_hits_fd();
  uint64_t n = 0;
  bpf_map_lookup_elem(fd, &key, &n);
  ++n;
  if (bpf_map_update_elem(fd, &key, &n, BPF_ANY) != 0) spdlog::warn("count a hit in pol_hits_user: {}", errno_text(errno));
}

int PolicyProgs::user_hits_fd() const { return bpf_map__fd(skel_->maps.pol_hits_user); }

std::map<std::tuple<uint64_t, uint32_t, uint32_t>, uint64_t> PolicyProgs::read_hits() const {
  std::map<std::tuple<uint64_t, uint32_t, uint32_t>, uint64_t> out;
  int fd = hits_fd();
  std::vector<uint64_t> values(static_cast<size_t>(possible_cpus()));
  for_each_key<capsa_hit_key>(fd, [&](const capsa_hit_key& k) {
    if (bpf_map_lookup_elem(fd, &k, values.data()) != 0) return;
    uint64_t sum = 0;
    for (auto v : values) sum += v;
    out[{k.cgroup_id, k.policy_id, k.rule_id}] = sum;
  });
  int user = user_hits_fd();
  for_each_key<capsa_hit_key>(user, [&](const capsa_hit_key& k) {
    uint64_t n = 0;
    if (bpf_map_lookup_elem(user, &k, &n) == 0) out[{k.cgroup_id, k.policy_id, k.rule_id}] += n;
  });
  return out;
}

std::array<uint64_t, CAPSA_PSTAT_MAX> PolicyProgs::read_stats() const {
  std::array<uint64_t, CAPSA_PSTAT_MAX> out{};
  int fd = bpf_map__fd(skel_->maps.pol_stats);
  std::vector<uint64_t> values(static_cast<size_t>(possible_cpus()));
  for (uint32_t i = 0; i < CAPSA_PSTAT_MAX; ++i) {
    if (bpf_map_lookup_elem(fd, &i, values.data()) != 0) throw_sys("read BPF map pol_stats");
    for (auto v : values) out[i] += v;
  }
  return out;
}

int PolicyProgs::poll_events(int timeout_ms, const std::function<void(const capsa_policy_event&)>& fn) {
  return ring_->poll(timeout_ms, fn);
}

}  // namespace capsa::bpf
