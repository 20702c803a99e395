#include "daemon/open_file_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "daemon/fd_budget.h"
#include "daemon/mark_sweep.h"

namespace capsa::daemon {

namespace {

bool gone(int err) { return err == ENOENT || err == ENODEV || err == ESTALE; }

// Reads from offset 0: kernfs and proc files regenerate their text there. A
// read that does not fill the buffer is the end (seq_file hands out all it
// has), which saves the extra read(2) that would return 0.
bool read_all(int fd, std::string& out) {
  char buf[4096];
  off_t off = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    out.append(buf, static_cast<size_t>(n));
    if (static_cast<size_t>(n) < sizeof buf) return true;
    off += n;
  }
}

}  // namespace

std::optional<std::string> OpenFileCache::read(const std::string& path) {
  auto it = files_.find(path);
  if (it != files_.end()) {
    it->second.used = true;
    std::string out;
    if (read_all(it->second.fd.get(), out)) return out;
    if (!gone(errno)) throw_sys("read " + path);
    // Gone with its cgroup: a new cgroup of the same name (a container
    // re-created under its old id) is opened below.
    files_.erase(it);
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (gone(errno)) return std::nullopt;
    throw_sys("open " + path);
  }
  std::string out;
  if (!read_all(fd.get(), out)) {
    if (gone(errno)) return std::nullopt;
    throw_sys("read " + path);
  }
  if (may_keep_fd(fd.get())) files_.emplace(path, Entry{std::move(fd), true});
  return out;
}

void OpenFileCache::sweep() { sweep_unused(files_); }

}  // namespace capsa::daemon
