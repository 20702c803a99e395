// Freezing a container's processes (`capsa pause` / `resume`): cgroup v2's
// cgroup.freeze when the container has a cgroup2 directory (also on hybrid
// hosts, where every container has one), else the v1 freezer hierarchy.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cgroup/container_cgroup.h"

namespace capsa::cgroup {

// Returns once the kernel reports every task frozen (or thawed); on a
// freeze that does not settle, thaws again and throws.
void set_frozen(const ContainerCgroup& cg, bool frozen);
// False when the host has no freezer or the cgroup is gone.
bool is_frozen(const ContainerCgroup& cg);

// For observers that ask often (capsad, at every sync): the file that tells
// whether the cgroup is frozen, found once, and how to read its content.
struct FreezerProbe {
  std::string file;  // cgroup.events (v2) or freezer.state (v1)
  bool v2 = false;
  bool frozen(std::string_view content) const;
};
// nullopt when the host has no freezer or the cgroup is gone.
std::optional<FreezerProbe> freezer_probe(const ContainerCgroup& cg);

}  // namespace capsa::cgroup
