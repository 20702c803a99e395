// The file rules a policy hands to Landlock (spec.files.landlock: true):
// capsad picks them when the runtime asks before starting a process in a
// container, the runtime installs them there (container/landlock_ruleset.h).
//
// Only what must be refused goes: rules whose action is deny or kill of a
// policy in enforce mode. Audit never blocks; a kill still comes from the
// BPF tier when the operation gets that far (Landlock refusing first is
// fine: the operation never happens).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/model.h"

namespace capsa::policy {

struct LandlockDeny {
  PathPattern path;
  uint8_t access = 0;  // FileAccess bits
  bool operator==(const LandlockDeny&) const = default;
};

// Empty unless the policy opted in, is in enforce mode and has deny or kill
// file rules. One entry per path, accesses of rules naming it merged.
std::vector<LandlockDeny> landlock_denies(const Policy& policy);

// The wire form between capsad and the runtime:
// [{"path": "/secret", "prefix": true, "access": ["read", "create"]}, ...]
nlohmann::json landlock_denies_to_json(const std::vector<LandlockDeny>& denies);
// Throws Error naming `origin`, the entry and what was expected.
std::vector<LandlockDeny> landlock_denies_from_json(const nlohmann::json& j, const std::string& origin);

// "/secret/" for a prefix, "/etc/shadow" otherwise: as the policy wrote it.
std::string pattern_text(const PathPattern& p);

}  // namespace capsa::policy
