// /proc/PID/mountinfo, read by the cgroup layout detection, by
// --no-pivot's sweep of the host's mounts and by the Landlock ruleset's
// view of the container's mounts.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace capsa {

struct MountInfo {
  std::string root;         // the mounted directory within its file system
  std::string mount_point;  // unescaped
  std::string fstype;
  std::string super_options;
  uint64_t id = 0;          // the mount id (statx's STATX_MNT_ID)
  dev_t dev = 0;            // its super block's device (a file's st_dev may differ: overlayfs, btrfs)
  std::string options;      // per-mount options (ro, nosuid...)
  bool read_only() const;   // by the mount's options or its super block's
};

// Lines that do not parse are skipped.
std::vector<MountInfo> parse_mountinfo(const std::string& text);

}  // namespace capsa
