#include "bpf/policy_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>

#include <utility>

#include <spdlog/spdlog.h>

#include "bpf/libbpf_util.h"
#include "common/error.h"
#include "common/unique_fd.h"
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

}  // namespace

// Loads and attaches the BPF-LSM programs over the maps policy.bpf.c pinned.
// Throws (leaving nothing attached) where the kernel refuses them.
void PolicyProgs::load_lsm(const std::string& maps_dir, const std::string& links_dir) {
  lsm_skel_ = policy_lsm_bpf__open();
  if (!lsm_skel_) throw_bpf("open BPF object policy_lsm", -errno);
  set_map_pins(lsm_skel_->obj, maps_dir);
  if (int err = policy_lsm_bpf__load(lsm_skel_)) throw_bpf("load the BPF-LSM programs", err);
  std::vector<std::pair<bpf_link*, std::string>> attached;
  struct bpf_program* prog;
  bpf_object__for_each_program(prog, lsm_skel_->obj) {
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

void PolicyProgs::set_config(uint32_t flags) {
  uint32_t zero = 0;
  capsa_policy_config cfg{flags};
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.pol_config), &zero, &cfg, BPF_ANY) != 0)
    throw_sys("write BPF map pol_config");
}

PolicyProgs PolicyProgs::load_and_pin(const std::string& pin_root, const std::string& cgroup2_root,
                                      bool require_lsm) {
  route_libbpf_log();
  auto dirs = prepare_pin_dirs(pin_root);

  PolicyProgs p;
  p.skel_ = policy_bpf__open();
  if (!p.skel_) throw_bpf("open BPF object policy", -errno);
  set_map_pins(p.skel_->obj, dirs.maps);
  if (int err = policy_bpf__load(p.skel_))
    throw Error("load BPF programs (policy): " + errno_text(-err) + " (a map pinned by another capsad version under " +
                    dirs.maps + " may be incompatible: `capsad --unpin` removes it)",
                -err);

  UniqueFd cgroup_root;
  if (cgroup2_root.empty()) {
    p.tiers_.cgroup_hooks = "none: this host has no cgroup v2 hierarchy to attach cgroup-bpf programs to";
  } else {
    cgroup_root.reset(::open(cgroup2_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cgroup_root) throw_sys("open the cgroup v2 root " + cgroup2_root);
    p.tiers_.cgroup_hooks = "cgroup-bpf";
  }
  p.tiers_.tracepoints = "tracepoint-kill";

  struct bpf_program* prog;
  bpf_object__for_each_program(prog, p.skel_->obj) {
    std::string name = bpf_program__name(prog);
    struct bpf_link* link = nullptr;
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
  try {
    p.load_lsm(dirs.maps, dirs.links);
    p.tiers_.lsm = true;
  } catch (const Error& e) {
    if (p.lsm_skel_) policy_lsm_bpf__destroy(std::exchange(p.lsm_skel_, nullptr));
    if (require_lsm) throw Error(std::string(e.what()) + " (--require-lsm)", e.sys_errno());
    p.tiers_.lsm_error = e.what();
    spdlog::warn("BPF-LSM tier unavailable, files and exec fall back to tracepoint kills: {}", e.what());
  }
  p.set_config(p.tiers_.lsm ? CAPSA_CFG_LSM_FILES : 0u);
  p.ring_ = std::make_unique<EventRing<capsa_policy_event>>(bpf_map__fd(p.skel_->maps.pol_events), "the policy events ring buffer");
  return p;
}

PolicyProgs::PolicyProgs(PolicyProgs&& o) noexcept
    : skel_(std::exchange(o.skel_, nullptr)),
      lsm_skel_(std::exchange(o.lsm_skel_, nullptr)),
      ring_(std::move(o.ring_)),
      links_(std::move(o.links_)),
      tiers_(std::move(o.tiers_)) {}

PolicyProgs::~PolicyProgs() {
  ring_.reset();
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
int PolicyProgs::seccomp_notify_fd() const { return bpf_map__fd(skel_->maps.pol_sc_notify); }

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
