#include "cgroup/usage.h"

#include <cerrno>
#include <sstream>

#include "common/error.h"
#include "common/file_util.h"

namespace capsa::cgroup {

namespace {

double parse_number(const std::string& text, const std::string& path) {
  try {
    return static_cast<double>(std::stoull(text));
  } catch (const std::exception&) {
    throw Error(path + ": expected a number, read \"" + text.substr(0, 40) + "\"");
  }
}

std::optional<double> read_number(const ReadControlFile& read, const std::optional<std::string>& dir,
                                  const char* file) {
  if (!dir) return std::nullopt;
  std::string path = *dir + "/" + file;
  auto text = read(path);
  if (!text) return std::nullopt;
  return parse_number(*text, path);
}

// `key value` lines, as in cpu.stat.
std::optional<double> read_keyed(const ReadControlFile& read, const std::optional<std::string>& dir, const char* file,
                                 const std::string& key) {
  if (!dir) return std::nullopt;
  std::string path = *dir + "/" + file;
  auto text = read(path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  for (std::string k, v; in >> k >> v;)
    if (k == key) return parse_number(v, path);
  throw Error(path + ": no \"" + key + "\" line");
}

}  // namespace

std::optional<std::string> read_control_file(const std::string& path) { return read_file_if_exists(path); }

Usage read_usage(const Layout& layout, const ContainerCgroup& cg) { return read_usage(layout, cg, read_control_file); }

Usage read_usage(const Layout& layout, const ContainerCgroup& cg, const ReadControlFile& read) {
  Usage u;
  // cgroup2 keeps cpu.stat in every directory, cpu controller or not; a v1
  // cpuacct hierarchy is preferred where the host has one (legacy hosts have
  // no cgroup2 at all).
  if (layout.v1_with("cpuacct") && !layout.v2_has("cpu")) {
    if (auto ns = read_number(read, cg.controller_dir(layout, "cpuacct"), "cpuacct.usage")) u.cpu_seconds = *ns / 1e9;
  } else if (auto us = read_keyed(read, cg.unified_dir(), "cpu.stat", "usage_usec")) {
    u.cpu_seconds = *us / 1e6;
  }
  const char* memory_file = layout.v2_has("memory") ? "memory.current" : "memory.usage_in_bytes";
  u.memory_bytes = read_number(read, cg.controller_dir(layout, "memory"), memory_file);
  u.pids = read_number(read, cg.controller_dir(layout, "pids"), "pids.current");
  return u;
}

}  // namespace capsa::cgroup
