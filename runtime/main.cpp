// capsa: a runc-compatible OCI runtime. Parses the global flags and hands the
// work to one subcommand; any error becomes exit code 1 with a message.
#include <cstdlib>
#include <string_view>

#include <spdlog/spdlog.h>

#include "telemetry.h"
#include "cli.h"
#include "common/error.h"
#include "common/build_info.h"
#include "common/cli_main.h"
#include "container/sealed_self.h"

namespace {

// exec puts one of capsa's own processes inside a running container: it runs
// from a sealed copy (sealed_self.h). An argument spelling it re-executes
// before the command line is even built, so the first process does not pay
// for building and parsing it; a spurious match (a container named "exec")
// costs one exec and nothing else. The exact check after parsing stays the
// authority. create and run decide once they have read the config
// (init_stub.h).
bool may_enter_a_container(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "exec") return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace capsa;
  if (may_enter_a_container(argc, argv)) {
    try {
      container::reexec_from_sealed_copy(argv);
    } catch (const std::exception&) {
      // Reported, in the requested log format, by the same call below.
    }
  }
  cli::GlobalOptions g;
  if (const char* pin = std::getenv("CAPSA_BPF_PIN_ROOT")) g.bpf_pin_root = pin;
  if (g.bpf_pin_root.empty()) g.bpf_pin_root = CAPSA_PIN_ROOT_DEFAULT;

  CLI::App app{"capsa: OCI container runtime with eBPF-enforced isolation", "capsa"};
  app.set_version_flag("-v,--version",
                       std::string("capsa version ") + capsa::kVersion + "\ncommit: " + capsa::kGitCommit + "\nspec: 1.2.0");
  app.add_option("--root", g.root, "root directory for storage of container state")->capture_default_str();
  add_log_flags(app, g.log);
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "use systemd for cgroups (not supported)");
  app.add_option("--rootless", g.rootless, "rootless mode: true, false or auto")->capture_default_str();
  app.add_option("--bpf-pin-root", g.bpf_pin_root, "bpffs directory where capsad pins its maps")
      ->capture_default_str()->envname("CAPSA_BPF_PIN_ROOT");
  app.require_subcommand(1);
  app.fallthrough();

  cli::Action action;
  cli::Context ctx{g, action};
  cli::add_spec(app, ctx);
  cli::add_create(app, ctx);
  cli::add_start(app, ctx);
  cli::add_run(app, ctx);
  cli::add_state(app, ctx);
  cli::add_kill(app, ctx);
  cli::add_delete(app, ctx);
  cli::add_list(app, ctx);
  cli::add_exec(app, ctx);
  cli::add_ps(app, ctx);
  cli::add_features(app, ctx);
  cli::add_pause(app, ctx);
  cli::add_update(app, ctx);
  cli::add_events(app, ctx);

  std::vector<std::string> args(argv, argv + argc);
  cli::mark_trailing_args(args);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  return run_main(app, static_cast<int>(cargs.size()), cargs.data(), g.log, [&] {
    if (g.systemd_cgroup) throw Error("--systemd-cgroup: systemd cgroup management is not supported by capsa");
    if (g.rootless == "true") throw Error("--rootless: rootless containers are not supported by capsa yet");
    if (g.rootless != "false" && g.rootless != "auto")
      throw Error("--rootless: expected true, false or auto, got \"" + g.rootless + "\"");
    for (const auto* sub : app.get_subcommands())
      if (sub->get_name() == "exec") container::reexec_from_sealed_copy(argv);
    return action ? action() : 0;
  });
}
