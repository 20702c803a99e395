// The runtime's side of the telemetry: registering a container's cgroup in
// the `containers` map capsad pinned. Loads no programs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/unique_fd.h"

namespace capsa::bpf {

class ContainerMap {
public:
  // nullopt when no capsad has pinned the map: containers run without it.
  static std::optional<ContainerMap> open_if_pinned(const std::string& pin_root);
  void add(uint64_t cgroup_id) const;
  void remove(uint64_t cgroup_id) const;

private:
  explicit ContainerMap(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace capsa::bpf
