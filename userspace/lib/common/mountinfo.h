// /proc/PID/mountinfo, read by the cgroup layout detection and by
// --no-pivot's sweep of the host's mounts.
#pragma once

#include <string>
#include <vector>

namespace capsa {

struct MountInfo {
  std::string root;         // the mounted directory within its file system
  std::string mount_point;  // unescaped
  std::string fstype;
  std::string super_options;
};

// Lines that do not parse are skipped.
std::vector<MountInfo> parse_mountinfo(const std::string& text);

}  // namespace capsa
