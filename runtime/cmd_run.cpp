#include <signal.h>

#include "cli.h"
#include "container/foreground.h"
#include "container/lifecycle.h"

namespace capsa::cli {

void add_run(CLI::App& app, Context ctx) {
  struct Opts {
    CreateFlags flags;
    bool detach = false;
    std::string id;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("run", "create and start a container, and wait for it unless --detach");
  add_create_flags(*cmd, o->flags);
  cmd->add_flag("-d,--detach", o->detach, "detach from the container's process");
  cmd->add_option("container-id", o->id, "container id")->required();
  cmd->callback([o, ctx] {
    ctx.action = [o, g = &ctx.global] {
      // Blocked from here on so no signal is lost between create and wait;
      // the init unblocks everything before it execs.
      sigset_t set = container::foreground_signals();
      if (!o->detach) ::sigprocmask(SIG_BLOCK, &set, nullptr);

      auto store = g->store();
      auto created = container::create_container(
          store, {o->id, o->flags.bundle, o->flags.pid_file, g->bpf_pin_root, o->flags.console_socket, !o->detach,
                  o->flags.preserve_fds, o->flags.no_pivot});
      const auto& st = created.state;
      {
        auto dir = store.open(o->id, state::LockMode::Exclusive);
        try {
          container::start_container(dir, st);
        } catch (...) {
          container::destroy_container(dir, st, g->bpf_pin_root);
          throw;
        }
      }
      container::run_poststart_hooks(st);
      if (o->detach) return 0;
      int code = container::wait_foreground(st.init_pid, created.pty_master ? created.pty_master.get() : -1);
      auto dir = store.open(o->id, state::LockMode::Exclusive);
      container::destroy_container(dir, st, g->bpf_pin_root);
      return code;
    };
  });
}

}  // namespace capsa::cli
