// The runtime's side of the telemetry: registering a container's cgroup in
// the `containers` map capsad pinned, and marking it in the
// `container_cgroups` cgroup storage the per-syscall program asks. Loads no
// programs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/unique_fd.h"
#include "telemetry.h"

namespace capsa::bpf {

// This host's cgroup v2 mount, opened (a directory fd for open_cgroup_by_id).
UniqueFd open_cgroup2_mount();
// The cgroup v2 directory with this id, opened through a kernfs file handle
// on the cgroup2 mount (maps keyed by cgroup take its fd). The first form
// finds the mount itself; callers that open many keep it (open_cgroup2_mount).
UniqueFd open_cgroup_by_id(uint64_t cgroup_id);
UniqueFd open_cgroup_by_id(int cgroup2_mount_fd, uint64_t cgroup_id);
// Sets / removes the cgroup's entry in the `container_cgroups` map behind
// map_fd. A mark that is there already is kept as it is (it holds the
// container's syscall counts). Unmarking a cgroup that is gone is no error
// (its storage went with it).
void mark_container_cgroup(int map_fd, uint64_t cgroup_id);
void unmark_container_cgroup(int map_fd, uint64_t cgroup_id);
// The cgroup's mark with its syscall counts, or false when the cgroup is
// gone or carries no mark.
bool read_container_mark(int map_fd, int cgroup2_mount_fd, uint64_t cgroup_id, capsa_container_mark& out);

class ContainerMap {
public:
  // nullopt when no capsad has pinned the map: containers run without it.
  static std::optional<ContainerMap> open_if_pinned(const std::string& pin_root);
  void add(uint64_t cgroup_id) const;
  void remove(uint64_t cgroup_id) const;

private:
  ContainerMap(UniqueFd fd, UniqueFd marks) : fd_(std::move(fd)), marks_(std::move(marks)) {}
  UniqueFd fd_;
  UniqueFd marks_;  // absent when an older capsad pinned the maps
};

}  // namespace capsa::bpf
