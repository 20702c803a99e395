#include "bpf/telemetry_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cstdarg>
#include <cstring>
#include <utility>

#include <spdlog/spdlog.h>

#include "bpf/bpffs.h"
#include "common/error.h"
#include "common/file_util.h"
#include "telemetry.skel.h"

namespace capsa::bpf {

namespace {

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  std::string msg(buf, n > 0 ? std::min<size_t>(n, sizeof buf - 1) : 0);
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  if (level == LIBBPF_WARN)
    spdlog::warn("libbpf: {}", msg);
  else
    spdlog::debug("libbpf: {}", msg);
  return n;
}

[[noreturn]] void throw_bpf(const std::string& what, int err) {
  // libbpf returns -errno.
  throw_sys(what, err < 0 ? -err : err);
}

// Per-CPU values are laid out one 8-byte-aligned slot per possible CPU.
template <typename T>
std::vector<T> percpu_buffer() {
  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) throw_bpf("count possible CPUs", ncpus);
  static_assert(sizeof(T) % 8 == 0, "per-CPU values must be 8-byte multiples");
  return std::vector<T>(static_cast<size_t>(ncpus));
}

}  // namespace

Telemetry Telemetry::load_and_pin(const std::string& pin_root) {
  libbpf_set_print(libbpf_log);
  std::string bpffs = pin_root.substr(0, pin_root.rfind('/'));
  if (!is_bpffs(bpffs) && !is_bpffs(pin_root)) ensure_bpffs_mounted(bpffs.empty() ? "/sys/fs/bpf" : bpffs);
  std::string maps_dir = pin_root + "/" + CAPSA_PIN_MAPS_DIR;
  std::string links_dir = pin_root + "/" + CAPSA_PIN_LINKS_DIR;
  make_dirs(maps_dir, 0700);
  make_dirs(links_dir, 0700);

  Telemetry t;
  t.skel_ = telemetry_bpf__open();
  if (!t.skel_) throw_bpf("open BPF object telemetry", -errno);
  struct bpf_map* map;
  bpf_object__for_each_map(map, t.skel_->obj) {
    std::string path = maps_dir + "/" + bpf_map__name(map);
    int err = bpf_map__set_pin_path(map, path.c_str());
    if (err) throw_bpf("set pin path of BPF map " + path, err);
  }
  if (int err = telemetry_bpf__load(t.skel_))
    throw Error("load BPF programs (telemetry): " + errno_text(-err) +
                " (a map pinned by another capsad version under " + maps_dir +
                " may be incompatible: `capsad --unpin` removes it)", -err);

  struct bpf_program* prog;
  bpf_object__for_each_program(prog, t.skel_->obj) {
    std::string name = bpf_program__name(prog);
    struct bpf_link* link = bpf_program__attach(prog);
    if (!link) throw_bpf("attach BPF program " + name, -errno);
    t.links_.push_back(link);
    // The new link counts before the old pin is dropped: no gap, at worst a
    // few events counted twice during the swap.
    std::string path = links_dir + "/" + name;
    ::unlink(path.c_str());
    if (int err = bpf_link__pin(link, path.c_str())) throw_bpf("pin BPF link " + path, err);
  }
  t.ring_ = ring_buffer__new(bpf_map__fd(t.skel_->maps.events), &Telemetry::ring_callback, t.sink_.get(), nullptr);
  if (!t.ring_) throw_bpf("open the events ring buffer", -errno);
  return t;
}

void Telemetry::unpin_all(const std::string& pin_root) { remove_tree(pin_root); }

Telemetry::Telemetry(Telemetry&& o) noexcept
    : skel_(std::exchange(o.skel_, nullptr)),
      ring_(std::exchange(o.ring_, nullptr)),
      links_(std::move(o.links_)),
      sink_(std::move(o.sink_)) {}

Telemetry::~Telemetry() {
  if (ring_) ring_buffer__free(ring_);
  for (auto* link : links_) {
    // Pinned links stay attached: only our fd goes away.
    bpf_link__disconnect(link);
    bpf_link__destroy(link);
  }
  if (skel_) telemetry_bpf__destroy(skel_);
}

std::map<uint64_t, capsa_counters> Telemetry::read_counters() const {
  std::map<uint64_t, capsa_counters> out;
  int fd = bpf_map__fd(skel_->maps.counters);
  auto values = percpu_buffer<capsa_counters>();
  uint64_t key = 0, next = 0;
  uint64_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (bpf_map_lookup_elem(fd, &next, values.data()) == 0) {
      capsa_counters sum{};
      for (const auto& v : values) {
        sum.syscalls += v.syscalls;
        sum.execs += v.execs;
        sum.forks += v.forks;
        sum.exits += v.exits;
      }
      out[next] = sum;
    }
    key = next;
    prev = &key;
  }
  return out;
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
}

std::vector<uint64_t> Telemetry::container_cgroups() const {
  std::vector<uint64_t> out;
  int fd = bpf_map__fd(skel_->maps.containers);
  uint64_t key = 0, next = 0;
  uint64_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    out.push_back(next);
    key = next;
    prev = &key;
  }
  return out;
}

void Telemetry::add_container(uint64_t cgroup_id) {
  capsa_container value{};
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.containers), &cgroup_id, &value, BPF_ANY) != 0)
    throw_sys("add cgroup " + std::to_string(cgroup_id) + " to BPF map containers");
}

void Telemetry::remove_container(uint64_t cgroup_id) {
  if (bpf_map_delete_elem(bpf_map__fd(skel_->maps.containers), &cgroup_id) != 0 && errno != ENOENT)
    throw_sys("remove cgroup " + std::to_string(cgroup_id) + " from BPF map containers");
  forget_cgroup(cgroup_id);
}

int Telemetry::ring_callback(void* ctx, void* data, size_t size) noexcept {
  auto* sink = static_cast<EventSink*>(ctx);
  if (size < sizeof(capsa_event) || !sink->fn) return 0;
  try {
    (*sink->fn)(*static_cast<const capsa_event*>(data));
  } catch (const std::exception& e) {
    spdlog::error("event handler: {}", e.what());
  }
  return 0;
}

int Telemetry::poll_events(int timeout_ms, const std::function<void(const capsa_event&)>& fn) {
  sink_->fn = &fn;
  int n = ring_buffer__poll(ring_, timeout_ms);
  sink_->fn = nullptr;
  if (n < 0 && n != -EINTR) throw_bpf("poll the events ring buffer", n);
  return n < 0 ? 0 : n;
}

}  // namespace capsa::bpf
