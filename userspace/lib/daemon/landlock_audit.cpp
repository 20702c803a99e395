#include "daemon/landlock_audit.h"

#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bpf/cgroup_id.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "daemon/task_confinement.h"
#include "policy/model.h"

#ifndef AUDIT_LANDLOCK_ACCESS
#define AUDIT_LANDLOCK_ACCESS 1423
#define AUDIT_LANDLOCK_DOMAIN 1424
#endif

namespace capsa::daemon {

namespace {

// `key=` in a record's text: the value up to the next space, a quoted
// string unquoted, or an untrusted string audit wrote in hex decoded.
std::optional<std::string> field(const std::string& text, const std::string& key) {
  size_t at = 0;
  for (;;) {
    at = text.find(key + "=", at);
    if (at == std::string::npos) return std::nullopt;
    if (at == 0 || text[at - 1] == ' ') break;
    at += key.size();
  }
  size_t v = at + key.size() + 1;
  if (v < text.size() && text[v] == '"') {
    size_t end = text.find('"', v + 1);
    if (end == std::string::npos) return std::nullopt;
    return text.substr(v + 1, end - v - 1);
  }
  size_t end = text.find(' ', v);
  return text.substr(v, end == std::string::npos ? std::string::npos : end - v);
}

std::string unhex(const std::string& s) {
  std::string out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<char>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}

// "audit(1732186800.349:44): ..." -> 44
uint64_t serial_of(const std::string& text) {
  size_t colon = text.find(':');
  size_t close = text.find(')');
  if (text.rfind("audit(", 0) != 0 || colon == std::string::npos || close == std::string::npos || colon > close)
    return 0;
  return std::strtoull(text.c_str() + colon + 1, nullptr, 10);
}

uint8_t access_of(const std::string& blockers) {
  uint8_t out = 0;
  size_t start = 0;
  while (start <= blockers.size()) {
    size_t end = blockers.find(',', start);
    std::string b = blockers.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (b == "fs.read_file" || b == "fs.read_dir")
      out |= policy::kFileRead;
    else if (b == "fs.write_file" || b == "fs.truncate")
      out |= policy::kFileWrite;
    else if (b == "fs.execute")
      out |= policy::kFileExec;
    else if (b.rfind("fs.make_", 0) == 0 || b == "fs.refer")
      out |= policy::kFileCreate;
    else if (b == "fs.remove_file" || b == "fs.remove_dir")
      out |= policy::kFileUnlink;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// One audit request; its ACK (and, for AUDIT_GET, the status) read back.
// Returns 0 or a negative errno.
int audit_request(int fd, uint16_t type, const void* payload, size_t len, audit_status* status_out = nullptr) {
  static uint32_t seq = 0;
  std::vector<char> buf(NLMSG_SPACE(len), 0);
  auto* nh = reinterpret_cast<nlmsghdr*>(buf.data());
  nh->nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(len));
  nh->nlmsg_type = type;
  nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nh->nlmsg_seq = ++seq;
  std::memcpy(NLMSG_DATA(nh), payload, len);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, buf.data(), nh->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return -errno;
  bool acked = false, got_status = status_out == nullptr;
  int rc = 0;
  while (!acked || !got_status) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) return -ETIMEDOUT;
    char in[8192];
    ssize_t n = ::recv(fd, in, sizeof in, 0);
    if (n < 0) return -errno;
    for (auto* m = reinterpret_cast<nlmsghdr*>(in); NLMSG_OK(m, static_cast<unsigned>(n)); m = NLMSG_NEXT(m, n)) {
      if (m->nlmsg_seq != seq) continue;  // a record, or an older answer
      if (m->nlmsg_type == NLMSG_ERROR) {
        rc = reinterpret_cast<nlmsgerr*>(NLMSG_DATA(m))->error;
        acked = true;
        if (rc) return rc;
      } else if (m->nlmsg_type == AUDIT_GET && status_out) {
        std::memcpy(status_out, NLMSG_DATA(m), std::min<size_t>(sizeof *status_out, m->nlmsg_len - NLMSG_HDRLEN));
        got_status = true;
      }
    }
  }
  return rc;
}

// "-a task,never": no task is given a per-syscall audit context.
std::vector<char> never_task_rule() {
  std::vector<char> storage(sizeof(audit_rule_data), 0);
  auto* r = reinterpret_cast<audit_rule_data*>(storage.data());
  r->flags = AUDIT_FILTER_TASK;
  r->action = AUDIT_NEVER;
  std::fill(std::begin(r->mask), std::end(r->mask), ~0u);
  return storage;
}

}  // namespace

std::optional<LandlockDenial> parse_landlock_access(const std::string& text) {
  auto domain = field(text, "domain");
  auto blockers = field(text, "blockers");
  if (!domain || !blockers) return std::nullopt;
  LandlockDenial d;
  d.serial = serial_of(text);
  d.domain = std::strtoull(domain->c_str(), nullptr, 16);
  d.blockers = *blockers;
  d.access = access_of(*blockers);
  size_t at = text.find(" path=");
  if (at != std::string::npos) {
    bool quoted = at + 6 < text.size() && text[at + 6] == '"';
    auto p = field(text, "path");
    if (p) d.path = quoted ? *p : unhex(*p);
  }
  return d;
}

std::optional<std::pair<uint64_t, pid_t>> parse_landlock_domain(const std::string& text) {
  auto domain = field(text, "domain");
  auto status = field(text, "status");
  auto pid = field(text, "pid");
  if (!domain || !status || *status != "allocated" || !pid) return std::nullopt;
  return std::make_pair(std::strtoull(domain->c_str(), nullptr, 16),
                        static_cast<pid_t>(std::strtol(pid->c_str(), nullptr, 10)));
}

capsa_policy_event landlock_policy_event(const LandlockDenial& d, pid_t creator) {
  capsa_policy_event ev{};
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  ev.ts_ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  ev.kind = CAPSA_KIND_FILE;
  ev.action = CAPSA_ACT_DENY;
  ev.enforced = 1;
  ev.access = d.access;  // FileAccess bits are capsa_file_access's order
  ev.pid = static_cast<uint32_t>(creator);
  ev.syscall_nr = -1;
  std::strncpy(ev.path, d.path.c_str(), sizeof ev.path - 1);
  if (creator > 0) {
    std::string comm;
    std::getline(std::ifstream("/proc/" + std::to_string(creator) + "/comm"), comm);
    std::strncpy(ev.comm, comm.c_str(), sizeof ev.comm - 1);
  }
  return ev;
}

uint64_t cgroup2_id_of_pid(pid_t pid, const std::string& cgroup2_mount) {
  std::string path = cgroup2_path(pid);
  if (path.empty()) return 0;
  try {
    return bpf::cgroup_id_of(cgroup2_mount + path);
  } catch (const std::exception&) {
    return 0;
  }
}

AuditState read_audit_state() {
  UniqueFd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT));
  if (!sock) throw_sys("open the audit netlink socket");
  audit_status st{};
  if (int rc = audit_request(sock.get(), AUDIT_GET, &st, 0, &st); rc < 0)
    throw Error("read the audit status: " + errno_text(-rc), -rc);
  return AuditState{st.enabled, st.pid, st.backlog_limit, st.backlog_wait_time};
}

namespace {

// What capsad found before it changed anything, and whether it added the
// rule; written before the first change, read by a capsad after a kill -9.
struct Saved {
  AuditState found;
  bool rule_added = false;
};

std::optional<Saved> load_restore_file(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) return std::nullopt;
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return Saved{{j.value("enabled", 0u), 0, j.value("backlog_limit", 0u), j.value("backlog_wait_time", 0u)},
               j.value("rule_added", false)};
}

void save_restore_file(const std::string& path, const Saved& s) {
  write_file_atomic(path, nlohmann::json{{"enabled", s.found.enabled},
                                         {"backlog_limit", s.found.backlog_limit},
                                         {"backlog_wait_time", s.found.backlog_wait_time},
                                         {"rule_added", s.rule_added}}
                              .dump());
}

constexpr uint32_t kAuditLocked = 2;  // audit -e 2: no change until reboot

}  // namespace

LandlockAudit::LandlockAudit(Report report, const std::string& restore_file)
    : report_(std::move(report)), restore_file_(restore_file) {
  sock_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT));
  if (!sock_) throw_sys("Landlock events: open the audit netlink socket");
  audit_status st{};
  if (int rc = audit_request(sock_.get(), AUDIT_GET, &st, 0, &st); rc < 0)
    throw Error("Landlock events: read the audit status: " + errno_text(-rc), -rc);
  // A daemon pid that is gone is a capsad killed with -9: ours to take over.
  bool stale = st.pid && ::kill(static_cast<pid_t>(st.pid), 0) != 0 && errno == ESRCH;
  if ((st.pid == 0 || stale) && become_daemon(st)) {
    mode_ = "daemon";
  } else {
    // auditd owns audit: read its records beside it, changing nothing.
    sockaddr_nl group{};
    group.nl_family = AF_NETLINK;
    group.nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1);
    if (::bind(sock_.get(), reinterpret_cast<sockaddr*>(&group), sizeof group) != 0)
      throw_sys("Landlock events: join the audit read-only group beside the audit daemon");
    if (!st.enabled) spdlog::warn("Landlock events: audit is disabled by its daemon: Landlock logs nothing");
    mode_ = "multicast";
  }
  worker_.start([this] { run(); });
}

// Registers as the audit daemon first (false when another one did in the
// meantime), then adds the rule and turns audit on: a failure part way
// leaves capsad registered, and restore() undoes what was done.
bool LandlockAudit::become_daemon(const ::audit_status& st) {
  // Records capsad cannot take are lost; with failure mode panic a lost
  // record panics the kernel, which no event is worth.
  if (st.failure == AUDIT_FAIL_PANIC)
    throw Error("Landlock events: audit's failure mode is panic (auditctl -f 2): capsad will not become the audit "
                "daemon, as a record it could not take would panic the kernel");
  auto saved = load_restore_file(restore_file_);
  Saved now = saved.value_or(Saved{{st.enabled, 0, st.backlog_limit, st.backlog_wait_time}, false});
  save_restore_file(restore_file_, now);
  audit_status set{};
  set.mask = AUDIT_STATUS_PID;
  set.pid = static_cast<uint32_t>(::getpid());
  if (int rc = audit_request(sock_.get(), AUDIT_SET, &set, sizeof set); rc < 0) {
    if (!saved) ::unlink(restore_file_.c_str());
    if (rc == -EEXIST) return false;  // an audit daemon registered meanwhile
    throw Error("Landlock events: register as the audit daemon: " + errno_text(-rc), -rc);
  }
  old_ = now.found;
  rule_added_ = now.rule_added;
  registered_ = true;
  try {
    std::vector<char> rule = never_task_rule();
    int rc = audit_request(sock_.get(), AUDIT_ADD_RULE, rule.data(), rule.size());
    if (rc < 0 && rc != -EEXIST)
      throw Error("Landlock events: add the audit rule task,never: " + errno_text(-rc), -rc);
    if (rc == 0) {
      rule_added_ = true;
      save_restore_file(restore_file_, Saved{old_, true});
    }
    if (st.enabled != kAuditLocked) {
      audit_status on{};
      on.mask = AUDIT_STATUS_ENABLED | AUDIT_STATUS_BACKLOG_LIMIT | AUDIT_STATUS_BACKLOG_WAIT_TIME;
      on.enabled = 1;
      on.backlog_limit = std::max<uint32_t>(st.backlog_limit, 8192);
      on.backlog_wait_time = 0;  // a slow capsad drops records, it never stalls a task that logs
      if (int rc2 = audit_request(sock_.get(), AUDIT_SET, &on, sizeof on); rc2 < 0)
        throw Error("Landlock events: turn audit on: " + errno_text(-rc2), -rc2);
    }
  } catch (...) {
    restore();
    throw;
  }
  return true;
}

LandlockAudit::~LandlockAudit() {
  worker_.stop();
  restore();
}

// Puts back what capsad found, if it is still the registered daemon. The
// rule task,never stays where audit was off before: the kernel never
// forgets audit was on, and without the rule every task started from now
// on would take the slow audited-syscall path.
void LandlockAudit::restore() {
  if (!registered_) return;
  registered_ = false;
  audit_status st{};
  if (audit_request(sock_.get(), AUDIT_GET, &st, 0, &st) < 0 || st.pid != static_cast<uint32_t>(::getpid())) {
    spdlog::warn("Landlock events: no longer the audit daemon: audit left as the new one set it");
    return;
  }
  bool ok = true;
  audit_status set{};
  set.mask = AUDIT_STATUS_PID;
  if (st.enabled != kAuditLocked)
    set.mask |= AUDIT_STATUS_ENABLED | AUDIT_STATUS_BACKLOG_LIMIT | AUDIT_STATUS_BACKLOG_WAIT_TIME;
  set.enabled = old_.enabled;
  set.pid = 0;
  set.backlog_limit = old_.backlog_limit;
  set.backlog_wait_time = old_.backlog_wait_time;
  if (int rc = audit_request(sock_.get(), AUDIT_SET, &set, sizeof set); rc < 0) {
    spdlog::warn("Landlock events: put the audit status back: {}", errno_text(-rc));
    ok = false;
  }
  if (rule_added_ && old_.enabled) {
    std::vector<char> rule = never_task_rule();
    if (int rc = audit_request(sock_.get(), AUDIT_DEL_RULE, rule.data(), rule.size()); rc < 0 && rc != -ENOENT) {
      spdlog::warn("Landlock events: remove the audit rule task,never: {}", errno_text(-rc));
      ok = false;
    }
  }
  if (ok) ::unlink(restore_file_.c_str());
}

void LandlockAudit::flush_pending() {
  if (!pending_) return;
  auto c = creators_.find(pending_->domain);
  report_(*pending_, c == creators_.end() ? 0 : c->second);
  pending_.reset();
}

void LandlockAudit::handle(int type, const std::string& text) {
  if (type == AUDIT_LANDLOCK_ACCESS) {
    auto d = parse_landlock_access(text);
    if (!d) return;
    flush_pending();
    // A domain's first denial comes before the record naming its creator.
    if (creators_.contains(d->domain))
      report_(*d, creators_[d->domain]);
    else
      pending_ = std::move(*d);
  } else if (type == AUDIT_LANDLOCK_DOMAIN) {
    if (auto dom = parse_landlock_domain(text)) creators_[dom->first] = dom->second;
    else if (field(text, "status") == std::optional<std::string>("deallocated")) {
      flush_pending();
      if (auto id = field(text, "domain")) creators_.erase(std::strtoull(id->c_str(), nullptr, 16));
      return;
    }
    flush_pending();
  } else if (pending_ && serial_of(text) != pending_->serial) {
    flush_pending();
  }
}

void LandlockAudit::run() {
  std::vector<char> buf(8970 + NLMSG_HDRLEN);  // MAX_AUDIT_MESSAGE_LENGTH
  while (!worker_.stopping()) {
    pollfd fds[2] = {{worker_.wake_fd(), POLLIN, 0}, {sock_.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, 200);
    if (n < 0 && errno != EINTR) {
      spdlog::error("Landlock events: poll: {}", errno_text(errno));
      return;
    }
    if (n == 0) flush_pending();
    if (!(fds[1].revents & POLLIN)) continue;
    ssize_t got = ::recv(sock_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (got < 0) {
      if (errno == ENOBUFS) spdlog::warn("Landlock events: audit records lost (receive buffer full)");
      continue;
    }
    // One record per datagram. Its length is the datagram's: the kernel
    // sets nlmsg_len 16 bytes short on what it sends the audit daemon.
    if (static_cast<size_t>(got) < NLMSG_HDRLEN) continue;
    const auto* m = reinterpret_cast<const nlmsghdr*>(buf.data());
    if (m->nlmsg_type < 1300) continue;  // below AUDIT_FIRST_EVENT: answers, user-space messages
    std::string text(buf.data() + NLMSG_HDRLEN, static_cast<size_t>(got) - NLMSG_HDRLEN);
    while (!text.empty() && text.back() == '\0') text.pop_back();
    try {
      handle(m->nlmsg_type, text);
    } catch (const std::exception& e) {
      spdlog::error("Landlock events: record {}: {}", m->nlmsg_type, e.what());
    }
  }
  flush_pending();
}

}  // namespace capsa::daemon
