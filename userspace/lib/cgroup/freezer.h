// Freezing a container's processes (`capsa pause` / `resume`): cgroup v2's
// cgroup.freeze when the container has a cgroup2 directory (also on hybrid
// hosts, where every container has one), else the v1 freezer hierarchy.
#pragma once

#include "cgroup/container_cgroup.h"

namespace capsa::cgroup {

// Returns once the kernel reports every task frozen (or thawed); on a
// freeze that does not settle, thaws again and throws.
void set_frozen(const ContainerCgroup& cg, bool frozen);
// False when the host has no freezer or the cgroup is gone.
bool is_frozen(const ContainerCgroup& cg);

}  // namespace capsa::cgroup
