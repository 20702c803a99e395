// What capsactl's commands share. Commands on files (validate, apply,
// delete) live in cmd_policy.cpp and work without capsad; commands that ask
// capsad (list, show, status, and the reload after a change) in cmd_daemon.cpp.
#pragma once

#include <string>
#include <vector>

#include "common/cli_main.h"

namespace capsactl {

struct Options {
  std::string root = "/run/capsa";
  std::string socket;  // empty: <root>/capsad.sock
  std::string policy_dir = "/etc/capsa/policies";
  capsa::LogFlags log;
};

// Each returns the exit code; errors that end the command are thrown as
// capsa::Error and printed by capsa::run_main.
int policy_validate(const Options& o, const std::vector<std::string>& files);
int policy_apply(const Options& o, const std::vector<std::string>& files);
int policy_delete(const Options& o, const std::string& name);
int policy_list(const Options& o, const std::string& format);
int policy_show(const Options& o, const std::string& name, const std::string& format);
int status(const Options& o, const std::string& format);

// After the policy directory changed: asks capsad to reload and reports what
// it says (1 when it reports errors), or says it is not running (0).
int reload_after_change(const Options& o);

}  // namespace capsactl
