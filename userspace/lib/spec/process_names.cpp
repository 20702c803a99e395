#include "spec/process_names.h"

#include <sched.h>
#include <sys/personality.h>

namespace capsa::spec {

const std::vector<NamedValue>& personality_domains() {
  static const std::vector<NamedValue> kDomains = {{"LINUX", PER_LINUX}, {"LINUX32", PER_LINUX32}};
  return kDomains;
}

const std::vector<NamedValue>& personality_flags() {
  static const std::vector<NamedValue> kFlags = {
      {"UNAME26", UNAME26},
      {"ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE},
      {"FDPIC_FUNCPTRS", FDPIC_FUNCPTRS},
      {"MMAP_PAGE_ZERO", MMAP_PAGE_ZERO},
      {"ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT},
      {"READ_IMPLIES_EXEC", READ_IMPLIES_EXEC},
      {"ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT},
      {"SHORT_INODE", SHORT_INODE},
      {"WHOLE_SECONDS", WHOLE_SECONDS},
      {"STICKY_TIMEOUTS", STICKY_TIMEOUTS},
      {"ADDR_LIMIT_3GB", ADDR_LIMIT_3GB},
  };
  return kFlags;
}

// include/uapi/linux/ioprio.h
const std::vector<NamedValue>& ioprio_classes() {
  static const std::vector<NamedValue> kClasses = {
      {"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};
  return kClasses;
}

// SCHED_ISO is reserved in the uapi but no mainline kernel implements it:
// accepted as runc accepts it, and refused by sched_setattr.
const std::vector<NamedValue>& sched_policies() {
  static const std::vector<NamedValue> kPolicies = {
      {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
      {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_ISO", 4},           {"SCHED_IDLE", SCHED_IDLE},
      {"SCHED_DEADLINE", 6},
  };
  return kPolicies;
}

// include/uapi/linux/sched.h
const std::vector<NamedValue>& sched_flags() {
  static const std::vector<NamedValue> kFlags = {
      {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
      {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
      {"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
      {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
  };
  return kFlags;
}

std::optional<uint64_t> find_named(const std::vector<NamedValue>& table, std::string_view name) {
  for (const auto& n : table)
    if (n.name == name) return n.value;
  return std::nullopt;
}

std::string expected_names(const std::vector<NamedValue>& table) {
  std::string out;
  for (size_t i = 0; i < table.size(); ++i) {
    if (i) out += i + 1 == table.size() ? " or " : ", ";
    out += table[i].name;
  }
  return out;
}

std::vector<std::string> names_of(const std::vector<NamedValue>& table) {
  std::vector<std::string> out;
  for (const auto& n : table) out.emplace_back(n.name);
  return out;
}

}  // namespace capsa::spec
