// What capsa remembers about one container between CLI invocations, and the
// OCI state (runtime-spec "state" operation) derived from it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace capsa::state {

enum class Status { Creating, Created, Running, Paused, Stopped };
const char* to_string(Status s);

struct ContainerState {
  std::string id;
  pid_t init_pid = 0;
  // /proc/<pid>/stat starttime of the init: tells a reused pid from ours.
  uint64_t init_start_time = 0;
  std::string bundle;
  std::string rootfs;
  std::string created;  // RFC 3339 with nanoseconds, UTC
  std::string owner;
  std::map<std::string, std::string> annotations;
  nlohmann::json cgroup;  // serialized cgroup manager (directories per hierarchy)
  uint64_t cgroup_id = 0;  // cgroup v2 id, the key of the BPF containers map
  // config.json's poststart and poststop hooks, taken at create like runc:
  // the bundle may have changed or gone by start and delete.
  nlohmann::json hooks = nlohmann::json::object();
};

nlohmann::json to_json(const ContainerState& s);
ContainerState from_json(const nlohmann::json& j, const std::string& origin);

// The runc-shaped state object: ociVersion, id, pid, status, bundle, rootfs,
// created, owner, annotations. pid is 0 once stopped.
nlohmann::json oci_state(const ContainerState& s, Status status);

// Current time formatted like Go's time.RFC3339Nano in UTC.
std::string now_rfc3339nano();

}  // namespace capsa::state
