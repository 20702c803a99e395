// The names config.json uses for the constants of personality(2),
// ioprio_set(2) and sched_setattr(2). One table per field serves validation
// (spec/parse), the code that applies it (container/process_attrs) and
// `capsa features`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace capsa::spec {

struct NamedValue {
  std::string_view name;
  uint64_t value;
};

const std::vector<NamedValue>& personality_domains();  // LINUX, LINUX32
const std::vector<NamedValue>& personality_flags();    // ADDR_NO_RANDOMIZE, ...
const std::vector<NamedValue>& ioprio_classes();       // IOPRIO_CLASS_RT, _BE, _IDLE
const std::vector<NamedValue>& sched_policies();       // SCHED_OTHER, ...
const std::vector<NamedValue>& sched_flags();          // SCHED_FLAG_*

std::optional<uint64_t> find_named(const std::vector<NamedValue>& table, std::string_view name);
// "A, B or C": what an error message says was expected.
std::string expected_names(const std::vector<NamedValue>& table);
std::vector<std::string> names_of(const std::vector<NamedValue>& table);

}  // namespace capsa::spec
