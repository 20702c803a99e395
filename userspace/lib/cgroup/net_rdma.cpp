#include "cgroup/net_rdma.h"

namespace capsa::cgroup {

std::vector<ControlWrite> net_cls_writes(const spec::NetworkResources& n, const std::string& field) {
  if (!n.class_id) return {};
  return {{"net_cls.classid", std::to_string(*n.class_id), field + ".classID"}};
}

std::vector<ControlWrite> net_prio_writes(const spec::NetworkResources& n, const std::string& field) {
  std::vector<ControlWrite> out;
  for (size_t i = 0; i < n.priorities.size(); ++i) {
    const auto& p = n.priorities[i];
    out.push_back({"net_prio.ifpriomap", p.name + " " + std::to_string(p.priority),
                   field + ".priorities[" + std::to_string(i) + "]"});
  }
  return out;
}

std::vector<ControlWrite> rdma_writes(const std::map<std::string, spec::RdmaLimit>& rdma, const std::string& field) {
  std::vector<ControlWrite> out;
  for (const auto& [device, l] : rdma) {
    std::string line = device;
    if (l.hca_handles) line += " hca_handle=" + std::to_string(*l.hca_handles);
    if (l.hca_objects) line += " hca_object=" + std::to_string(*l.hca_objects);
    out.push_back({"rdma.max", line, field + "." + device});
  }
  return out;
}

}  // namespace capsa::cgroup
