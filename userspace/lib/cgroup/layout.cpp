#include "cgroup/layout.h"

#include <sstream>

#include "common/error.h"
#include "common/file_util.h"
#include "common/mountinfo.h"

namespace capsa::cgroup {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, sep);) out.push_back(part);
  return out;
}

// Super options of a v1 cgroup mount that are not controllers.
bool is_v1_flag(const std::string& opt) {
  return opt == "rw" || opt == "ro" || opt == "noprefix" || opt == "clone_children" || opt == "xattr" ||
         opt == "cpuset_v2_mode" || opt == "favordynmods" ||
         (opt.find('=') != std::string::npos && opt.rfind("name=", 0) != 0);
}

}  // namespace

LayoutKind Layout::kind() const {
  if (unified && v1.empty()) return LayoutKind::Unified;
  if (unified) return LayoutKind::Hybrid;
  if (!v1.empty()) return LayoutKind::Legacy;
  return LayoutKind::None;
}

bool Layout::v2_has(const std::string& controller) const {
  return unified && unified->controllers.count(controller) > 0;
}

const Hierarchy* Layout::v1_with(const std::string& controller) const {
  for (const auto& h : v1)
    if (h.controllers.count(controller)) return &h;
  return nullptr;
}

Layout parse_layout(const std::string& mountinfo,
                    const std::function<std::string(const std::string&)>& read_controllers) {
  Layout layout;
  std::set<std::string> seen_v1;
  for (const auto& m : parse_mountinfo(mountinfo)) {
    const std::string& root = m.root;
    const std::string& mount_point = m.mount_point;
    const std::string& fstype = m.fstype;
    const std::string& super = m.super_options;
    if (root != "/") continue;  // a bind of a sub-cgroup, not the hierarchy's root
    if (fstype == "cgroup2") {
      if (layout.unified) continue;
      Hierarchy h;
      h.mount_point = mount_point;
      for (const auto& c : split(read_controllers(mount_point), ' ')) {
        std::string name = c;
        while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
        if (!name.empty()) h.controllers.insert(name);
      }
      layout.unified = h;
    } else if (fstype == "cgroup") {
      Hierarchy h;
      h.mount_point = mount_point;
      for (const auto& opt : split(super, ',')) {
        if (is_v1_flag(opt)) continue;
        if (!h.mount_options.empty()) h.mount_options += ',';
        h.mount_options += opt;
        if (opt.rfind("name=", 0) != 0) h.controllers.insert(opt);
      }
      if (h.mount_options.empty() || !seen_v1.insert(h.mount_options).second) continue;
      layout.v1.push_back(h);
    }
  }
  return layout;
}

Layout detect_layout() {
  return parse_layout(read_file("/proc/self/mountinfo"), [](const std::string& mp) {
    try {
      return read_file(mp + "/cgroup.controllers");
    } catch (const Error&) {
      return std::string();
    }
  });
}

std::map<std::string, std::string> parse_proc_cgroup(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    out[line.substr(first + 1, second - first - 1)] = line.substr(second + 1);
  }
  return out;
}

const char* to_string(LayoutKind k) {
  switch (k) {
    case LayoutKind::Unified: return "unified";
    case LayoutKind::Hybrid: return "hybrid";
    case LayoutKind::Legacy: return "legacy";
    case LayoutKind::None: return "none";
  }
  return "unknown";
}

}  // namespace capsa::cgroup
