// A user namespace joined by path (linux.namespaces[].path): it already has
// its id maps, read from the kernel to check the config against them, as
// runc 1.2 does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spec/spec.h"

namespace capsa::container {

struct UserNsMaps {
  std::vector<spec::IdMapping> uid;
  std::vector<spec::IdMapping> gid;
};

// The lines of a uid_map or gid_map file.
std::vector<spec::IdMapping> parse_id_map_text(std::string_view text);

// The maps of the user namespace behind userns_fd, with host ids as this
// process's user namespace sees them: a short-lived child enters it and we
// read the child's /proc files. `field` names the config entry in errors.
UserNsMaps read_user_ns_maps(int userns_fd, const std::string& field);

// linux.uidMappings/gidMappings must be absent or the namespace's own (runc
// 1.2 warns on an identical copy, which containerd and CRI-O send, and
// refuses any other); the container's root, which sets the container up, and
// process.user's ids must be mapped in it.
void check_joined_user_ns(const spec::Spec& spec, const UserNsMaps& maps, const std::string& origin,
                          const std::string& field);

}  // namespace capsa::container
