#include <optional>

#include "cli.h"
#include "common/error.h"
#include "container/lifecycle.h"

namespace capsa::cli {

void add_start(CLI::App& app, Context ctx) {
  auto id = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("start", "run the user process of a created container");
  cmd->add_option("container-id", *id, "container id")->required();
  cmd->callback([id, ctx] {
    ctx.action = [id, g = &ctx.global] {
      std::optional<state::ContainerState> st;
      {
        auto dir = g->store().open(*id, state::LockMode::Exclusive);
        st = dir.load();
        if (!st) throw Error("container " + *id + " is still being created");
        container::start_container(dir, *st);
      }
      container::run_poststart_hooks(*st);
      return 0;
    };
  });
}

}  // namespace capsa::cli
