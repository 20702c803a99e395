#include "container/process_attrs.h"

#include <linux/sched/types.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "spec/process_names.h"

namespace capsa::container {

namespace {

constexpr int kIoprioWhoProcess = 1;  // include/uapi/linux/ioprio.h
constexpr int kIoprioClassShift = 13;

// The tables were checked when the config was parsed; a name missing here
// is a bug, not bad input.
uint64_t lookup(const std::vector<spec::NamedValue>& table, const std::string& name, const std::string& field) {
  auto v = spec::find_named(table, name);
  if (!v) throw Error(field + ": unknown value \"" + name + "\"");
  return *v;
}

}  // namespace

void apply_personality(const spec::Personality& p) {
  unsigned long persona = lookup(spec::personality_domains(), p.domain, "linux.personality.domain");
  for (const auto& f : p.flags) persona |= lookup(spec::personality_flags(), f, "linux.personality.flags");
  if (::personality(persona) < 0) throw_sys("linux.personality: personality(" + p.domain + ")");
}

void apply_io_priority(const spec::IoPriority& io) {
  uint64_t cls = lookup(spec::ioprio_classes(), io.io_class, "process.ioPriority.class");
  long value = static_cast<long>((cls << kIoprioClassShift) | static_cast<uint64_t>(io.priority));
  if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, value) != 0)
    throw_sys("process.ioPriority: ioprio_set " + io.io_class + " " + std::to_string(io.priority));
}

void apply_scheduler(const spec::Scheduler& s) {
  struct sched_attr attr {};
  attr.size = sizeof attr;
  attr.sched_policy = static_cast<uint32_t>(lookup(spec::sched_policies(), s.policy, "process.scheduler.policy"));
  for (const auto& f : s.flags) attr.sched_flags |= lookup(spec::sched_flags(), f, "process.scheduler.flags");
  attr.sched_nice = s.nice;
  attr.sched_priority = s.priority;
  attr.sched_runtime = s.runtime;
  attr.sched_deadline = s.deadline;
  attr.sched_period = s.period;
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) == 0) return;
  int err = errno;
  std::string what = "process.scheduler: sched_setattr " + s.policy;
  if (err == EINVAL && s.policy == "SCHED_ISO") what += " (no mainline kernel implements SCHED_ISO)";
  // The kernel admits SCHED_DEADLINE only for tasks free to run on every CPU
  // of their root domain, and realtime policies only within the cgroup's
  // realtime budget.
  if (err == EPERM || err == EBUSY) what += " (refused by the kernel's admission control or missing CAP_SYS_NICE)";
  throw Error(what + ": " + errno_text(err), err);
}

}  // namespace capsa::container
