#include "daemon/state_file_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/unique_fd.h"
#include "daemon/mark_sweep.h"

namespace capsa::daemon {

namespace {

template <typename Stamp>
Stamp stamp_of(const struct stat& st) {
  return {st.st_dev, st.st_ino, st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
          st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec, st.st_size};
}

template <typename Shown>
std::string read_fd(int fd, const Shown& shown, size_t size_hint) {
  std::string text;
  text.reserve(size_hint + 1);
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("read " + shown());
    }
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

std::shared_ptr<const ParsedState> parse(const std::string& text, const std::string& path, const std::string& key) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": corrupt container state: " + e.what());
  }
  auto p = std::make_shared<ParsedState>();
  p->state = state::from_json(j, path);
  if (p->state.cgroup.contains("dirs")) {
    try {
      p->cgroup = cgroup::ContainerCgroup::from_json(p->state.cgroup);
      p->freezer = cgroup::freezer_probe(*p->cgroup);
    } catch (const std::exception& e) {
      spdlog::warn("container {}: {}: {}", key, path, e.what());
    }
  }
  return p;
}

}  // namespace

std::shared_ptr<const ParsedState> StateFileCache::get(const std::string& key, const std::string& path) {
  return get(key, AT_FDCWD, "", path);
}

std::shared_ptr<const ParsedState> StateFileCache::get(const std::string& key, int dir_fd, const std::string& dir_name,
                                                       const std::string& path) {
  auto shown = [&] { return dir_name.empty() ? path : dir_name + "/" + path; };
  struct stat st {};
  if (::fstatat(dir_fd, path.c_str(), &st, 0) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) throw_sys("stat " + shown());
    entries_.erase(key);
    return nullptr;
  }
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.stamp == stamp_of<Stamp>(st)) {
    it->second.used = true;
    return it->second.parsed;
  }
  UniqueFd fd(::openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno != ENOENT) throw_sys("open " + shown());
    entries_.erase(key);
    return nullptr;
  }
  // The stamp of what is read, not of what was stat'ed: a replacement in
  // between is then seen as a change next time.
  if (::fstat(fd.get(), &st) != 0) throw_sys("stat " + shown());
  auto text = read_fd(fd.get(), shown, static_cast<size_t>(st.st_size));
  ++parses_;
  auto parsed = parse(text, shown(), key);
  entries_[key] = Entry{stamp_of<Stamp>(st), parsed, true};
  return parsed;
}

void StateFileCache::sweep() { sweep_unused(entries_); }

}  // namespace capsa::daemon
