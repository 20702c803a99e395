#include "daemon/container_catalog.h"

#include <spdlog/spdlog.h>

namespace capsa::daemon {

std::vector<KnownContainer> ContainerCatalog::scan() const {
  std::vector<KnownContainer> out;
  for (const auto& id : store_.list_ids()) {
    try {
      auto st = store_.peek(id);
      if (!st) continue;  // still being created: not registered in the kernel yet either
      out.push_back({id, st->cgroup_id, state::derive_status(store_.dir_of(id), *st), st->init_pid, st->rootfs,
                     st->annotations,
                     st->cgroup});
    } catch (const std::exception& e) {
      spdlog::warn("container {}: {}", id, e.what());
    }
  }
  return out;
}

}  // namespace capsa::daemon
