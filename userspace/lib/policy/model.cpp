// Names of the policy model's enums as written in YAML, and how source
// locations print; shared by the parser, the compiler and event output.
#include "policy/model.h"

namespace capsa::policy {

const char* to_string(Action a) {
  switch (a) {
    case Action::Allow: return "allow";
    case Action::Audit: return "audit";
    case Action::Deny: return "deny";
    case Action::Kill: return "kill";
  }
  return "?";
}

const char* to_string(Mode m) {
  switch (m) {
    case Mode::Enforce: return "enforce";
    case Mode::Audit: return "audit";
  }
  return "?";
}

std::string swap_sysctl_separators(std::string name) {
  for (char& c : name) c = c == '.' ? '/' : c == '/' ? '.' : c;
  return name;
}

std::string SourceLoc::str() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace capsa::policy
