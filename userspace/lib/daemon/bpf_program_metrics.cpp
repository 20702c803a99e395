#include "daemon/bpf_program_metrics.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/unique_fd.h"
#include "telemetry.h"

namespace capsa::daemon {

namespace {

using metrics::Family;
using metrics::MetricType;

// Names of the entries of a bpffs directory (pins are files, never dirs).
std::vector<std::string> pins_in(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    throw_sys("opendir " + dir);
  }
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  ::closedir(d);
  return out;
}

// A pin that vanished meanwhile (an unpin, a restart replacing it) is no error.
UniqueFd open_pin(const std::string& path) {
  UniqueFd fd(bpf_obj_get(path.c_str()));
  if (!fd && errno != ENOENT) throw_sys("open pinned BPF object " + path);
  return fd;
}

template <typename Info>
Info info_of(int fd, const std::string& what) {
  Info info{};
  __u32 len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) throw_sys("read BPF info of " + what);
  return info;
}

void collect_programs(std::vector<Family>& out, const std::string& links_dir) {
  Family runs{"capsa_bpf_program_runs_total", "Times each of capsad's BPF programs ran (kernel BPF stats).",
              MetricType::Counter, {}};
  Family seconds{"capsa_bpf_program_run_seconds_total",
                 "Time each of capsad's BPF programs spent running (kernel BPF stats), in seconds.",
                 MetricType::Counter, {}};
  for (const auto& name : pins_in(links_dir)) {
    std::string path = links_dir + "/" + name;
    auto link = open_pin(path);
    if (!link) continue;
    auto link_info = info_of<bpf_link_info>(link.get(), "link " + path);
    UniqueFd prog(bpf_prog_get_fd_by_id(link_info.prog_id));
    if (!prog) throw_sys("open the BPF program of link " + path);
    auto info = info_of<bpf_prog_info>(prog.get(), "the program of link " + path);
    // The pin name: the kernel truncates program names to 15 characters.
    metrics::Labels labels{{"program", name}};
    runs.samples.push_back({labels, static_cast<double>(info.run_cnt)});
    seconds.samples.push_back({labels, static_cast<double>(info.run_time_ns) / 1e9});
  }
  out.push_back(std::move(runs));
  out.push_back(std::move(seconds));
}

// A BPF ring buffer map's first page holds the consumer position, the second
// the producer's; both may be mapped read-only by any holder of the map.
void collect_rings(std::vector<Family>& out, const std::string& maps_dir) {
  Family used{"capsa_bpf_ringbuf_used_bytes", "Bytes written to a BPF ring buffer and not yet consumed by capsad.",
              MetricType::Gauge, {}};
  Family size{"capsa_bpf_ringbuf_size_bytes", "Capacity of a BPF ring buffer.", MetricType::Gauge, {}};
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  for (const auto& name : pins_in(maps_dir)) {
    std::string path = maps_dir + "/" + name;
    auto map = open_pin(path);
    if (!map) continue;
    auto info = info_of<bpf_map_info>(map.get(), "map " + path);
    if (info.type != BPF_MAP_TYPE_RINGBUF) continue;
    void* pos = ::mmap(nullptr, 2 * page, PROT_READ, MAP_SHARED, map.get(), 0);
    if (pos == MAP_FAILED) throw_sys("map the positions of ring buffer " + path);
    auto consumer = __atomic_load_n(static_cast<const unsigned long*>(pos), __ATOMIC_ACQUIRE);
    auto producer =
        __atomic_load_n(reinterpret_cast<const unsigned long*>(static_cast<const char*>(pos) + page), __ATOMIC_ACQUIRE);
    ::munmap(pos, 2 * page);
    metrics::Labels labels{{"ring", name}};
    used.samples.push_back({labels, static_cast<double>(producer - consumer)});
    size.samples.push_back({labels, static_cast<double>(info.max_entries)});
  }
  out.push_back(std::move(used));
  out.push_back(std::move(size));
}

}  // namespace

void register_bpf_program_metrics(metrics::Registry& registry, const std::string& pin_root, bool run_time_stats) {
  // The kernel counts run time only while someone holds such an fd; closing
  // it (capsad exiting) turns the accounting off again.
  std::shared_ptr<UniqueFd> stats;
  if (run_time_stats) {
    stats = std::make_shared<UniqueFd>(bpf_enable_stats(BPF_STATS_RUN_TIME));
    if (!*stats) throw_sys("--bpf-stats: enable the kernel's BPF run-time stats (BPF_ENABLE_STATS)");
  }
  std::string links = pin_root + "/" + CAPSA_PIN_LINKS_DIR;
  std::string maps = pin_root + "/" + CAPSA_PIN_MAPS_DIR;
  registry.add_collector([stats, links, maps](std::vector<Family>& out) {
    if (stats) collect_programs(out, links);
    collect_rings(out, maps);
  });
}

}  // namespace capsa::daemon
