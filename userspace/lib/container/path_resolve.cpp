#include "container/path_resolve.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"

namespace capsa::container {

namespace {

std::deque<std::string> split(const std::string& path) {
  std::deque<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

std::string join(const std::string& root, const std::vector<std::string>& parts) {
  std::string out = root;
  for (const auto& p : parts) out += "/" + p;
  return out;
}

}  // namespace

std::string secure_join(const std::string& root, const std::string& unsafe) {
  std::vector<std::string> resolved;
  std::deque<std::string> pending = split(unsafe);
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    std::string candidate = join(root, resolved) + "/" + part;
    struct stat st;
    if (::lstat(candidate.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      resolved.push_back(std::move(part));
      continue;
    }
    if (++links > 255) throw Error("resolve " + unsafe + " in " + root + ": too many symlinks", ELOOP);
    char target[PATH_MAX];
    ssize_t n = ::readlink(candidate.c_str(), target, sizeof target - 1);
    if (n < 0) throw_sys("readlink " + candidate);
    target[n] = '\0';
    if (target[0] == '/') resolved.clear();
    auto more = split(target);
    pending.insert(pending.begin(), more.begin(), more.end());
  }
  return join(root, resolved);
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

UniqueFd open_mount_target(const std::string& root, const std::string& host_path, bool as_file) {
  std::string parent = host_path.substr(0, host_path.rfind('/'));
  if (as_file) {
    make_dirs(parent);
    UniqueFd f(::open(host_path.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!f && errno != EISDIR) throw_sys("create mount target " + host_path);
  } else {
    make_dirs(host_path);
  }
  UniqueFd fd(::open(host_path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw_sys("open mount target " + host_path);
  char real[PATH_MAX];
  ssize_t n = ::readlink(fd_path(fd.get()).c_str(), real, sizeof real - 1);
  if (n < 0) throw_sys("readlink " + fd_path(fd.get()));
  real[n] = '\0';
  std::string got(real);
  if (got != root && got.rfind(root + "/", 0) != 0)
    throw Error("mount target " + host_path + " resolves to " + got + ", outside the rootfs " + root);
  return fd;
}

}  // namespace capsa::container
