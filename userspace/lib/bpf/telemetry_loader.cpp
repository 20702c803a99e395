#include "bpf/telemetry_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cstring>
#include <iterator>
#include <memory>
#include <utility>

#include <spdlog/spdlog.h>

#include "bpf/container_map.h"
#include "bpf/libbpf_util.h"
#include "bpf/pinned_map_upgrade.h"
#include "common/error.h"
#include "common/file_util.h"
#include "telemetry.skel.h"

namespace capsa::bpf {

namespace {

// Per-CPU values are laid out one 8-byte-aligned slot per possible CPU.
template <typename T>
std::vector<T> percpu_buffer() {
  static_assert(sizeof(T) % 8 == 0, "per-CPU values must be 8-byte multiples");
  return std::vector<T>(static_cast<size_t>(possible_cpus()));
}

}  // namespace

namespace {

bool kernel_has_cgroup_storage() {
  // BPF_MAP_TYPE_CGRP_STORAGE: Debian 12's UAPI headers (Linux 6.1) lack the name.
  constexpr auto kCgrpStorage = static_cast<enum bpf_map_type>(32);
  return libbpf_probe_bpf_map_type(kCgrpStorage, nullptr) == 1;
}

}  // namespace

namespace {

// The kernel refused the programs with the copy look-up in sys_enter.
struct CopiesInSysEnterRefused : Error {
  using Error::Error;
};

}  // namespace

Telemetry Telemetry::load_and_pin(const std::string& pin_root, bool count_syscalls) {
  try {
    return load_and_pin(pin_root, count_syscalls, /*copies_in_sys_enter=*/true);
  } catch (const CopiesInSysEnterRefused& e) {
    // Refused for another reason (a pinned map of another version), the
    // second load fails the same way and says so.
    spdlog::warn("telemetry: {}; loading sys_enter without the look-up of cgroups containers made beneath their "
                 "own (the verifier of Linux 6.2 and 6.3 refuses it): their tasks' system calls go uncounted",
                 e.what());
    return load_and_pin(pin_root, count_syscalls, /*copies_in_sys_enter=*/false);
  }
}

Telemetry Telemetry::load_and_pin(const std::string& pin_root, bool count_syscalls, bool copies_in_sys_enter) {
  route_libbpf_log();
  auto dirs = prepare_pin_dirs(pin_root);

  Telemetry t;
  t.skel_ = telemetry_bpf__open();
  if (!t.skel_) throw_bpf("open BPF object telemetry", -errno);
  auto pins = PinnedMapUpgrade::set_map_pins(t.skel_->obj, dirs.maps);
  // Cgroup storage maps came with Linux 6.2; before, containers are told
  // apart by a lookup of the cgroup id (slower for every host syscall).
  if (!kernel_has_cgroup_storage()) {
    spdlog::info("telemetry: this kernel has no cgroup storage maps; containers' syscalls are counted by cgroup id");
  } else {
    // Reading a mark takes the cgroup's fd, opened by id on the v2 mount: a
    // host without one (pure v1) can only count by id.
    try {
      t.cgroup2_ = open_cgroup2_mount();
    } catch (const Error& e) {
      spdlog::info("telemetry: {}; containers' syscalls are counted by cgroup id", e.what());
    }
  }
  t.cgroup_marks_ = static_cast<bool>(t.cgroup2_);
  auto* progs = &t.skel_->progs;
  if (t.cgroup_marks_) {
    // The marks hold the syscall counts: the by-id hash is not needed.
    bpf_program__set_autoload(progs->capsa_sys_enter_by_id, false);
    bpf_program__set_autoload(progs->capsa_cgroup_made_by_id, false);
    bpf_program__set_autoload(copies_in_sys_enter ? progs->capsa_sys_enter_own_marks : progs->capsa_sys_enter, false);
    bpf_map__set_autocreate(t.skel_->maps.syscall_counts, false);
    bpf_map__set_autocreate(t.skel_->maps.syscall_counts_zero, false);
  } else {
    bpf_program__set_autoload(progs->capsa_sys_enter, false);
    bpf_program__set_autoload(progs->capsa_sys_enter_own_marks, false);
    bpf_program__set_autoload(progs->capsa_cgroup_made, false);
    bpf_map__set_autocreate(t.skel_->maps.container_cgroups, false);
    bpf_map__set_autocreate(t.skel_->maps.copy_cgroups, false);
  }
  t.count_syscalls_ = count_syscalls;
  if (!count_syscalls) {
    for (auto* prog : {progs->capsa_sys_enter, progs->capsa_sys_enter_own_marks, progs->capsa_sys_enter_by_id})
      bpf_program__set_autoload(prog, false);
    spdlog::info("telemetry: system calls are not counted (--no-syscall-counts)");
  }
  if (int err = telemetry_bpf__load(t.skel_)) {
    std::string what = "load BPF programs (telemetry): " + errno_text(-err);
    if (bpf_program__autoload(progs->capsa_sys_enter)) throw CopiesInSysEnterRefused(what, -err);
    throw Error(what, -err);
  }
  pins.carry_over_and_pin();

  struct bpf_program* prog;
  bpf_object__for_each_program(prog, t.skel_->obj) {
    if (!bpf_program__autoload(prog)) continue;
    std::string name = bpf_program__name(prog);
    struct bpf_link* link = bpf_program__attach(prog);
    if (!link) throw_bpf("attach BPF program " + name, -errno);
    t.links_.push_back(link);
    pin_link(link, dirs.links, name);
  }
  // An earlier capsad's link of a program this one left out (another
  // variant, or syscalls no longer counted) would go on counting.
  bpf_object__for_each_program(prog, t.skel_->obj) {
    if (!bpf_program__autoload(prog)) ::unlink((dirs.links + "/" + bpf_program__name(prog)).c_str());
  }
  t.ring_ = std::make_unique<EventRing<capsa_event>>(bpf_map__fd(t.skel_->maps.events), "the events ring buffer");
  return t;
}

void Telemetry::unpin_all(const std::string& pin_root) { remove_tree(pin_root); }

Telemetry::Telemetry(Telemetry&& o) noexcept
    : skel_(std::exchange(o.skel_, nullptr)),
      ring_(std::move(o.ring_)),
      links_(std::move(o.links_)),
      cgroup_marks_(o.cgroup_marks_),
      count_syscalls_(o.count_syscalls_),
      cgroup2_(std::move(o.cgroup2_)),
      quota_told_(std::move(o.quota_told_)) {}

Telemetry::~Telemetry() {
  ring_.reset();
  release_links(links_);
  if (skel_) telemetry_bpf__destroy(skel_);
}

std::map<uint64_t, capsa_counters> Telemetry::read_counters(std::map<uint64_t, SyscallCounts>* by_nr) const {
  static_assert(sizeof(capsa_counters) % 8 == 0, "per-CPU values must be 8-byte multiples");
  std::map<uint64_t, capsa_counters> out;
  const size_t cpus = static_cast<size_t>(possible_cpus());
  for_each_entry(bpf_map__fd(skel_->maps.counters), sizeof(uint64_t), cpus * sizeof(capsa_counters),
                 [&](const void* key, const void* value) {
                   uint64_t cgid;
                   std::memcpy(&cgid, key, sizeof cgid);
                   capsa_counters sum{};
                   for (size_t cpu = 0; cpu < cpus; ++cpu) {
                     capsa_counters v;
                     std::memcpy(&v, static_cast<const char*>(value) + cpu * sizeof v, sizeof v);
                     sum.syscalls += v.syscalls;
                     sum.execs += v.execs;
                     sum.forks += v.forks;
                     sum.exits += v.exits;
                   }
                   out[cgid] = sum;
                 },
                 "counters");
  auto add_syscalls = [&](uint64_t cgid, SyscallCounts sum) {
    uint64_t total = 0;
    for (auto n : sum) total += n;
    out[cgid].syscalls = total;
    if (by_nr) (*by_nr)[cgid] = std::move(sum);
  };
  if (cgroup_marks_) {
    // A registered container's counts are in its cgroup's mark; a cgroup
    // without one (a runtime older than the marks registered it, and no
    // sync has marked it yet) has counted nothing.
    auto mark = std::make_unique<capsa_container_mark>();
    for (uint64_t cgid : container_cgroups()) {
      if (!read_container_mark(bpf_map__fd(skel_->maps.container_cgroups), cgroup2_.get(), cgid, *mark)) continue;
      add_syscalls(cgid, SyscallCounts(std::begin(mark->syscalls.n), std::end(mark->syscalls.n)));
    }
    return out;
  }
  for_each_entry(bpf_map__fd(skel_->maps.syscall_counts), sizeof(uint64_t), cpus * sizeof(capsa_syscall_counts),
                 [&](const void* key, const void* value) {
                   uint64_t cgid;
                   std::memcpy(&cgid, key, sizeof cgid);
                   SyscallCounts sum(CAPSA_SYSCALL_SLOTS);
                   const auto* slots = static_cast<const uint64_t*>(value);
                   for (size_t cpu = 0; cpu < cpus; ++cpu)
                     for (size_t nr = 0; nr < CAPSA_SYSCALL_SLOTS; ++nr) sum[nr] += slots[cpu * CAPSA_SYSCALL_SLOTS + nr];
                   add_syscalls(cgid, std::move(sum));
                 },
                 "syscall_counts");
  return out;
}

uint64_t Telemetry::copies_refused() const {
  const uint32_t zero = 0;
  uint64_t n = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.copies_refused), &zero, &n) != 0)
    throw_sys("read BPF map copies_refused");
  return n;
}

std::array<uint64_t, CAPSA_STAT_MAX> Telemetry::read_stats() const {
  std::array<uint64_t, CAPSA_STAT_MAX> out{};
  int fd = bpf_map__fd(skel_->maps.stats);
  auto values = percpu_buffer<uint64_t>();
  for (uint32_t i = 0; i < CAPSA_STAT_MAX; ++i) {
    if (bpf_map_lookup_elem(fd, &i, values.data()) != 0) throw_sys("read BPF map stats");
    for (auto v : values) out[i] += v;
  }
  return out;
}

void Telemetry::forget_cgroup(uint64_t cgroup_id) {
  if (bpf_map_delete_elem(bpf_map__fd(skel_->maps.counters), &cgroup_id) != 0 && errno != ENOENT)
    throw_sys("delete cgroup " + std::to_string(cgroup_id) + " from BPF map counters");
  // With cgroup storage the counts went with the mark (remove_container) or the cgroup.
  if (cgroup_marks_) return;
  if (bpf_map_delete_elem(bpf_map__fd(skel_->maps.syscall_counts), &cgroup_id) != 0 && errno != ENOENT)
    throw_sys("delete cgroup " + std::to_string(cgroup_id) + " from BPF map syscall_counts");
}

std::vector<uint64_t> Telemetry::container_cgroups() const {
  std::vector<uint64_t> out;
  for_each_entry(bpf_map__fd(skel_->maps.containers), sizeof(uint64_t), bpf_map__value_size(skel_->maps.containers),
                 [&](const void* key, const void*) {
                   uint64_t cgid;
                   std::memcpy(&cgid, key, sizeof cgid);
                   out.push_back(cgid);
                 },
                 "containers");
  return out;
}

void Telemetry::add_container(uint64_t cgroup_id) {
  capsa_container value{};
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.containers), &cgroup_id, &value, BPF_ANY) != 0)
    throw_sys("add cgroup " + std::to_string(cgroup_id) + " to BPF map containers");
  mark_container(cgroup_id);
}

void Telemetry::mark_container(uint64_t cgroup_id) {
  if (!cgroup_marks_) return;
  mark_container_cgroup(bpf_map__fd(skel_->maps.container_cgroups), cgroup_id);
}

void Telemetry::remove_container(uint64_t cgroup_id) {
  if (cgroup_marks_) unmark_container_cgroup(bpf_map__fd(skel_->maps.container_cgroups), cgroup_id);
  if (bpf_map_delete_elem(bpf_map__fd(skel_->maps.containers), &cgroup_id) != 0 && errno != ENOENT)
    throw_sys("remove cgroup " + std::to_string(cgroup_id) + " from BPF map containers");
  forget_cgroup(cgroup_id);
}

int Telemetry::poll_events(int timeout_ms, const std::function<void(const capsa_event&)>& fn) {
  return ring_->poll(timeout_ms, fn);
}

}  // namespace capsa::bpf
