// The "tmpcopyup" mount option: a tmpfs mounted over a directory of the
// rootfs starts with a copy of what that directory held, as crun does, so
// an image's /run or /var/cache stays populated but writable and private.
#pragma once

#include <string>

namespace capsa::container {

// Copies the tree under the directory `from` (an fd opened on the rootfs
// directory before the tmpfs covered it) into the directory `to` (the new
// tmpfs's root): files, directories, symlinks, fifos and device nodes, with
// their modes, owners, times and xattrs where the tmpfs accepts them.
// Nothing is followed out of the tree: every step is openat(O_NOFOLLOW)
// relative to its parent. Throws capsa::Error naming `field` and the
// relative path that failed.
void copy_tree_into_tmpfs(int from, int to, const std::string& field);

}  // namespace capsa::container
