// Which cgroup hierarchies this host has, read from mountinfo: pure v2
// (one cgroup2 mount), hybrid (v1 controllers plus a cgroup2 mount, as on
// these machines), or legacy v1.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace capsa::cgroup {

struct Hierarchy {
  std::string mount_point;
  std::set<std::string> controllers;  // v2: cgroup.controllers of the root; v1: from super options
  std::string mount_options;          // v1: "cpu", "cpu,cpuacct" or "name=systemd"; v2: ""
  // Key used in /proc/<pid>/cgroup: "" for v2, else the v1 controller list.
  std::string key() const { return mount_options; }
};

enum class LayoutKind { Unified, Hybrid, Legacy, None };

struct Layout {
  std::optional<Hierarchy> unified;
  std::vector<Hierarchy> v1;

  LayoutKind kind() const;
  bool v2_has(const std::string& controller) const;
  const Hierarchy* v1_with(const std::string& controller) const;
};

// `read_controllers(mount_point)` returns the text of cgroup.controllers.
Layout parse_layout(const std::string& mountinfo,
                    const std::function<std::string(const std::string&)>& read_controllers);
// The calling process's view.
Layout detect_layout();

// /proc/<pid>/cgroup text -> hierarchy key ("" for v2) -> path.
std::map<std::string, std::string> parse_proc_cgroup(const std::string& text);

const char* to_string(LayoutKind k);

}  // namespace capsa::cgroup
