#include "spec/spec.h"

namespace capsa::spec {

const Namespace* Spec::find_namespace(NamespaceType t) const {
  if (!linux) return nullptr;
  for (const auto& ns : linux->namespaces)
    if (ns.type == t) return &ns;
  return nullptr;
}

bool Seccomp::uses_notify() const {
  for (const auto& s : syscalls)
    if (s.action == "SCMP_ACT_NOTIFY") return true;
  return false;
}

bool Spec::has_namespace(NamespaceType t) const { return find_namespace(t) != nullptr; }

const char* to_string(NamespaceType t) {
  switch (t) {
    case NamespaceType::Pid: return "pid";
    case NamespaceType::Network: return "network";
    case NamespaceType::Mount: return "mount";
    case NamespaceType::Ipc: return "ipc";
    case NamespaceType::Uts: return "uts";
    case NamespaceType::User: return "user";
    case NamespaceType::Cgroup: return "cgroup";
    case NamespaceType::Time: return "time";
  }
  return "unknown";
}

bool id_mapped(const std::vector<IdMapping>& maps, uint32_t id) {
  for (const auto& m : maps)
    if (id >= m.container_id && id - m.container_id < m.size) return true;
  return false;
}

std::string id_map_text(const std::vector<IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
  return out;
}

}  // namespace capsa::spec
