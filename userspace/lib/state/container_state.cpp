#include "state/container_state.h"

#include <time.h>

#include <cstdio>

#include "common/error.h"

namespace capsa::state {

const char* to_string(Status s) {
  switch (s) {
    case Status::Creating: return "creating";
    case Status::Created: return "created";
    case Status::Running: return "running";
    case Status::Paused: return "paused";
    case Status::Stopped: return "stopped";
  }
  return "unknown";
}

nlohmann::json to_json(const ContainerState& s) {
  return {
      {"id", s.id},
      {"init_pid", s.init_pid},
      {"init_start_time", s.init_start_time},
      {"bundle", s.bundle},
      {"rootfs", s.rootfs},
      {"created", s.created},
      {"owner", s.owner},
      {"annotations", s.annotations},
      {"cgroup", s.cgroup},
      {"cgroup_id", s.cgroup_id},
      {"hooks", s.hooks},
  };
}

ContainerState from_json(const nlohmann::json& j, const std::string& origin) {
  try {
    ContainerState s;
    s.id = j.at("id").get<std::string>();
    s.init_pid = j.at("init_pid").get<pid_t>();
    s.init_start_time = j.at("init_start_time").get<uint64_t>();
    s.bundle = j.at("bundle").get<std::string>();
    s.rootfs = j.at("rootfs").get<std::string>();
    s.created = j.at("created").get<std::string>();
    s.owner = j.value("owner", "");
    s.annotations = j.value("annotations", std::map<std::string, std::string>{});
    s.cgroup = j.value("cgroup", nlohmann::json::object());
    s.cgroup_id = j.value("cgroup_id", uint64_t{0});
    s.hooks = j.value("hooks", nlohmann::json::object());
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error(origin + ": corrupt container state: " + e.what());
  }
}

nlohmann::json oci_state(const ContainerState& s, Status status) {
  nlohmann::json j = {
      {"ociVersion", "1.2.0"},
      {"id", s.id},
      {"pid", status == Status::Stopped ? 0 : s.init_pid},
      {"status", to_string(status)},
      {"bundle", s.bundle},
      {"rootfs", s.rootfs},
      {"created", s.created},
      {"owner", s.owner},
  };
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  return j;
}

std::string now_rfc3339nano() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  char date[32];
  ::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  // Go's RFC3339Nano drops trailing zeros of the fraction.
  char frac[16];
  std::snprintf(frac, sizeof frac, "%09ld", ts.tv_nsec);
  std::string f = frac;
  while (!f.empty() && f.back() == '0') f.pop_back();
  return std::string(date) + (f.empty() ? "" : "." + f) + "Z";
}

}  // namespace capsa::state
