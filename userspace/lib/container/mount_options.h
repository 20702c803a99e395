// OCI mount options ("ro", "nosuid", "rbind", "mode=755", ...) translated to
// mount(2) flags, a propagation change, and the fs-specific data string.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace capsa::container {

struct MountOptions {
  unsigned long flags = 0;        // MS_* to set
  unsigned long propagation = 0;  // MS_PRIVATE/SHARED/SLAVE/UNBINDABLE [| MS_REC]
  bool bind = false;
  bool recursive = false;  // rbind
  std::string data;        // comma-joined options the kernel fs interprets
  // "rro", "rnosuid", ...: MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE), which
  // reaches every mount under the destination, not just the top one.
  uint64_t rec_attr_set = 0;
  uint64_t rec_attr_clr = 0;
  bool has_rec_attr() const { return rec_attr_set || rec_attr_clr; }
  bool copy_up = false;  // tmpcopyup: a tmpfs starts with the covered directory's contents
};

// Throws capsa::Error naming `field` for options capsa cannot honour.
MountOptions parse_mount_options(const std::vector<std::string>& options, const std::string& field);

// Every option parse_mount_options() honours (for `capsa features`); others
// it passes to the file system as data, or rejects.
std::vector<std::string> known_mount_options();

// Flags that need a second, MS_REMOUNT call after a bind mount to take effect.
constexpr unsigned long kBindRemountable = 0x1 | 0x2 | 0x4 | 0x8 | 0x400 | 0x800 | 0x200000 | 0x1000000;  // RDONLY|NOSUID|NODEV|NOEXEC|NOATIME|NODIRATIME|RELATIME|STRICTATIME

}  // namespace capsa::container
