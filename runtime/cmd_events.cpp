// capsa events: runc's event stream for one container, JSON lines of
// {"type","id","data"}: "stats" every --interval (or once with --stats),
// and "oom" when the kernel's OOM killer struck inside the container.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cgroup/blkio.h"
#include "cgroup/container_cgroup.h"
#include "cgroup/hugetlb.h"
#include "cgroup/layout.h"
#include "cgroup/usage.h"
#include "cli.h"
#include "common/error.h"
#include "common/file_util.h"

namespace capsa::cli {

namespace {

// A limit file: "max" (v2) or a v1 value of "unlimited" size reads as 0,
// which is what runc reports for no limit.
uint64_t read_limit(const std::optional<std::string>& dir, const char* file) {
  if (!dir || !path_exists(*dir + "/" + file)) return 0;
  std::string v = read_file(*dir + "/" + file);
  if (v.rfind("max", 0) == 0) return 0;
  uint64_t n = std::stoull(v);
  return n >= (uint64_t{1} << 62) ? 0 : n;
}

// OOM kills so far: v2 memory.events, v1 memory.oom_control.
uint64_t oom_kills(const cgroup::Layout& layout, const cgroup::ContainerCgroup& cg) {
  auto dir = cg.controller_dir(layout, "memory");
  if (!dir) return 0;
  std::string file = *dir + (layout.v2_has("memory") ? "/memory.events" : "/memory.oom_control");
  if (!path_exists(file)) return 0;
  std::istringstream in(read_file(file));
  for (std::string k, v; in >> k >> v;)
    if (k == "oom_kill") return std::stoull(v);
  return 0;
}

nlohmann::json blkio(const cgroup::Layout& layout, const cgroup::ContainerCgroup& cg) {
  bool v2 = layout.v2_has("io");
  auto dir = v2 ? cg.unified_dir() : cg.controller_dir(layout, "blkio");
  if (!dir) return nlohmann::json::object();
  return cgroup::blkio_stats(*dir, v2, cgroup::read_control_file);
}

nlohmann::json hugetlb(const cgroup::Layout& layout, const cgroup::ContainerCgroup& cg) {
  auto dir = cg.controller_dir(layout, "hugetlb");
  if (!dir) return nlohmann::json::object();
  return cgroup::hugetlb_stats(*dir, layout.v2_has("hugetlb"), cgroup::host_hugepage_sizes(), cgroup::read_control_file);
}

nlohmann::json stats(const cgroup::Layout& layout, const cgroup::ContainerCgroup& cg) {
  auto u = cgroup::read_usage(layout, cg);
  const char* mem_limit = layout.v2_has("memory") ? "memory.max" : "memory.limit_in_bytes";
  return {
      {"cpu", {{"usage", {{"total", static_cast<uint64_t>(u.cpu_seconds.value_or(0) * 1e9)}}}}},
      {"memory",
       {{"usage",
         {{"usage", static_cast<uint64_t>(u.memory_bytes.value_or(0))},
          {"limit", read_limit(cg.controller_dir(layout, "memory"), mem_limit)}}}}},
      {"pids",
       {{"current", static_cast<uint64_t>(u.pids.value_or(0))},
        {"limit", read_limit(cg.controller_dir(layout, "pids"), "pids.max")}}},
      {"blkio", blkio(layout, cg)},
      {"hugetlb", hugetlb(layout, cg)},
  };
}

void emit(const char* type, const std::string& id, const nlohmann::json& data) {
  nlohmann::json ev = {{"type", type}, {"id", id}};
  if (!data.is_null()) ev["data"] = data;
  std::printf("%s\n", ev.dump().c_str());
  std::fflush(stdout);
}

// runc takes Go durations: "5s", "500ms", "1m".
std::chrono::milliseconds parse_interval(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  std::string unit = s.substr(i);
  if (i == 0 || (unit != "ms" && unit != "s" && unit != "m"))
    throw Error("--interval: expected a duration such as 5s, 500ms or 1m, got \"" + s + "\"");
  long n = std::stol(s.substr(0, i));
  if (n <= 0) throw Error("--interval: must be positive, got \"" + s + "\"");
  long ms = unit == "ms" ? n : unit == "s" ? n * 1000 : n * 60000;
  return std::chrono::milliseconds(ms);
}

}  // namespace

void add_events(CLI::App& app, Context ctx) {
  struct Opts {
    std::string id;
    bool stats = false;
    std::string interval = "5s";
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("events", "stream a container's stats and OOM events as JSON lines");
  cmd->add_flag("--stats", o->stats, "print the container's stats once and exit");
  cmd->add_option("--interval", o->interval, "time between stats events")->capture_default_str();
  cmd->add_option("container-id", o->id, "container id")->required();
  cmd->callback([o, ctx] {
    ctx.action = [o, g = &ctx.global] {
      auto interval = parse_interval(o->interval);
      auto store = g->store();
      state::ContainerState st;
      {
        auto dir = store.open(o->id, state::LockMode::Shared);
        auto loaded = dir.load();
        if (!loaded) throw Error("container " + o->id + " is still being created");
        if (dir.status(*loaded) == state::Status::Stopped) throw Error("container " + o->id + " is not running");
        st = *loaded;
      }
      auto layout = cgroup::detect_layout();
      auto cg = cgroup::ContainerCgroup::from_json(st.cgroup);
      if (o->stats) {
        emit("stats", o->id, stats(layout, cg));
        return 0;
      }
      uint64_t ooms = oom_kills(layout, cg);
      auto next_stats = std::chrono::steady_clock::now();
      // Until the container is gone; the OOM counter is polled more often
      // than stats so that an "oom" event is not an interval late.
      for (;;) {
        auto dir = store.try_open(o->id, state::LockMode::Shared);
        if (!dir || dir->status(st) == state::Status::Stopped) return 0;
        uint64_t now_ooms = oom_kills(layout, cg);
        if (now_ooms > ooms) emit("oom", o->id, nullptr);
        ooms = now_ooms;
        if (std::chrono::steady_clock::now() >= next_stats) {
          emit("stats", o->id, stats(layout, cg));
          next_stats += interval;
        }
        std::this_thread::sleep_for(std::min(interval, std::chrono::milliseconds(200)));
      }
    };
  });
}

}  // namespace capsa::cli
