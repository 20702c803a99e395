// Which policy governs a container: the rule is simple on purpose so that
// operators can predict it, and the reason is kept for logs and `capsa state`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "policy/model.h"

namespace capsa::policy {

struct Selection {
  const Policy* policy = nullptr;  // nullptr: no policy applies
  std::string reason;  // e.g. "annotation io.capsa.policy=web", "selector glob \"web-*\"", "default", "none"
};

// Precedence: the kPolicyAnnotation annotation naming an existing policy;
// else the first policy (in vector order) with a selector glob matching
// `container_id` (fnmatch, no flags); else the default policy; else none.
Selection explain_selection(const std::vector<Policy>& policies, const std::string& container_id,
                            const std::map<std::string, std::string>& annotations);

const Policy* select_policy(const std::vector<Policy>& policies, const std::string& container_id,
                            const std::map<std::string, std::string>& annotations);

}  // namespace capsa::policy
