// Resolving container paths on the host without letting symlinks or ".."
// inside the rootfs point outside it (the class of bugs behind runc's
// CVE-2021-30465 and friends).
#pragma once

#include <string>

#include "common/unique_fd.h"

namespace capsa::container {

// Host path of `unsafe` (a path as the container sees it) below `root`.
// Every symlink met on the way is resolved as if `root` were "/". Components
// that do not exist yet are appended as they are.
std::string secure_join(const std::string& root, const std::string& unsafe);

// Creates the mount target at `host_path` (a directory, or an empty file when
// `as_file`) and opens it O_PATH|O_NOFOLLOW; throws when the opened object
// turns out not to be below `root` (a swap raced us). Mounting onto
// /proc/self/fd/<fd> then cannot be redirected.
UniqueFd open_mount_target(const std::string& root, const std::string& host_path, bool as_file);

// "/proc/self/fd/<fd>", for mount(2) and friends.
std::string fd_path(int fd);

}  // namespace capsa::container
