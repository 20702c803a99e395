// BPF events as JSON lines (one object per line, stable field names), for
// log shippers such as Loki or fluent-bit:
//   {"time":"2026-11-24T22:10:00.123456789Z","type":"exec","container_id":"web",
//    "cgroup_id":1234,"pid":42,"ppid":1,"comm":"sh","filename":"/bin/ls"}
//   {"time":"...","type":"exit",...,"exit_code":0}
#pragma once

#include <cstdio>
#include <functional>
#include <mutex>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "policy.h"
#include "telemetry.h"

namespace capsa::daemon {

class EventLog {
public:
  // path "-" is stdout; empty disables output. A file is rotated once it
  // reaches max_bytes (0: never): path -> path.1 -> ... -> path.<keep>, the
  // oldest dropped, so log shippers (fluent-bit, promtail) follow it by name.
  explicit EventLog(const std::string& path, uint64_t max_bytes = 0, int keep = 3);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  bool enabled() const { return out_ != nullptr; }
  // container_id: the id for the event's cgroup, "" when unknown.
  void write(const capsa_event& ev, const std::string& container_id);
  // A policy hit: {"type":"policy","kind":"network","policy":..,"rule":..,
  // "action":"deny","enforced":true, and what was touched: "filename",
  // "address"/"port"/"protocol"/"direction", "sysctl", "device", "syscall"}.
  // policy/rule are "" when unknown (a version from before a restart).
  // enforcer, when not "", says which mechanism decided ("landlock").
  void write_policy(const capsa_policy_event& ev, const std::string& container_id, const std::string& policy,
                    const std::string& rule, const std::string& enforcer = "");

private:
  void emit(const nlohmann::json& j);
  void rotate();
  std::mutex mu_;  // the event and policy-event threads both write
  std::string path_;
  uint64_t max_bytes_ = 0;
  int keep_ = 3;
  std::FILE* out_ = nullptr;
  bool owned_ = false;
  long long boot_to_realtime_ns_ = 0;
};

// "exec", "exit" or "unknown".
const char* event_type_name(uint32_t type);

}  // namespace capsa::daemon
