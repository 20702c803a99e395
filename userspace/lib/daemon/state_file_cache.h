// Each container's state.json, parsed once per version of the file rather
// than at every sync and scrape. A version is told by what stat(2) reports:
// the runtime replaces state.json by rename (a new inode), and mtime, ctime
// and size catch a rewrite in place.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cgroup/container_cgroup.h"
#include "cgroup/freezer.h"
#include "state/container_state.h"

namespace capsa::daemon {

struct ParsedState {
  state::ContainerState state;
  // Taken from state.cgroup once; nullopt for a state written before capsa
  // recorded cgroups (or with a corrupt cgroup part, logged when parsed).
  std::optional<cgroup::ContainerCgroup> cgroup;
  // Where to read whether the container is paused; nullopt: no freezer.
  std::optional<cgroup::FreezerProbe> freezer;
};

class StateFileCache {
public:
  // The state at `path` (key: the container id), parsed again only when the
  // file changed; nullptr when it does not exist (a container still being
  // created). A corrupt file throws Error naming it, and is read again next
  // time.
  std::shared_ptr<const ParsedState> get(const std::string& key, const std::string& path);
  // The same with `path` relative to the open directory dir_fd (a shorter
  // lookup); errors name dir_name/path.
  std::shared_ptr<const ParsedState> get(const std::string& key, int dir_fd, const std::string& dir_name,
                                         const std::string& path);
  // Forgets the entries not asked for since the previous sweep(): deleted
  // containers. Call once per pass over all containers.
  void sweep();
  size_t size() const { return entries_.size(); }
  // How many times a file was read and parsed (a cache miss), for tests.
  uint64_t parses() const { return parses_; }

private:
  struct Stamp {
    dev_t dev = 0;
    ino_t ino = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;
    off_t size = 0;
    bool operator==(const Stamp&) const = default;
  };
  struct Entry {
    Stamp stamp;
    std::shared_ptr<const ParsedState> parsed;
    bool used = false;
  };
  std::map<std::string, Entry> entries_;
  uint64_t parses_ = 0;
};

}  // namespace capsa::daemon
