#include "common/mountinfo.h"

#include <sys/sysmacros.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace capsa {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && isdigit(static_cast<unsigned char>(s[i + 1]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::vector<MountInfo> parse_mountinfo(const std::string& text) {
  std::vector<MountInfo> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::istringstream ls(line);
    for (std::string f; std::getline(ls, f, ' ');) fields.push_back(f);
    // "id parent major:minor root mount-point options [optional...] - fstype source super-options"
    size_t dash = 0;
    for (size_t i = 6; i < fields.size(); ++i)
      if (fields[i] == "-") {
        dash = i;
        break;
      }
    unsigned maj = 0, min = 0;
    if (dash == 0 || dash + 3 >= fields.size() || std::sscanf(fields[2].c_str(), "%u:%u", &maj, &min) != 2) continue;
    out.push_back({unescape(fields[3]), unescape(fields[4]), fields[dash + 1], fields[dash + 3],
                   std::strtoull(fields[0].c_str(), nullptr, 10), makedev(maj, min), fields[5]});
  }
  return out;
}

bool MountInfo::read_only() const {
  auto ro_in = [](const std::string& opts) { return opts == "ro" || opts.rfind("ro,", 0) == 0; };
  return ro_in(options) || ro_in(super_options);
}

}  // namespace capsa
