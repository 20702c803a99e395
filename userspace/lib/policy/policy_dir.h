// Loading every policy in a directory (/etc/capsa/policies). One bad file
// must not take the other policies down with it, so problems are collected
// per file instead of thrown.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "policy/model.h"

namespace capsa::policy {

struct PolicyFileError {
  std::string file;     // the file the problem is in
  std::string message;  // full text, "file:line:col: msg" (or "open file: errno text")
};

struct PolicyDirLoad {
  std::vector<Policy> policies;  // in file-name order
  std::vector<PolicyFileError> errors;
};

// Reads the regular *.yaml / *.yml files of `dir` (not dotfiles), sorted by
// name. A name or "default: true" already claimed by an earlier file makes
// the later file an error. in_force: the versions in force by file; one
// whose file now fails to load stays in force, so its name and default are
// claimed until that file's new version is accepted (whatever the order of
// the files). Throws capsa::Error when `dir` cannot be read.
// check: more a policy must pass to be accepted (capsad compiles it); what
// it throws makes the file an error like a parse error.
PolicyDirLoad load_policy_dir(const std::string& dir, const std::map<std::string, const Policy*>& in_force = {},
                              const std::function<void(const Policy&)>& check = nullptr);

}  // namespace capsa::policy
