// What every capsa subcommand shares: the global flags, and how a subcommand
// plugs into the CLI. Each subcommand lives in its own cmd_<name>.cpp.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/cli_main.h"
#include "state/state_store.h"

namespace capsa::cli {

struct GlobalOptions {
  std::string root = "/run/capsa";
  LogFlags log;
  bool systemd_cgroup = false;
  std::string rootless = "auto";
  std::string bpf_pin_root;

  state::StateStore store() const { return state::StateStore(root); }
};

// A subcommand sets the action when it is selected; main runs it after
// parsing and logging set-up, and exits with what it returns.
using Action = std::function<int()>;

struct Context {
  GlobalOptions& global;
  Action& action;
};

void add_spec(CLI::App& app, Context ctx);
void add_create(CLI::App& app, Context ctx);
void add_start(CLI::App& app, Context ctx);
void add_run(CLI::App& app, Context ctx);
void add_state(CLI::App& app, Context ctx);
void add_kill(CLI::App& app, Context ctx);
void add_delete(CLI::App& app, Context ctx);
void add_list(CLI::App& app, Context ctx);
void add_exec(CLI::App& app, Context ctx);
void add_ps(CLI::App& app, Context ctx);
void add_features(CLI::App& app, Context ctx);
void add_pause(CLI::App& app, Context ctx);  // pause and resume
void add_update(CLI::App& app, Context ctx);
void add_events(CLI::App& app, Context ctx);

// The index in args of the subcommand's name (the first word that is not a
// global flag or its value), or npos.
size_t subcommand_at(const std::vector<std::string>& args);

// runc's exec takes everything after the container id as the command, and
// ps as ps(1)'s arguments: marks that spot with "--" so their flags are not
// parsed as capsa's.
void mark_trailing_args(std::vector<std::string>& args);

// Flags shared by create and run.
struct CreateFlags {
  std::string bundle;
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
};
void add_create_flags(CLI::App& cmd, CreateFlags& f);

}  // namespace capsa::cli
