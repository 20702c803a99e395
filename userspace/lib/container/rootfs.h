// Building the container's root file system inside its new mount namespace:
// the config's mounts (resolved inside the rootfs), /dev nodes, pivot_root,
// masked and read-only paths. Runs in the container's init before exec.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "spec/spec.h"

namespace capsa::container {

// How to mount one cgroup file system for a config mount of type "cgroup":
// computed by the runtime from the host's cgroup layout (v2, hybrid, v1).
struct CgroupFsMount {
  std::string subdir;   // "" for the mount point itself, else e.g. "memory"
  std::string fstype;   // "cgroup2" or "cgroup"
  std::string options;  // v1 controller list, e.g. "cpu" or "name=systemd"
  // The container's own cgroup directory in this hierarchy: what a user
  // namespace gets bind-mounted, since it may not mount cgroup file systems.
  std::string own_dir;
};

struct RootfsPlan {
  std::string rootfs;  // canonical host path
  std::string bundle;
  std::vector<CgroupFsMount> cgroup_mounts;
  bool no_pivot = false;    // --no-pivot: MS_MOVE and chroot instead of pivot_root
  bool in_user_ns = false;  // a user namespace, new or joined: no mknod, no sysfs or cgroup mounts of our own
  // Index in spec.mounts -> fd of the detached, id-mapped tree the runtime
  // built for it (see idmapped_mount.h), moved into place instead of a bind.
  std::map<size_t, int> idmapped_mounts;
};

// Everything up to and including pivot_root; afterwards "/" is the rootfs.
// before_pivot runs once the mounts are in place but the host's file system is
// still reachable: the moment of the createRuntime and createContainer hooks.
void prepare_rootfs(const spec::Spec& spec, const RootfsPlan& plan, const std::function<void()>& before_pivot);
// After pivot_root: masked paths, read-only paths, read-only root.
void finish_rootfs(const spec::Spec& spec);

}  // namespace capsa::container
