#include "daemon/container_catalog.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/error.h"

namespace capsa::daemon {

namespace {

// Subdirectories of the state root, sorted: every container, and those still
// being created or deleted (their state.json tells). Unlike
// StateStore::list_ids, no lock file is looked for: one stat per container
// fewer, and a directory without state.json is skipped anyway.
std::vector<std::string> container_dirs(DIR* d) {
  std::vector<std::string> ids;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
    ids.emplace_back(e->d_name);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

// As state::derive_status, with the init's liveness and the freezer file
// kept between syncs.
state::Status ContainerCatalog::status_of(int root_fd, const std::string& id, const ParsedState& p) {
  const auto& st = p.state;
  if (!inits_.alive(st.init_pid, st.init_start_time)) return state::Status::Stopped;
  // The init waits on the fifo until `start` consumes and removes it.
  auto started = started_.find(id);
  if (started == started_.end() || started->second != st.init_start_time) {
    struct stat fifo {};
    if (::fstatat(root_fd, (id + "/exec.fifo").c_str(), &fifo, AT_SYMLINK_NOFOLLOW) == 0)
      return state::Status::Created;
    started_[id] = st.init_start_time;
  }
  if (p.freezer) {
    try {
      if (auto text = freezer_files_.read(p.freezer->file); text && p.freezer->frozen(*text))
        return state::Status::Paused;
    } catch (const std::exception& e) {
      spdlog::warn("container {}: freezer state: {}", id, e.what());
    }
  }
  return state::Status::Running;
}

std::vector<KnownContainer> ContainerCatalog::scan() {
  const std::string& root = store_.root();
  DIR* d = ::opendir(root.c_str());
  if (!d) {
    if (errno == ENOENT) return {};
    throw_sys("open " + root);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> close_dir(d, ::closedir);
  auto ids = container_dirs(d);
  int root_fd = ::dirfd(d);

  std::vector<KnownContainer> out;
  out.reserve(ids.size());
  inits_.refresh();
  std::map<std::string, uint64_t> started;
  for (const auto& id : ids) {
    try {
      auto p = states_.get(id, root_fd, root, id + "/state.json");
      if (!p) continue;  // still being created: not registered in the kernel yet either
      const auto& st = p->state;
      out.push_back({id, st.cgroup_id, status_of(root_fd, id, *p), st.init_pid, st.rootfs, st.annotations,
                     p->cgroup ? std::shared_ptr<const cgroup::ContainerCgroup>(p, &*p->cgroup) : nullptr});
      if (auto s = started_.find(id); s != started_.end()) started.insert(*s);
    } catch (const std::exception& e) {
      spdlog::warn("container {}: {}", id, e.what());
    }
  }
  started_ = std::move(started);
  states_.sweep();
  inits_.sweep();
  freezer_files_.sweep();
  return out;
}

}  // namespace capsa::daemon
