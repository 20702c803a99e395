// capsa: a runc-compatible OCI runtime. Parses the global flags and hands the
// work to one subcommand; any error becomes exit code 1 with a message.
#include <cstdio>
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

using AddSubcommand = void (*)(CLI::App&, capsa::cli::Context);
struct Subcommand {
  std::string_view name;
  AddSubcommand add;
};
constexpr Subcommand kSubcommands[] = {
    {"spec", capsa::cli::add_spec},     {"create", capsa::cli::add_create}, {"start", capsa::cli::add_start},
    {"run", capsa::cli::add_run},       {"state", capsa::cli::add_state},   {"kill", capsa::cli::add_kill},
    {"delete", capsa::cli::add_delete}, {"list", capsa::cli::add_list},     {"ls", capsa::cli::add_list},
    {"exec", capsa::cli::add_exec},     {"ps", capsa::cli::add_ps},         {"features", capsa::cli::add_features},
    {"pause", capsa::cli::add_pause},   {"resume", capsa::cli::add_pause},  {"update", capsa::cli::add_update},
    {"events", capsa::cli::add_events},
};

// Only the subcommand the command line names is built. The whole tree cost
// every call ~30 heap pages, freed again at exit, and the code of fifteen
// subcommands; where a page fault costs ~20 us (these VMs) that was ~1 ms of
// a 25 ms `run`. Without a known name (--help, a typo) all are built, so
// help and CLI11's errors see every subcommand.
void add_subcommands(CLI::App& app, capsa::cli::Context ctx, std::string_view named) {
  for (const auto& sub : kSubcommands)
    if (sub.name == named) return sub.add(app, ctx);
  AddSubcommand last = nullptr;
  for (const auto& sub : kSubcommands)
    if (sub.add != last) sub.add(app, ctx), last = sub.add;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace capsa;
  std::vector<std::string> args(argv, argv + argc);
  const size_t at = cli::subcommand_at(args);
  const std::string named = at == std::string::npos ? "" : args[at];
  // exec puts one of capsa's own processes inside a running container: it
  // runs from a sealed copy (sealed_self.h), re-executed before the command
  // line is even built, so the first process does not pay for building and
  // parsing it. The exact check after parsing stays the authority. create
  // and run decide once they have read the config (init_stub.h).
  if (named == "exec") {
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
  add_subcommands(app, ctx, named);
  cli::mark_trailing_args(args);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  int code = run_main(app, static_cast<int>(cargs.size()), cargs.data(), g.log, [&] {
    if (g.systemd_cgroup) throw Error("--systemd-cgroup: systemd cgroup management is not supported by capsa");
    if (g.rootless == "true") throw Error("--rootless: rootless containers are not supported by capsa yet");
    if (g.rootless != "false" && g.rootless != "auto")
      throw Error("--rootless: expected true, false or auto, got \"" + g.rootless + "\"");
    for (const auto* sub : app.get_subcommands())
      if (sub->get_name() == "exec") container::reexec_from_sealed_copy(argv);
    return action ? action() : 0;
  });
  // Every command's own clean-up has run. What is left is freeing the
  // command tree and the heap, which after create's fork means a copy-on-write
  // fault per page touched: ~25 faults, ~0.5 ms of a `run` here.
  spdlog::shutdown();
  std::fflush(nullptr);
  std::_Exit(code);
}
