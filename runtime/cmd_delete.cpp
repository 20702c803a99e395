#include "cli.h"
#include "common/error.h"
#include "container/lifecycle.h"

namespace capsa::cli {

void add_delete(CLI::App& app, Context ctx) {
  struct Opts {
    std::string id;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("delete", "delete a container and everything it holds");
  cmd->add_flag("-f,--force", o->force, "kill the container first if it is running");
  cmd->add_option("container-id", o->id, "container id")->required();
  cmd->callback([o, ctx] {
    ctx.action = [o, g = &ctx.global] {
      auto dir = g->store().try_open(o->id, state::LockMode::Exclusive);
      if (!dir) {
        if (o->force) return 0;
        throw Error("container does not exist: " + o->id);
      }
      auto st = dir->load();
      if (!st) {
        // A create that died before writing state: its lock is free, so nothing runs it.
        dir->remove();
        return 0;
      }
      auto status = dir->status(*st);
      if ((status == state::Status::Running || status == state::Status::Paused) && !o->force)
        throw Error("cannot delete container " + o->id + " that is not stopped: " + state::to_string(status));
      container::destroy_container(*dir, *st, g->bpf_pin_root);
      return 0;
    };
  });
}

}  // namespace capsa::cli
