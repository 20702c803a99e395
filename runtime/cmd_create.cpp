#include "cli.h"
#include "container/lifecycle.h"

namespace capsa::cli {

void add_create(CLI::App& app, Context ctx) {
  struct Opts {
    CreateFlags flags;
    std::string id;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("create", "create a container (its process waits for start)");
  add_create_flags(*cmd, o->flags);
  cmd->add_option("container-id", o->id, "container id")->required();
  cmd->callback([o, ctx] {
    ctx.action = [o, g = &ctx.global] {
      container::create_container(
          g->store(), {o->id, o->flags.bundle, o->flags.pid_file, g->bpf_pin_root, o->flags.console_socket, false,
                                  o->flags.preserve_fds, o->flags.no_pivot});
      return 0;
    };
  });
}

}  // namespace capsa::cli
