// Reading the command line before CLI11 does: which subcommand it names, and
// where exec's and ps's verbatim trailing arguments begin.
#include <map>
#include <set>

#include "cli.h"

namespace capsa::cli {

size_t subcommand_at(const std::vector<std::string>& args) {
  static const std::set<std::string> global_values = {"--root", "--log", "--log-format", "--rootless", "--bpf-pin-root"};
  for (size_t i = 1; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--") return std::string::npos;
    if (a.empty() || a[0] != '-') return i;
    if (global_values.count(a)) ++i;
  }
  return std::string::npos;
}

void mark_trailing_args(std::vector<std::string>& args) {
  // The flags that take a value, of each subcommand whose trailing
  // arguments are passed on verbatim.
  static const std::map<std::string, std::set<std::string>> value_flags = {
      {"exec",
       {"-p", "--process", "--console-socket", "--cwd", "-e", "--env", "-u", "--user", "-g", "--additional-gids", "-c",
        "--cap", "--pid-file", "--preserve-fds", "--process-label", "--apparmor"}},
      {"ps", {"-f", "--format"}},
  };
  size_t i = subcommand_at(args);
  if (i == std::string::npos) return;
  auto it = value_flags.find(args[i]);
  if (it == value_flags.end()) return;
  const auto& values = it->second;
  for (++i; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--") return;
    if (!a.empty() && a[0] == '-') {
      if (values.count(a)) ++i;
      continue;
    }
    // args[i] is the container id: what follows is the command, verbatim.
    if (i + 1 < args.size() && args[i + 1] != "--") args.insert(args.begin() + static_cast<long>(i) + 1, "--");
    return;
  }
}

}  // namespace capsa::cli
