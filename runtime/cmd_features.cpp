// capsa features: what this build of capsa implements, in runc's JSON shape
// (runtime-spec features.md), so that a client can check before it asks.
// Every list comes from the code that implements it, never a copy.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cgroup/layout.h"
#include "cli.h"
#include "common/capabilities.h"
#include "container/hooks.h"
#include "container/mount_options.h"
#include "spec/process_names.h"
#include "spec/seccomp_names.h"

namespace capsa::cli {

void add_features(CLI::App& app, Context ctx) {
  auto* cmd = app.add_subcommand("features", "show the enabled features (runtime-spec features.md, as JSON)");
  cmd->callback([ctx] {
    ctx.action = [] {
      nlohmann::json caps = nlohmann::json::array();
      for (int c = 0; c <= last_known_capability(); ++c) caps.push_back(capability_name(c));
      nlohmann::json actions = nlohmann::json::array(), operators = nlohmann::json::array(),
                     flags = nlohmann::json::array();
      for (const auto& a : spec::seccomp_actions()) actions.push_back(a.name);
      for (const auto& [name, v] : spec::seccomp_operators()) operators.push_back(name);
      for (const auto& [name, v] : spec::seccomp_flags()) flags.push_back(name);
      nlohmann::json f = {
          {"ociVersionMin", "1.0.0"},
          {"ociVersionMax", "1.2.0"},
          {"hooks", container::hook_kinds()},
          {"mountOptions", container::known_mount_options()},
          {"linux",
           {
               {"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
               {"capabilities", caps},
               {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}, {"rdma", true}}},
               {"seccomp",
                {{"enabled", true},
                 {"actions", actions},
                 {"operators", operators},
                 {"archs", spec::seccomp_arch_names()},
                 {"knownFlags", flags},
                 {"supportedFlags", flags}}},
               {"apparmor", {{"enabled", false}}},
               {"selinux", {{"enabled", false}}},
               {"intelRdt", {{"enabled", false}}},
               {"mountExtensions", {{"idmap", {{"enabled", true}}}}},
               // Not in runtime-spec's features schema (neither are the
               // process knobs below): capsa's own, in the same shape.
               {"personality",
                {{"domains", spec::names_of(spec::personality_domains())},
                 {"flags", spec::names_of(spec::personality_flags())}}},
           }},
          {"process",
           {
               {"scheduler",
                {{"policies", spec::names_of(spec::sched_policies())}, {"flags", spec::names_of(spec::sched_flags())}}},
               {"ioPriority", {{"classes", spec::names_of(spec::ioprio_classes())}}},
           }},
          {"annotations", {{"io.capsa.policy", "name of the capsad policy that governs the container"}}},
      };
      std::printf("%s\n", f.dump(2).c_str());
      return 0;
    };
  });
}

}  // namespace capsa::cli
