#include "daemon/cgroup_metrics.h"

#include <memory>
#include <mutex>

#include <spdlog/spdlog.h>

#include "cgroup/usage.h"
#include "daemon/open_file_cache.h"

namespace capsa::daemon {

namespace {

using metrics::Family;
using metrics::MetricType;

struct UsageFiles {
  std::mutex mu;  // collectors never overlap; this only makes it not matter
  OpenFileCache files;
};

void collect(std::vector<Family>& out, const cgroup::Layout& layout, KernelSync& sync, UsageFiles& usage_files) {
  Family cpu{"capsa_container_cpu_seconds_total", "CPU time the container's processes used, in seconds.",
             MetricType::Counter, {}};
  Family memory{"capsa_container_memory_bytes", "Memory the container's cgroup is charged for, page cache included.",
                MetricType::Gauge, {}};
  Family pids{"capsa_container_pids", "Processes and threads in the container's cgroup.", MetricType::Gauge, {}};
  auto containers = sync.last();
  cpu.samples.reserve(containers->size());
  memory.samples.reserve(containers->size());
  pids.samples.reserve(containers->size());
  std::lock_guard lock(usage_files.mu);
  auto read = [&](const std::string& path) { return usage_files.files.read(path); };
  for (const auto& c : *containers) {
    if (!c.cgroup) continue;  // a state written before capsa recorded cgroups
    try {
      auto usage = cgroup::read_usage(layout, *c.cgroup, read);
      metrics::Labels labels{{"container_id", c.id}};
      if (usage.cpu_seconds) cpu.samples.push_back({labels, *usage.cpu_seconds});
      if (usage.memory_bytes) memory.samples.push_back({labels, *usage.memory_bytes});
      if (usage.pids) pids.samples.push_back({labels, *usage.pids});
    } catch (const std::exception& e) {
      // One unreadable cgroup must not fail the whole scrape.
      spdlog::warn("container {}: cgroup usage: {}", c.id, e.what());
    }
  }
  usage_files.files.sweep();
  out.push_back(std::move(cpu));
  out.push_back(std::move(memory));
  out.push_back(std::move(pids));
}

}  // namespace

void register_cgroup_metrics(metrics::Registry& registry, cgroup::Layout layout, KernelSync& sync) {
  auto files = std::make_shared<UsageFiles>();
  registry.add_collector([layout = std::move(layout), &sync, files](std::vector<Family>& out) {
    collect(out, layout, sync, *files);
  });
}

}  // namespace capsa::daemon
