#include "policy/selection.h"

#include <fnmatch.h>

namespace capsa::policy {

Selection explain_selection(const std::vector<Policy>& policies, const std::string& container_id,
                            const std::map<std::string, std::string>& annotations) {
  // An annotation naming a policy that is not loaded falls through to the
  // other rules, but the reason says so: a typo there should be visible.
  std::string note;
  if (auto it = annotations.find(kPolicyAnnotation); it != annotations.end()) {
    for (const auto& p : policies)
      if (p.name == it->second) return {&p, std::string("annotation ") + kPolicyAnnotation + "=" + p.name};
    note = std::string(" (annotation ") + kPolicyAnnotation + "=" + it->second + " names no loaded policy)";
  }
  for (const auto& p : policies)
    for (const auto& g : p.container_globs)
      if (::fnmatch(g.c_str(), container_id.c_str(), 0) == 0) return {&p, "selector glob \"" + g + "\"" + note};
  for (const auto& p : policies)
    if (p.is_default) return {&p, "default" + note};
  return {nullptr, "none" + note};
}

const Policy* select_policy(const std::vector<Policy>& policies, const std::string& container_id,
                            const std::map<std::string, std::string>& annotations) {
  return explain_selection(policies, container_id, annotations).policy;
}

}  // namespace capsa::policy
