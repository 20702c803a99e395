// Small file helpers that report failures as capsa::Error with the path.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace capsa {

std::string read_file(const std::string& path);
// The file's text, or nullopt when it does not exist (ENOENT; ESRCH for a
// /proc entry of a process that is gone; ENODEV for a control file of a
// cgroup that is gone). Other errors throw. For paths whose
// absence is normal: an exception there costs more than the read.
std::optional<std::string> read_file_if_exists(const std::string& path);
// Writes without O_CREAT|O_TRUNC semantics beyond what the kernel file needs:
// used for cgroup and proc control files.
void write_file(const std::string& path, std::string_view data);
// All of data to an open fd, retrying short writes; errors name `what`.
void write_all(int fd, std::string_view data, const std::string& what);
// The first `size` bytes of `in` to `out` (sendfile, in the kernel); returns
// how many were copied, fewer when `in` ended sooner. Errors throw `error`.
off_t copy_contents(int out, int in, off_t size, const std::string& error);
// Writes to a temporary sibling and renames it over path, so readers never
// see a half-written file; fsyncs it first, so a crash leaves the old or the
// new content.
void write_file_atomic(const std::string& path, std::string_view data, int mode = 0644);
// write_file_atomic without the fsync: for files that describe live
// processes (container state, pid files), which a crash makes stale anyway.
// The fsync cost milliseconds per container on a disk-backed --root.
void replace_file(const std::string& path, std::string_view data, int mode = 0644);
bool path_exists(const std::string& path);
// True when path does not exist or is a directory with no entries.
bool dir_is_empty_or_absent(const std::string& path);
// mkdir -p; existing directories are fine.
void make_dirs(const std::string& path, int mode = 0755);
// rm -rf that stays on one file system and does not follow symlinks.
void remove_tree(const std::string& path);

}  // namespace capsa
