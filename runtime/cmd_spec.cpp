#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "common/error.h"
#include "common/file_util.h"
#include "spec/default_spec.h"

namespace capsa::cli {

void add_spec(CLI::App& app, Context ctx) {
  struct Opts {
    std::string bundle;
    bool rootless = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("spec", "create a new specification file (config.json)");
  cmd->add_option("-b,--bundle", o->bundle, "path to the root of the bundle directory");
  cmd->add_flag("--rootless", o->rootless, "generate a configuration for a rootless container");
  cmd->callback([o, ctx] {
    ctx.action = [o] {
      std::string path = (o->bundle.empty() ? std::string(".") : o->bundle) + "/config.json";
      if (path_exists(path)) throw Error("File " + path + " exists. Remove it first");
      write_file_atomic(path, spec::default_spec_json(o->rootless), 0644);
      return 0;
    };
  });
}

}  // namespace capsa::cli
