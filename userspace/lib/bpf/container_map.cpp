#include "bpf/container_map.h"

#include <bpf/bpf.h>

#include "common/error.h"
#include "telemetry.h"

namespace capsa::bpf {

std::optional<ContainerMap> ContainerMap::open_if_pinned(const std::string& pin_root) {
  std::string path = pin_root + "/" + CAPSA_PIN_MAPS_DIR + "/" + CAPSA_MAP_CONTAINERS;
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_sys("open pinned BPF map " + path);
  }
  return ContainerMap(UniqueFd(fd));
}

void ContainerMap::add(uint64_t cgroup_id) const {
  capsa_container value{};
  if (bpf_map_update_elem(fd_.get(), &cgroup_id, &value, BPF_ANY) != 0)
    throw_sys("register cgroup " + std::to_string(cgroup_id) + " in the containers map");
}

void ContainerMap::remove(uint64_t cgroup_id) const {
  if (bpf_map_delete_elem(fd_.get(), &cgroup_id) != 0 && errno != ENOENT)
    throw_sys("unregister cgroup " + std::to_string(cgroup_id) + " from the containers map");
}

}  // namespace capsa::bpf
