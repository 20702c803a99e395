// Id-mapped bind mounts (runtime-spec 1.2 mounts[].uidMappings/gidMappings,
// "idmap", "ridmap"), built as runc 1.2 builds them: the runtime clones the
// source's tree detached (open_tree), maps it through a user namespace that
// holds the mount's mappings (mount_setattr MOUNT_ATTR_IDMAP), and the init
// moves it onto its mount point (move_mount). The runtime does the mapping
// because mapping a mount needs privilege over the source's file system,
// which an init in the container's own user namespace lacks.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "spec/spec.h"

namespace capsa::container {

struct IdmappedTrees {
  std::vector<UniqueFd> fds;             // close-on-exec; closing one before the move drops its tree
  std::map<size_t, int> by_mount_index;  // spec.mounts index -> fd in `fds`
};

// One detached, id-mapped tree per id-mapped mount of `spec`; relative bind
// sources resolve against `bundle`. Throws naming `origin` and the mount.
IdmappedTrees prepare_idmapped_mounts(const spec::Spec& spec, const std::string& bundle, const std::string& origin);

// In the init: moves the tree of `tree_fd` onto `where` (a /proc/self/fd path).
void attach_idmapped_tree(int tree_fd, const std::string& where, const std::string& field, const std::string& shown);

}  // namespace capsa::container
