// capsactl: the operator's CLI for capsad's security policies. validate and
// apply work from the files (no daemon needed); list, show and status ask
// capsad over its control socket.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "capsactl.h"
#include "common/build_info.h"
#include "common/cli_main.h"

namespace {

// What the selected subcommand runs, after parsing and logging set-up.
using Action = std::function<int()>;

// One subcommand runs per invocation, so they can share the storage.
struct Args {
  std::vector<std::string> files;
  std::string name;
  std::string format = "table";
};

void add_format(CLI::App* cmd, Args& a) {
  cmd->add_option("--format", a.format, "table or json")->capture_default_str()->check(CLI::IsMember({"table", "json"}));
}

void add_policy_commands(CLI::App& app, const capsactl::Options& o, Args& a, Action& action) {
  auto* policy = app.add_subcommand("policy", "validate, apply, delete and inspect policies");
  policy->require_subcommand(1);

  auto* validate = policy->add_subcommand("validate", "parse and compile policy files (no daemon needed)");
  validate->add_option("files", a.files, "policy YAML files")->required();
  validate->callback([&] { action = [&] { return capsactl::policy_validate(o, a.files); }; });

  auto* apply = policy->add_subcommand(
      "apply", "validate policy files, install them into --policy-dir and have capsad reload");
  apply->add_option("files", a.files, "policy YAML files (*.yaml or *.yml)")->required();
  apply->callback([&] { action = [&] { return capsactl::policy_apply(o, a.files); }; });

  auto* del = policy->add_subcommand("delete", "remove the policy with this metadata.name from --policy-dir");
  del->add_option("name", a.name, "the policy's metadata.name")->required();
  del->callback([&] { action = [&] { return capsactl::policy_delete(o, a.name); }; });

  auto* list = policy->add_subcommand("list", "the policies capsad has in force");
  add_format(list, a);
  list->callback([&] { action = [&] { return capsactl::policy_list(o, a.format); }; });

  auto* show = policy->add_subcommand("show", "one policy in force: rules, selector, bound containers");
  show->add_option("name", a.name, "the policy's metadata.name")->required();
  add_format(show, a);
  show->callback([&] { action = [&] { return capsactl::policy_show(o, a.name, a.format); }; });
}

}  // namespace

int main(int argc, char** argv) {
  capsactl::Options o;
  Args a;
  Action action;
  CLI::App app{"capsactl: manage the security policies capsad enforces", "capsactl"};
  app.set_version_flag("-v,--version",
                       std::string("capsactl version ") + capsa::kVersion + "\ncommit: " + capsa::kGitCommit);
  app.add_option("--root", o.root, "the runtime's state directory, where capsad's socket is")->capture_default_str();
  app.add_option("--socket", o.socket, "capsad's control socket (default <root>/capsad.sock)");
  app.add_option("--policy-dir", o.policy_dir, "the directory capsad loads policies from")->capture_default_str();
  capsa::add_log_flags(app, o.log);
  app.require_subcommand(1);
  // Global flags are accepted after the subcommand too (inherited by subcommands).
  app.fallthrough();

  add_policy_commands(app, o, a, action);
  auto* status = app.add_subcommand("status", "enforcement tiers, bound containers and reload errors");
  add_format(status, a);
  status->callback([&] { action = [&] { return capsactl::status(o, a.format); }; });

  return capsa::run_main(app, argc, argv, o.log, [&] { return action ? action() : 0; });
}
