#include "cgroup/freezer.h"

#include <chrono>
#include <thread>

#include "common/error.h"
#include "common/file_util.h"

namespace capsa::cgroup {

namespace {

struct Freezer {
  std::string dir;
  bool v2 = false;
};

std::optional<Freezer> find_freezer(const ContainerCgroup& cg) {
  if (auto u = cg.unified_dir(); u && path_exists(*u + "/cgroup.freeze")) return Freezer{*u, true};
  if (auto d = cg.controller_dir(detect_layout(), "freezer"); d && path_exists(*d + "/freezer.state"))
    return Freezer{*d, false};
  return std::nullopt;
}

FreezerProbe probe_of(const Freezer& f) {
  return f.v2 ? FreezerProbe{f.dir + "/cgroup.events", true} : FreezerProbe{f.dir + "/freezer.state", false};
}

bool reads_frozen(const Freezer& f) {
  auto p = probe_of(f);
  return p.frozen(read_file(p.file));
}

void request(const Freezer& f, bool frozen) {
  if (f.v2)
    write_file(f.dir + "/cgroup.freeze", frozen ? "1" : "0");
  else
    write_file(f.dir + "/freezer.state", frozen ? "FROZEN" : "THAWED");
}

}  // namespace

// v2: "frozen 1" in cgroup.events; v1: freezer.state reads FROZEN (it reads
// FREEZING while tasks are still on their way).
bool FreezerProbe::frozen(std::string_view content) const {
  if (v2) return content.find("frozen 1") != std::string_view::npos;
  return content.rfind("FROZEN", 0) == 0;
}

std::optional<FreezerProbe> freezer_probe(const ContainerCgroup& cg) {
  auto f = find_freezer(cg);
  if (!f) return std::nullopt;
  return probe_of(*f);
}

void set_frozen(const ContainerCgroup& cg, bool frozen) {
  auto f = find_freezer(cg);
  if (!f) throw Error("this host has no cgroup freezer (neither cgroup.freeze in cgroup v2 nor a v1 freezer hierarchy)");
  using namespace std::chrono;
  auto deadline = steady_clock::now() + seconds(5);
  try {
    for (;;) {
      // v1 may need asking again: tasks forked mid-freeze escape the first pass.
      request(*f, frozen);
      if (reads_frozen(*f) == frozen) return;
      if (steady_clock::now() > deadline)
        throw Error(std::string("cgroup ") + f->dir + ": tasks did not " + (frozen ? "freeze" : "thaw") + " within 5 s");
      std::this_thread::sleep_for(milliseconds(1));
    }
  } catch (...) {
    // Half frozen is worse than not frozen: leave the container running.
    if (frozen) {
      try {
        request(*f, false);
      } catch (...) {
      }
    }
    throw;
  }
}

bool is_frozen(const ContainerCgroup& cg) {
  auto f = find_freezer(cg);
  if (!f) return false;
  try {
    return reads_frozen(*f);
  } catch (const Error&) {
    return false;  // the cgroup went away: the container is stopping
  }
}

}  // namespace capsa::cgroup
