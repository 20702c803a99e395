// capsa pause / resume: freeze and thaw every process of a container.
#include "cli.h"
#include "common/error.h"
#include "container/lifecycle.h"

namespace capsa::cli {

namespace {

void add_freeze_command(CLI::App& app, Context ctx, const char* name, const char* help, bool pause) {
  auto id = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("container-id", *id, "container id")->required();
  cmd->callback([id, ctx, pause] {
    ctx.action = [id, g = &ctx.global, pause] {
      auto dir = g->store().open(*id, state::LockMode::Exclusive);
      auto st = dir.load();
      if (!st) throw Error("container " + *id + " is still being created");
      if (pause)
        container::pause_container(dir, *st);
      else
        container::resume_container(dir, *st);
      return 0;
    };
  });
}

}  // namespace

void add_pause(CLI::App& app, Context ctx) {
  add_freeze_command(app, ctx, "pause", "suspend all processes of a container (cgroup freezer)", true);
  add_freeze_command(app, ctx, "resume", "resume the processes of a paused container", false);
}

}  // namespace capsa::cli
