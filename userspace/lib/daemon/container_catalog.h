// capsad's view of the containers under the runtime's --root: read on every
// sync from the same state files the CLI writes, so containers started before
// capsad (or while it was down) are found too.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "state/state_store.h"

namespace capsa::daemon {

struct KnownContainer {
  std::string id;
  uint64_t cgroup_id = 0;
  state::Status status = state::Status::Stopped;
  pid_t init_pid = 0;
  std::string rootfs;
  std::map<std::string, std::string> annotations;
  nlohmann::json cgroup;  // the runtime's serialized cgroup::ContainerCgroup
};

class ContainerCatalog {
public:
  explicit ContainerCatalog(std::string state_root) : store_(std::move(state_root)) {}
  // Containers with a readable state; unreadable ones are logged and skipped.
  std::vector<KnownContainer> scan() const;

private:
  state::StateStore store_;
};

}  // namespace capsa::daemon
