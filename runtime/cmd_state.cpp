#include <cstdio>

#include "cli.h"
#include "common/error.h"

namespace capsa::cli {

void add_state(CLI::App& app, Context ctx) {
  auto id = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("state", "output the state of a container as JSON");
  cmd->add_option("container-id", *id, "container id")->required();
  cmd->callback([id, ctx] {
    ctx.action = [id, g = &ctx.global] {
      auto dir = g->store().open(*id, state::LockMode::Shared);
      auto st = dir.load();
      if (!st) throw Error("container " + *id + " is still being created");
      std::printf("%s\n", state::oci_state(*st, dir.status(*st)).dump(2).c_str());
      return 0;
    };
  });
}

}  // namespace capsa::cli
