// capsa ps: the processes of a container, as runc prints them. `--format
// json` is the array of host PIDs in the container's cgroup (what
// containerd's shim reads); the table runs ps(1) with the given arguments
// (default -ef) and keeps the header and the container's lines.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cgroup/container_cgroup.h"
#include "cli.h"
#include "common/error.h"

namespace capsa::cli {

namespace {

// Output of ps(1) with args; throws when it cannot run or fails.
std::string run_ps(const std::vector<std::string>& args) {
  std::string cmd = "ps";
  for (const auto& a : args) {
    cmd += " '";
    for (char c : a) cmd += c == '\'' ? std::string("'\\''") : std::string(1, c);
    cmd += "'";
  }
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
  if (!p) throw_sys("run " + cmd);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p.get())) > 0;) out.append(buf, n);
  int status = ::pclose(p.release());
  if (status != 0) throw Error(cmd + ": exited with status " + std::to_string(WEXITSTATUS(status)));
  return out;
}

}  // namespace

void add_ps(CLI::App& app, Context ctx) {
  struct Args {
    std::string id, format = "table";
    std::vector<std::string> ps_args;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("ps", "ps displays the processes running inside a container");
  cmd->add_option("--format,-f", a->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("container-id", a->id, "container id")->required();
  cmd->add_option("ps-args", a->ps_args, "arguments for ps(1) (table format; default -ef)");
  cmd->callback([a, ctx] {
    ctx.action = [a, g = &ctx.global] {
      auto dir = g->store().open(a->id, state::LockMode::Shared);
      auto st = dir.load();
      if (!st) throw Error("container " + a->id + " is still being created");
      auto pids = cgroup::ContainerCgroup::from_json(st->cgroup).pids();
      std::sort(pids.begin(), pids.end());
      if (a->format == "json") {
        if (!a->ps_args.empty()) throw Error("ps: arguments for ps(1) only go with --format table");
        std::printf("%s\n", nlohmann::json(pids).dump().c_str());
        return 0;
      }
      std::istringstream lines(run_ps(a->ps_args.empty() ? std::vector<std::string>{"-ef"} : a->ps_args));
      std::string header;
      std::getline(lines, header);
      // The PID column, by its header word.
      std::istringstream hw(header);
      int pid_col = -1, i = 0;
      for (std::string w; hw >> w; ++i)
        if (w == "PID") pid_col = i;
      if (pid_col < 0) throw Error("ps: no PID column in the output of ps (header: " + header + ")");
      std::printf("%s\n", header.c_str());
      for (std::string line; std::getline(lines, line);) {
        std::istringstream lw(line);
        std::string w;
        for (int c = 0; c <= pid_col && lw >> w; ++c) {
        }
        char* end = nullptr;
        long pid = std::strtol(w.c_str(), &end, 10);
        if (end && *end == 0 && std::binary_search(pids.begin(), pids.end(), static_cast<pid_t>(pid)))
          std::printf("%s\n", line.c_str());
      }
      return 0;
    };
  });
}

}  // namespace capsa::cli
