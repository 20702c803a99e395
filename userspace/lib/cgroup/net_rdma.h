// linux.resources.network (the v1-only net_cls and net_prio controllers)
// and linux.resources.rdma (rdma.max, the same on v1 and v2), as runc
// writes them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cgroup/control_write.h"
#include "spec/spec.h"

namespace capsa::cgroup {

// net_cls.classid; `field` is "linux.resources.network".
std::vector<ControlWrite> net_cls_writes(const spec::NetworkResources& n, const std::string& field);
// One net_prio.ifpriomap line per interface.
std::vector<ControlWrite> net_prio_writes(const spec::NetworkResources& n, const std::string& field);
// One rdma.max line per device, "mlx5_0 hca_handle=2 hca_object=100"; as in
// runc an unset limit is left out of the line, so the kernel keeps it.
std::vector<ControlWrite> rdma_writes(const std::map<std::string, spec::RdmaLimit>& rdma, const std::string& field);

}  // namespace capsa::cgroup
