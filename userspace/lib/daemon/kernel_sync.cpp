#include "daemon/kernel_sync.h"

#include <optional>
#include <set>
#include <string>

#include <spdlog/spdlog.h>

namespace capsa::daemon {

SyncResult KernelSync::sync() {
  std::lock_guard lock(mu_);
  // The map is read before the directory: the runtime writes state.json
  // before it adds a key, so every key seen here has its state file already
  // and a fresh container is never mistaken for a stale one.
  auto registered = telemetry_.container_cgroups();
  std::map<uint64_t, bpf::Telemetry::SyscallCounts> by_nr;
  auto counted = telemetry_.read_counters(&by_nr);
  auto containers = std::make_shared<const std::vector<KnownContainer>>(catalog_.scan());

  std::set<uint64_t> wanted;
  for (const auto& c : *containers)
    if (c.cgroup_id) wanted.insert(c.cgroup_id);
  std::set<uint64_t> have(registered.begin(), registered.end());

  for (uint64_t id : wanted) {
    if (marked_.count(id)) continue;
    try {
      // A runtime older than the mark registered it without one.
      if (have.count(id)) {
        telemetry_.mark_container(id);
      } else {
        telemetry_.add_container(id);
        spdlog::info("registered cgroup {} found in the state directory", id);
      }
      marked_.insert(id);
    } catch (const std::exception& e) {
      spdlog::warn("register cgroup {}: {}", id, e.what());
    }
  }
  // A container deleted (the runtime unregisters it itself) leaves copies
  // and counts behind for the sweep.
  bool removed = std::erase_if(marked_, [&](uint64_t id) { return !wanted.count(id); }) > 0;
  for (uint64_t id : have) {
    if (wanted.count(id)) continue;
    try {
      telemetry_.remove_container(id);
      removed = true;
    } catch (const std::exception& e) {
      spdlog::warn("unregister cgroup {}: {}", id, e.what());
    }
  }
  // Cgroups the registered containers made beneath their own count as them:
  // the kernel copies the ones made from now on, this the ones from before.
  bool copied = false;
  for (const auto& c : *containers) {
    std::optional<std::string> dir = c.cgroup && marked_.count(c.cgroup_id) ? c.cgroup->unified_dir() : std::nullopt;
    if (!dir) continue;
    try {
      copied = telemetry_.copy_cgroups_beneath(c.cgroup_id, *dir) || copied;
    } catch (const std::exception& e) {
      spdlog::warn("container {}: count the cgroups beneath its own: {}", c.id, e.what());
    }
  }
  // Now and then regardless: a container registered and deleted between
  // two passes was never seen, and left its count behind.
  sweep_due_ = sweep_due_ || removed || copied || ++passes_ % kSweepEvery == 0;
  if (sweep_due_) {
    try {
      telemetry_.sweep_copies();
      sweep_due_ = false;
    } catch (const std::exception& e) {
      spdlog::warn("sweep the telemetry's copies of cgroups: {}", e.what());
    }
  }
  for (auto it = counted.begin(); it != counted.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    telemetry_.forget_cgroup(it->first);
    by_nr.erase(it->first);
    it = counted.erase(it);
  }
  last_ = containers;
  return {std::move(containers), std::move(counted), std::move(by_nr)};
}

ContainerList KernelSync::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

}  // namespace capsa::daemon
