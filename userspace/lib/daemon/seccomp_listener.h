// What capsad knows of one seccomp listener the runtime handed it: whose
// process it watches and which syscalls its filter sends (native numbers).
// Kept with the fd by the fd keeper, so a restarted capsad knows it again.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace capsa::daemon {

struct ListenerInfo {
  std::string container_id;
  uint64_t cgroup_id = 0;
  pid_t pid = 0;  // the process the filter was installed in (host pid)
  std::set<uint32_t> syscalls;
};

inline nlohmann::json to_json(const ListenerInfo& l) {
  return {{"container_id", l.container_id}, {"cgroup_id", l.cgroup_id}, {"pid", l.pid}, {"syscalls", l.syscalls}};
}

// Throws nlohmann's errors on a malformed object; callers name the source.
inline ListenerInfo listener_from_json(const nlohmann::json& j) {
  ListenerInfo l;
  l.container_id = j.at("container_id").get<std::string>();
  l.cgroup_id = j.at("cgroup_id").get<uint64_t>();
  l.pid = j.at("pid").get<pid_t>();
  l.syscalls = j.at("syscalls").get<std::set<uint32_t>>();
  return l;
}

}  // namespace capsa::daemon
