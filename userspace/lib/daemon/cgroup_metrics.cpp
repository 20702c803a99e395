#include "daemon/cgroup_metrics.h"

#include <spdlog/spdlog.h>

#include "cgroup/container_cgroup.h"
#include "cgroup/usage.h"

namespace capsa::daemon {

namespace {

using metrics::Family;
using metrics::MetricType;

void collect(std::vector<Family>& out, const cgroup::Layout& layout, KernelSync& sync) {
  Family cpu{"capsa_container_cpu_seconds_total", "CPU time the container's processes used, in seconds.",
             MetricType::Counter, {}};
  Family memory{"capsa_container_memory_bytes", "Memory the container's cgroup is charged for, page cache included.",
                MetricType::Gauge, {}};
  Family pids{"capsa_container_pids", "Processes and threads in the container's cgroup.", MetricType::Gauge, {}};
  for (const auto& c : sync.last()) {
    if (!c.cgroup.contains("dirs")) continue;  // a state written before capsa recorded cgroups
    try {
      auto usage = cgroup::read_usage(layout, cgroup::ContainerCgroup::from_json(c.cgroup));
      metrics::Labels labels{{"container_id", c.id}};
      if (usage.cpu_seconds) cpu.samples.push_back({labels, *usage.cpu_seconds});
      if (usage.memory_bytes) memory.samples.push_back({labels, *usage.memory_bytes});
      if (usage.pids) pids.samples.push_back({labels, *usage.pids});
    } catch (const std::exception& e) {
      // One unreadable cgroup must not fail the whole scrape.
      spdlog::warn("container {}: cgroup usage: {}", c.id, e.what());
    }
  }
  out.push_back(std::move(cpu));
  out.push_back(std::move(memory));
  out.push_back(std::move(pids));
}

}  // namespace

void register_cgroup_metrics(metrics::Registry& registry, cgroup::Layout layout, KernelSync& sync) {
  registry.add_collector(
      [layout = std::move(layout), &sync](std::vector<Family>& out) { collect(out, layout, sync); });
}

}  // namespace capsa::daemon
