#include "daemon/event_log.h"

#include <spdlog/spdlog.h>

#include <time.h>

#include <arpa/inet.h>
#include <seccomp.h>

#include <cstdlib>
#include <cstring>
#include <iterator>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "policy/model.h"

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

EventLog::EventLog(const std::string& path, uint64_t max_bytes, int keep)
    : path_(path), max_bytes_(max_bytes), keep_(keep < 1 ? 1 : keep) {
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
  emit(j);
}

void EventLog::emit(const nlohmann::json& j) {
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mu_);
  if (!out_) return;
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
  if (owned_ && max_bytes_ && static_cast<uint64_t>(std::ftell(out_)) >= max_bytes_) rotate();
}

void EventLog::rotate() {
  std::fclose(out_);
  out_ = nullptr;
  for (int i = keep_ - 1; i >= 1; --i)
    ::rename((path_ + "." + std::to_string(i)).c_str(), (path_ + "." + std::to_string(i + 1)).c_str());
  if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0)
    spdlog::error("--events: rotate {}: {}", path_, errno_text(errno));
  out_ = std::fopen(path_.c_str(), "ae");
  if (!out_) spdlog::error("--events: reopen {} after rotation: {} (events are no longer written)", path_,
                           errno_text(errno));
}

void EventLog::write_policy(const capsa_policy_event& ev, const std::string& container_id,
                            const std::string& policy, const std::string& rule, const std::string& enforcer) {
  if (!out_) return;
  static const char* kKinds[] = {"unknown", "exec", "network", "sysctl", "device", "syscall", "file", "root-escape",
                                 "task-escape", "entry", "cgroup-escape"};
  static const char* kActions[] = {"allow", "audit", "deny", "kill"};
  nlohmann::json j = {
      {"time", rfc3339(static_cast<long long>(ev.ts_ns) + boot_to_realtime_ns_)},
      {"type", "policy"},
      {"container_id", container_id},
      {"cgroup_id", ev.cgroup_id},
      {"pid", ev.pid},
      {"ppid", ev.ppid},
      {"comm", bounded(ev.comm, sizeof ev.comm)},
      {"binary", bounded(ev.binary, sizeof ev.binary)},
      {"kind", kKinds[ev.kind < std::size(kKinds) ? ev.kind : 0]},
      {"policy", policy},
      {"rule", rule},
      {"action", ev.action < std::size(kActions) ? kActions[ev.action] : "unknown"},
      {"enforced", ev.enforced != 0},
  };
  switch (ev.kind) {
    case CAPSA_KIND_EXEC:
      j["filename"] = bounded(ev.path, sizeof ev.path);
      j["inode"] = ev.ino;
      break;
    case CAPSA_KIND_NETWORK: {
      char text[INET6_ADDRSTRLEN] = "";
      static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      if (std::memcmp(ev.addr, kMapped, sizeof kMapped) == 0)
        ::inet_ntop(AF_INET, ev.addr + 12, text, sizeof text);
      else
        ::inet_ntop(AF_INET6, ev.addr, text, sizeof text);
      j["address"] = text;
      j["port"] = ev.port;
      j["protocol"] = ev.protocol == 6 ? "tcp" : ev.protocol == 17 ? "udp" : std::to_string(ev.protocol);
      j["direction"] = ev.direction == CAPSA_NET_BIND ? "bind" : "egress";
      break;
    }
    case CAPSA_KIND_SYSCTL: {
      j["sysctl"] = policy::swap_sysctl_separators(bounded(ev.path, sizeof ev.path));  // dotted, as policies write it
      j["access"] = ev.access == 2 ? "write" : "read";
      break;
    }
    case CAPSA_KIND_DEVICE: {
      std::string acc;
      if (ev.access & 2) acc += 'r';
      if (ev.access & 4) acc += 'w';
      if (ev.access & 1) acc += 'm';
      j["device"] = std::to_string(ev.major) + ":" + std::to_string(ev.minor);
      j["access"] = acc;
      break;
    }
    case CAPSA_KIND_FILE:
    case CAPSA_KIND_ROOT_ESCAPE: {
      static const char* kAccess[] = {"read", "write", "exec", "create", "unlink"};
      nlohmann::json acc = nlohmann::json::array();
      for (int i = 0; i < CAPSA_FILE_NACCESS; ++i)
        if (ev.access & (1u << i)) acc.push_back(kAccess[i]);
      if (ev.access & CAPSA_ACCESS_UNIX_CONNECT) acc.push_back("connect");
      j["path"] = bounded(ev.path, sizeof ev.path);
      j["inode"] = ev.ino;
      j["access"] = acc;
      break;
    }
    case CAPSA_KIND_SYSCALL: {
      char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, ev.syscall_nr);
      j["syscall"] = name ? name : std::to_string(ev.syscall_nr);
      std::free(name);
      j["syscall_nr"] = ev.syscall_nr;
      break;
    }
    case CAPSA_KIND_CGROUP_ESCAPE:
      j["operation"] = ev.access == CAPSA_CGROUP_QUOTA ? "cgroup-quota" : "cgroups-full";
      j["limit"] = ev.limit;
      j["cgroup"] = bounded(ev.path, sizeof ev.path);
      if (ev.target_pid) j["target_pid"] = ev.target_pid;
      break;
    case CAPSA_KIND_TASK_ESCAPE: {
      if (ev.access == CAPSA_TASK_OWNER_QUOTA) {
        // No target: the container set one descriptor owner more than it may hold.
        j["operation"] = "owner-quota";
        j["limit"] = ev.limit;
      } else if (ev.access == CAPSA_TASK_OWNERS_FULL) {
        j["operation"] = "owners-full";
      } else {
        j["operation"] = ev.access == CAPSA_TASK_SIGNAL ? "signal" : "ptrace";
        j["target_pid"] = ev.target_pid;
        j["target_comm"] = bounded(ev.path, sizeof ev.path);
        if (ev.access == CAPSA_TASK_SIGNAL) j["signal"] = ev.signal;
      }
      if (ev.syscall_nr >= 0) {
        char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, ev.syscall_nr);
        j["syscall"] = name ? name : std::to_string(ev.syscall_nr);
        std::free(name);
      }
      break;
    }
  }
  if (!enforcer.empty()) j["enforcer"] = enforcer;
  emit(j);
}

}  // namespace capsa::daemon
