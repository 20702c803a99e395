#include <signal.h>

#include <cstring>

#include "cli.h"
#include "common/capabilities.h"
#include "common/error.h"
#include "common/file_util.h"
#include "container/exec.h"
#include "container/foreground.h"
#include "daemon/control_socket.h"
#include "spec/parse.h"

namespace capsa::cli {

namespace {

struct ExecFlags {
  std::string id;
  std::vector<std::string> command;
  std::string process_file;
  bool tty = false;
  std::string console_socket;
  std::string cwd;
  std::vector<std::string> env;
  std::string user;
  std::vector<std::string> additional_gids;
  std::vector<std::string> caps;
  bool no_new_privs = false;
  bool detach = false;
  std::string pid_file;
  int preserve_fds = 0;
};

uint32_t parse_id(const std::string& s, const std::string& flag) {
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos)
    throw Error(flag + ": expected a numeric id, got \"" + s + "\"");
  unsigned long v = std::stoul(s);
  if (v > UINT32_MAX) throw Error(flag + ": id out of range: " + s);
  return static_cast<uint32_t>(v);
}

// runc's rules: the container's own process is the template; flags override.
spec::Process build_process(const ExecFlags& f, const spec::Spec& config) {
  if (!f.process_file.empty()) {
    if (!f.command.empty()) throw Error("--process: a command cannot be given as well");
    return spec::parse_process_json(read_file(f.process_file), f.process_file);
  }
  if (f.command.empty()) throw Error("exec: a command is required (or --process FILE)");
  spec::Process p = *config.process;
  p.args = f.command;
  p.terminal = f.tty;
  if (!f.cwd.empty()) {
    if (f.cwd[0] != '/') throw Error("--cwd: must be an absolute path: " + f.cwd);
    p.cwd = f.cwd;
  }
  for (const auto& e : f.env) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("--env: expected NAME=value, got \"" + e + "\"");
    std::string name = e.substr(0, eq + 1);
    std::erase_if(p.env, [&](const std::string& x) { return x.rfind(name, 0) == 0; });
    p.env.push_back(e);
  }
  if (!f.user.empty()) {
    auto colon = f.user.find(':');
    p.user.uid = parse_id(f.user.substr(0, colon), "--user");
    if (colon != std::string::npos) p.user.gid = parse_id(f.user.substr(colon + 1), "--user");
  }
  for (const auto& g : f.additional_gids) p.user.additional_gids.push_back(parse_id(g, "--additional-gids"));
  if (!f.caps.empty()) {
    if (!p.capabilities) p.capabilities = spec::Capabilities{};
    for (const auto& c : f.caps) {
      if (!capability_from_name(c)) throw Error("--cap: unknown capability \"" + c + "\"");
      for (auto* set : {&p.capabilities->bounding, &p.capabilities->effective, &p.capabilities->permitted,
                        &p.capabilities->inheritable, &p.capabilities->ambient})
        if (std::find(set->begin(), set->end(), c) == set->end()) set->push_back(c);
    }
  }
  if (f.no_new_privs) p.no_new_privileges = true;
  return p;
}

}  // namespace

void add_exec(CLI::App& app, Context ctx) {
  auto f = std::make_shared<ExecFlags>();
  auto* cmd = app.add_subcommand("exec", "run a new process inside a running container");
  cmd->add_option("-p,--process", f->process_file, "path to a process.json (the OCI process object)");
  cmd->add_flag("-t,--tty", f->tty, "allocate a pseudo-terminal");
  cmd->add_option("--console-socket", f->console_socket, "unix socket that receives the pty master");
  cmd->add_option("--cwd", f->cwd, "current working directory in the container");
  cmd->add_option("-e,--env", f->env, "set an environment variable (NAME=value), repeatable")
      ->allow_extra_args(false);
  cmd->add_option("-u,--user", f->user, "UID[:GID] to run as");
  cmd->add_option("-g,--additional-gids", f->additional_gids, "additional group id, repeatable")
      ->allow_extra_args(false);
  cmd->add_option("-c,--cap", f->caps, "add a capability (e.g. CAP_NET_ADMIN), repeatable")
      ->allow_extra_args(false);
  cmd->add_flag("--no-new-privs", f->no_new_privs, "set no_new_privs for the process");
  cmd->add_flag("-d,--detach", f->detach, "detach from the process");
  cmd->add_option("--pid-file", f->pid_file, "file to write the process id to");
  cmd->add_option("--preserve-fds", f->preserve_fds, "pass N additional file descriptors (3 .. 3+N-1) to the process");
  cmd->add_option("container-id", f->id, "container id")->required();
  cmd->add_option("command", f->command, "command and arguments");
  cmd->callback([f, ctx] {
    ctx.action = [f, g = &ctx.global] {
      auto dir = g->store().open(f->id, state::LockMode::Shared);
      auto st = dir.load();
      if (!st) throw Error("container " + f->id + " is still being created");
      if (dir.status(*st) == state::Status::Paused) throw Error("cannot exec in a paused container");
      // The container's config: the template of the process, and its seccomp profile.
      spec::Spec config = spec::load_bundle_spec(st->bundle);
      spec::Process proc = build_process(*f, config);
      if (!f->detach) {
        sigset_t set = container::foreground_signals();
        ::sigprocmask(SIG_BLOCK, &set, nullptr);
      }
      container::ExecRequest req{proc, f->console_socket, !f->detach, {}};
      if (config.linux) {
        req.seccomp = config.linux->seccomp;
        req.personality = config.linux->personality;
      }
      req.preserve_fds = f->preserve_fds;
      req.capsad_socket = daemon::default_control_socket(g->store().root());
      req.landlock_plan_file = g->store().dir_of(st->id) + "/landlock.json";
      auto ex = container::exec_in_container(*st, req);
      if (!f->pid_file.empty()) replace_file(f->pid_file, std::to_string(ex.pid), 0644);
      if (f->detach) return 0;
      return container::wait_foreground(ex.pid, ex.pty_master ? ex.pty_master.get() : -1);
    };
  });
}

}  // namespace capsa::cli
