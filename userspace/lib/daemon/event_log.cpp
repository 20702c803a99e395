#include "daemon/event_log.h"

#include <time.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace capsa::daemon {

namespace {

long long clock_ns(clockid_t id) {
  struct timespec ts;
  ::clock_gettime(id, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::string rfc3339(long long ns) {
  time_t secs = static_cast<time_t>(ns / 1000000000LL);
  struct tm tm;
  ::gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = ::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", ns % 1000000000LL);
  return buf;
}

std::string bounded(const char* s, size_t max) { return std::string(s, ::strnlen(s, max)); }

}  // namespace

const char* event_type_name(uint32_t type) {
  switch (type) {
    case CAPSA_EVENT_EXEC: return "exec";
    case CAPSA_EVENT_EXIT: return "exit";
  }
  return "unknown";
}

EventLog::EventLog(const std::string& path) {
  // Kernel timestamps are boot-time based; the offset turns them into wall time.
  boot_to_realtime_ns_ = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
  if (path.empty()) return;
  if (path == "-") {
    out_ = stdout;
    return;
  }
  out_ = std::fopen(path.c_str(), "ae");
  if (!out_) throw_sys("--events: open " + path);
  owned_ = true;
}

EventLog::~EventLog() {
  if (owned_) std::fclose(out_);
}

void EventLog::write(const capsa_event& ev, const std::string& container_id) {
  if (!out_) return;
  nlohmann::json j = {
      {"time", rfc3339(static_cast<long long>(ev.ts_ns) + boot_to_realtime_ns_)},
      {"type", event_type_name(ev.type)},
      {"container_id", container_id},
      {"cgroup_id", ev.cgroup_id},
      {"pid", ev.pid},
      {"ppid", ev.ppid},
      {"comm", bounded(ev.comm, sizeof ev.comm)},
  };
  if (ev.type == CAPSA_EVENT_EXEC) j["filename"] = bounded(ev.filename, sizeof ev.filename);
  if (ev.type == CAPSA_EVENT_EXIT) {
    // The kernel reports a wait(2) status; shells and runc report 128+signal.
    int status = ev.exit_code;
    j["exit_code"] = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
  }
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace capsa::daemon
