#include "cli.h"
#include "common/error.h"
#include "common/signals.h"
#include "container/lifecycle.h"

namespace capsa::cli {

void add_kill(CLI::App& app, Context ctx) {
  struct Opts {
    std::string id;
    std::string signal = "SIGTERM";
    bool all = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("kill", "send a signal (default SIGTERM) to a container's init");
  cmd->add_flag("-a,--all", o->all, "send the signal to every process of the container");
  cmd->add_option("container-id", o->id, "container id")->required();
  cmd->add_option("signal", o->signal, "signal name or number");
  cmd->callback([o, ctx] {
    ctx.action = [o, g = &ctx.global] {
      int sig = parse_signal(o->signal);
      auto dir = g->store().open(o->id, state::LockMode::Shared);
      auto st = dir.load();
      if (!st) throw Error("container " + o->id + " is still being created");
      container::signal_container(dir, *st, sig, o->all);
      return 0;
    };
  });
}

}  // namespace capsa::cli
