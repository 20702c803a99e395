// Landlock's refusals as capsad events (capsad --landlock-events). Landlock
// (ABI 7, Linux 6.15) reports what it refused only through the audit
// subsystem: one LANDLOCK_ACCESS record per denial, naming the domain (the
// ruleset a process installed), the rights it lacked and the path; and,
// after a domain's first one, a LANDLOCK_DOMAIN record naming the process
// that installed it. capsa's runtime installs a container's ruleset in the
// container's init and in each `capsa exec`'d process, so that process's
// cgroup names the container.
//
// Where no audit daemon runs, capsad becomes it: audit is enabled, with a
// task rule "never" so that no task gets per-syscall auditing (its cost on
// every syscall is what this avoids), no backlog wait (a slow reader drops
// records, it never stalls the tasks that log them), and all of it put back
// when capsad stops. Where auditd runs, capsad reads the records from the
// read-only multicast group instead and changes nothing.
//
// What it cannot say: without a SYSCALL record (none under the "never"
// rule) the denied process's pid is unknown; events carry the pid of the
// process that installed the ruleset.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/poll_worker.h"
#include "common/unique_fd.h"
#include "policy.h"

struct audit_status;  // <linux/audit.h>

namespace capsa::daemon {

// One LANDLOCK_ACCESS record, parsed.
struct LandlockDenial {
  uint64_t serial = 0;   // the audit event's serial
  uint64_t domain = 0;
  std::string blockers;  // "fs.read_file,fs.make_reg"
  std::string path;      // "" for denials without one
  uint8_t access = 0;    // policy::FileAccess bits the blockers map to
};

// Parses the text of a LANDLOCK_ACCESS record ("audit(T:S): domain=...
// blockers=... path=... dev=... ino=..."); nullopt when it is not one.
std::optional<LandlockDenial> parse_landlock_access(const std::string& text);
// The domain id and creator pid of a LANDLOCK_DOMAIN "allocated" record.
std::optional<std::pair<uint64_t, pid_t>> parse_landlock_domain(const std::string& text);

// The event for a denial: kind file, action deny, the denied path and
// accesses, the creator's pid and command (cgroup, policy and rule are the
// caller's to fill).
capsa_policy_event landlock_policy_event(const LandlockDenial& d, pid_t creator);
// The cgroup v2 id of a process ("0::" of /proc/PID/cgroup under the v2
// mount point); 0 when it is gone.
uint64_t cgroup2_id_of_pid(pid_t pid, const std::string& cgroup2_mount);

// The audit settings capsad may change, as the kernel reports them.
struct AuditState {
  uint32_t enabled = 0, pid = 0, backlog_limit = 0, backlog_wait_time = 0;
};
// Throws Error when the kernel has no audit or refuses to say.
AuditState read_audit_state();

class LandlockAudit {
public:
  // Called on the reader thread for each denial, with the pid of the
  // process that installed the domain (0 when unknown).
  using Report = std::function<void(const LandlockDenial&, pid_t creator)>;
  // Throws Error saying why when audit cannot be read (no CONFIG_AUDIT,
  // another daemon without the multicast group, no CAP_AUDIT_CONTROL).
  // restore_file keeps the settings found before capsad changed them, so a
  // capsad started after a kill -9 puts back those, not its predecessor's.
  LandlockAudit(Report report, const std::string& restore_file);
  ~LandlockAudit();
  LandlockAudit(const LandlockAudit&) = delete;
  LandlockAudit& operator=(const LandlockAudit&) = delete;

  // "daemon" when capsad registered as the audit daemon, "multicast" when
  // it reads beside another.
  const std::string& mode() const { return mode_; }

private:
  void run();
  void handle(int type, const std::string& text);
  void flush_pending();
  bool become_daemon(const ::audit_status& st);
  void restore();

  Report report_;
  UniqueFd sock_;
  std::string mode_;
  std::string restore_file_;
  bool registered_ = false;  // capsad is the audit daemon: restore() puts audit back
  AuditState old_;
  bool rule_added_ = false;
  std::map<uint64_t, pid_t> creators_;      // domain -> pid that installed it
  std::optional<LandlockDenial> pending_;   // a first denial, its DOMAIN record to follow
  PollWorker worker_{"Landlock events"};
};

}  // namespace capsa::daemon
