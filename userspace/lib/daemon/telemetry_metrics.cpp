#include "daemon/telemetry_metrics.h"

#include <map>
#include <memory>
#include <set>

#include "common/build_info.h"
#include "daemon/syscall_series.h"

namespace capsa::daemon {

namespace {

using metrics::Family;
using metrics::MetricType;

struct CounterField {
  const char* name;
  const char* help;
  __u64 capsa_counters::*field;
};

constexpr CounterField kPerContainer[] = {
    {"capsa_container_syscalls_total", "System calls entered by processes of the container.",
     &capsa_counters::syscalls},
    {"capsa_container_execs_total", "Successful execve calls in the container.", &capsa_counters::execs},
    {"capsa_container_forks_total", "Processes and threads created in the container.", &capsa_counters::forks},
    {"capsa_container_exits_total", "Processes of the container that exited.", &capsa_counters::exits},
};

void collect_by_name(std::vector<Family>& out, const SyncResult& pass, SyscallSeries& series) {
  Family by_name{"capsa_container_syscalls_by_name_total",
                 "System calls entered by processes of the container, by syscall name: its busiest (at most 20, "
                 "chosen when first seen), the rest as syscall=\"other\".",
                 MetricType::Counter,
                 {}};
  std::set<uint64_t> live;
  static const std::vector<uint64_t> kNone;
  for (const auto& c : *pass.containers) {
    if (!c.cgroup_id) continue;
    live.insert(c.cgroup_id);
    auto it = pass.syscalls_by_nr.find(c.cgroup_id);
    for (auto& s : series.samples(c.cgroup_id, it == pass.syscalls_by_nr.end() ? kNone : it->second))
      by_name.samples.push_back({{{"container_id", c.id}, {"syscall", std::move(s.syscall)}}, static_cast<double>(s.value)});
  }
  series.retain(live);
  out.push_back(std::move(by_name));
}

void collect(std::vector<Family>& out, bpf::Telemetry& telemetry, KernelSync& sync, SyscallSeries& series) {
  auto pass = sync.sync();
  const auto& containers = *pass.containers;
  const auto& counters = pass.counters;
  auto stats = telemetry.read_stats();

  for (const auto& f : kPerContainer) {
    // Not counted (capsad --no-syscall-counts): absent, not a false zero.
    if (f.field == &capsa_counters::syscalls && !telemetry.counts_syscalls()) continue;
    Family fam{f.name, f.help, MetricType::Counter, {}};
    fam.samples.reserve(containers.size());
    for (const auto& c : containers) {
      if (!c.cgroup_id) continue;
      auto it = counters.find(c.cgroup_id);
      double v = it == counters.end() ? 0.0 : static_cast<double>(it->second.*(f.field));
      fam.samples.push_back({{{"container_id", c.id}}, v});
    }
    out.push_back(std::move(fam));
  }

  if (telemetry.counts_syscalls()) collect_by_name(out, pass, series);

  std::map<std::string, double> by_status = {{"created", 0}, {"running", 0}, {"paused", 0}, {"stopped", 0}};
  for (const auto& c : containers) by_status[state::to_string(c.status)] += 1;
  Family states{"capsa_containers", "Containers under the runtime's state root, by status.", MetricType::Gauge, {}};
  for (const auto& [status, n] : by_status) states.samples.push_back({{{"status", status}}, n});
  out.push_back(std::move(states));

  out.push_back({"capsa_bpf_events_total", "Events the BPF programs submitted to the ring buffer.",
                 MetricType::Counter, {{{}, static_cast<double>(stats[CAPSA_STAT_EVENTS_SENT])}}});
  out.push_back({"capsa_bpf_events_lost_total", "Events dropped because the ring buffer was full.",
                 MetricType::Counter, {{{}, static_cast<double>(stats[CAPSA_STAT_EVENTS_LOST])}}});
  out.push_back({"capsa_bpf_cgroups_uncounted_total",
                 "Cgroups containers made beneath their own that the kernel could not count as theirs (past the "
                 "quota of copies); capsad counts those it can on its next pass.",
                 MetricType::Counter, {{{}, static_cast<double>(telemetry.copies_refused())}}});
}

}  // namespace

void register_telemetry_metrics(metrics::Registry& registry, bpf::Telemetry& telemetry, KernelSync& sync) {
  auto series = std::make_shared<SyscallSeries>();
  registry.add_collector(
      [&telemetry, &sync, series](std::vector<Family>& out) { collect(out, telemetry, sync, *series); });
}

void register_build_info(metrics::Registry& registry) {
  registry.add_collector([](std::vector<Family>& out) {
    out.push_back({"capsa_build_info", "Version and commit of the running capsad.", MetricType::Gauge,
                   {{{{"version", kVersion}, {"commit", kGitCommit}}, 1.0}}});
  });
}

}  // namespace capsa::daemon
