// The shape shared by capsa's and capsad's main(): parse the command line,
// set up logging from the parsed flags, run, and turn any error into exit
// code 1 with a message on stderr (and in the log file).
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "common/logging.h"

namespace capsa {

struct LogFlags {
  std::string file;
  std::string format = "text";
  bool debug = false;
};

// Adds --log, --log-format and --debug to app.
void add_log_flags(CLI::App& app, LogFlags& flags);

// body runs after parsing and logging set-up; its result is the exit code.
int run_main(CLI::App& app, int argc, char** argv, const LogFlags& log, const std::function<int()>& body);

}  // namespace capsa
