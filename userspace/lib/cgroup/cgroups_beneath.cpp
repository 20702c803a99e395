#include "cgroup/cgroups_beneath.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <vector>

#include <spdlog/spdlog.h>

#include "bpf/cgroup_id.h"
#include "common/error.h"

namespace capsa::cgroup {

bool has_cgroups_beneath(const std::string& dir) {
  struct stat st {};
  return ::stat(dir.c_str(), &st) == 0 && st.st_nlink > 2;
}

namespace {

// The subdirectories of dir by name; empty when dir went meanwhile.
std::vector<std::string> subdirs_of(const std::string& dir, const std::string& whose) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno != ENOENT) spdlog::warn("{}: list the cgroups beneath {}: {}", whose, dir, errno_text(errno));
    return names;
  }
  for (;;) {
    errno = 0;
    dirent* e = ::readdir(d);
    if (!e) break;
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      is_dir = ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) names.emplace_back(e->d_name);
  }
  if (errno != 0 && errno != ENOENT) spdlog::warn("{}: list the cgroups beneath {}: {}", whose, dir, errno_text(errno));
  ::closedir(d);
  return names;
}

}  // namespace

void for_each_cgroup_beneath(const std::string& dir, const std::string& whose,
                             const std::function<bool(const std::string& path, uint64_t id)>& visit) {
  // Depth first with a stack of its own: how deep a container nests is its
  // choice. Each directory is listed whole before its entries are visited,
  // so one removed meanwhile is skipped and the walk goes on (a container
  // making and removing cgroups in a loop cannot end it early).
  std::vector<std::string> pending{dir};
  while (!pending.empty()) {
    std::string parent = std::move(pending.back());
    pending.pop_back();
    std::vector<std::string> walk_beneath;
    for (const auto& name : subdirs_of(parent, whose)) {
      std::string path = parent + "/" + name;
      uint64_t id = 0;
      try {
        id = bpf::cgroup_id_of(path);
      } catch (const Error&) {
        continue;  // removed since it was listed
      }
      if (visit(path, id)) walk_beneath.push_back(std::move(path));
    }
    // Reversed onto the stack: the first listed is walked first.
    pending.insert(pending.end(), std::make_move_iterator(walk_beneath.rbegin()),
                   std::make_move_iterator(walk_beneath.rend()));
  }
}

bool still_there(const std::string& path, uint64_t id) {
  try {
    return bpf::cgroup_id_of(path) == id;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace capsa::cgroup
