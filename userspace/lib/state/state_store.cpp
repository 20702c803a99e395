#include "state/state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "cgroup/freezer.h"
#include "common/error.h"
#include "common/file_util.h"
#include "state/process_probe.h"

namespace capsa::state {

void validate_container_id(const std::string& id) {
  if (id.empty()) throw Error("container id cannot be empty");
  if (id == "." || id == ".." || id.size() > 1024)
    throw Error("invalid container id: \"" + id + "\"");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '.';
    if (!ok)
      throw Error("invalid container id: \"" + id +
                  "\" (allowed characters: letters, digits, '_', '+', '-', '.')");
  }
}

StateStore::StateStore(std::string root) : root_(std::move(root)) {
  if (root_.empty() || root_[0] != '/') throw Error("--root: must be an absolute path: " + root_);
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

static UniqueFd lock_file(const std::string& path, LockMode mode, bool create) {
  int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0);
  UniqueFd fd(::open(path.c_str(), flags, 0600));
  if (!fd) throw_sys("open " + path);
  int op = mode == LockMode::Exclusive ? LOCK_EX : LOCK_SH;
  while (::flock(fd.get(), op) != 0) {
    if (errno != EINTR) throw_sys("lock " + path);
  }
  return fd;
}

ContainerDir StateStore::create(const std::string& id) const {
  validate_container_id(id);
  make_dirs(root_, 0711);
  std::string dir = root_ + "/" + id;
  if (::mkdir(dir.c_str(), 0711) != 0) {
    if (errno == EEXIST) throw Error("container with id exists: " + id, EEXIST);
    throw_sys("mkdir " + dir);
  }
  try {
    return ContainerDir(id, dir, lock_file(dir + "/lock", LockMode::Exclusive, true));
  } catch (...) {
    remove_tree(dir);
    throw;
  }
}

std::optional<ContainerDir> StateStore::try_open(const std::string& id, LockMode mode) const {
  validate_container_id(id);
  std::string dir = root_ + "/" + id;
  UniqueFd fd(::open((dir + "/lock").c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw_sys("open " + dir + "/lock");
  }
  int op = mode == LockMode::Exclusive ? LOCK_EX : LOCK_SH;
  while (::flock(fd.get(), op) != 0) {
    if (errno != EINTR) throw_sys("lock " + dir + "/lock");
  }
  // A concurrent delete may have removed the directory while we waited.
  if (!path_exists(dir + "/lock")) return std::nullopt;
  return ContainerDir(id, dir, std::move(fd));
}

ContainerDir StateStore::open(const std::string& id, LockMode mode) const {
  auto d = try_open(id, mode);
  if (!d) throw Error("container does not exist: " + id, ENOENT);
  return std::move(*d);
}

std::vector<std::string> StateStore::list_ids() const {
  std::vector<std::string> ids;
  DIR* d = ::opendir(root_.c_str());
  if (!d) {
    if (errno == ENOENT) return ids;
    throw_sys("open " + root_);
  }
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (path_exists(root_ + "/" + name + "/lock")) ids.push_back(name);
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

static std::optional<ContainerState> load_state_file(const std::string& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const Error& e) {
    if (e.sys_errno() == ENOENT) return std::nullopt;
    throw;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": corrupt container state: " + e.what());
  }
  return from_json(j, path);
}

std::optional<ContainerState> StateStore::peek(const std::string& id) const {
  return load_state_file(dir_of(id) + "/state.json");
}

std::optional<ContainerState> ContainerDir::load() const { return load_state_file(state_file()); }

void ContainerDir::save(const ContainerState& s) const {
  replace_file(state_file(), to_json(s).dump(2) + "\n", 0600);
}

Status derive_status(const std::string& dir, const ContainerState& s) {
  if (!process_alive(s.init_pid, s.init_start_time)) return Status::Stopped;
  // The init waits on the fifo until `start` consumes and removes it.
  if (path_exists(dir + "/exec.fifo")) return Status::Created;
  try {
    if (cgroup::is_frozen(cgroup::ContainerCgroup::from_json(s.cgroup))) return Status::Paused;
  } catch (const Error&) {
    // A state written before its cgroup was known: not paused by us.
  }
  return Status::Running;
}

Status ContainerDir::status(const ContainerState& s) const { return derive_status(path_, s); }

void ContainerDir::remove() const { remove_tree(path_); }

}  // namespace capsa::state
