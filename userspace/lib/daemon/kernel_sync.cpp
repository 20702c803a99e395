#include "daemon/kernel_sync.h"

#include <set>

#include <spdlog/spdlog.h>

namespace capsa::daemon {

SyncResult KernelSync::sync() {
  std::lock_guard lock(mu_);
  // The map is read before the directory: the runtime writes state.json
  // before it adds a key, so every key seen here has its state file already
  // and a fresh container is never mistaken for a stale one.
  auto registered = telemetry_.container_cgroups();
  auto counted = telemetry_.read_counters();
  auto containers = std::make_shared<const std::vector<KnownContainer>>(catalog_.scan());

  std::set<uint64_t> wanted;
  for (const auto& c : *containers)
    if (c.cgroup_id) wanted.insert(c.cgroup_id);
  std::set<uint64_t> have(registered.begin(), registered.end());

  for (uint64_t id : wanted) {
    if (have.count(id)) continue;
    try {
      telemetry_.add_container(id);
      spdlog::info("registered cgroup {} found in the state directory", id);
    } catch (const std::exception& e) {
      spdlog::warn("register cgroup {}: {}", id, e.what());
    }
  }
  for (uint64_t id : have) {
    if (wanted.count(id)) continue;
    try {
      telemetry_.remove_container(id);
    } catch (const std::exception& e) {
      spdlog::warn("unregister cgroup {}: {}", id, e.what());
    }
  }
  for (auto it = counted.begin(); it != counted.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    telemetry_.forget_cgroup(it->first);
    it = counted.erase(it);
  }
  last_ = containers;
  return {std::move(containers), std::move(counted)};
}

ContainerList KernelSync::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

}  // namespace capsa::daemon
