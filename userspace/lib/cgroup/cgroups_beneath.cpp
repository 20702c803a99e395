#include "cgroup/cgroups_beneath.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include <spdlog/spdlog.h>

#include "bpf/cgroup_id.h"
#include "common/error.h"

namespace capsa::cgroup {

bool has_cgroups_beneath(const std::string& dir) {
  struct stat st {};
  return ::stat(dir.c_str(), &st) == 0 && st.st_nlink > 2;
}

void for_each_cgroup_beneath(const std::string& dir, const std::string& whose,
                             const std::function<bool(const std::string& path, uint64_t id)>& visit) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // The iterator stops at ENOENT: a cgroup removed while we look.
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;
    if (it->is_symlink(entry_ec) || !it->is_directory(entry_ec)) continue;
    uint64_t id = 0;
    try {
      id = bpf::cgroup_id_of(it->path().string());
    } catch (const Error&) {
      continue;  // removed since it was listed
    }
    if (!visit(it->path().string(), id)) it.disable_recursion_pending();
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    spdlog::warn("{}: list the cgroups beneath {}: {}", whose, dir, ec.message());
}

bool still_there(const std::string& path, uint64_t id) {
  try {
    return bpf::cgroup_id_of(path) == id;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace capsa::cgroup
