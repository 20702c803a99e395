// YAML -> policy::Policy. Strict on purpose: a policy is a security control,
// so a typo ("acton: deny") must fail loudly at load time, with file, line
// and column, instead of silently weakening what the author meant.
#pragma once

#include <string>

#include "common/error.h"
#include "policy/model.h"

namespace capsa::policy {

// A problem in a policy file. what() is "FILE:LINE:COL: message".
class PolicyError : public capsa::Error {
public:
  PolicyError(SourceLoc loc, const std::string& message)
      : capsa::Error(loc.str() + ": " + message), loc_(std::move(loc)), message_(message) {}
  const SourceLoc& loc() const noexcept { return loc_; }
  const std::string& message() const noexcept { return message_; }  // without the location

private:
  SourceLoc loc_;
  std::string message_;
};

// Parses one policy document; `origin` is the file name used in locations.
// Throws PolicyError on any syntax or validation problem.
Policy parse_policy(const std::string& text, const std::string& origin);

// Reads and parses `path`. Throws capsa::Error (naming the file, with the
// errno text) when it cannot be read, PolicyError when it does not parse.
Policy load_policy_file(const std::string& path);

}  // namespace capsa::policy
