// cgroup control files capsad reads at every sync or scrape (usage,
// freezer state), kept open and re-read with pread(2): opening a cgroup file
// costs several times what reading it does, and a scrape of 200 containers
// reads 600 of them. Meant for kernfs files, which are never replaced: once
// their cgroup is removed a read fails (ENODEV) and the path is opened again,
// which finds a cgroup re-created under the same name, or nothing.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "common/unique_fd.h"

namespace capsa::daemon {

class OpenFileCache {
public:
  // The file's content; nullopt when it does not exist or its cgroup is gone
  // (ENOENT, ENODEV). Other failures throw Error naming the path. Past the
  // descriptor budget (may_keep_fd) a file is read and closed.
  std::optional<std::string> read(const std::string& path);
  // Closes the files not read since the previous sweep(): those of
  // containers that are gone. Call once per pass over all containers.
  void sweep();
  size_t open_count() const { return files_.size(); }

private:
  struct Entry {
    UniqueFd fd;
    bool used = false;
  };
  std::unordered_map<std::string, Entry> files_;
};

}  // namespace capsa::daemon
