// capsad's view of the containers under the runtime's --root: read on every
// sync from the same state files the CLI writes, so containers started before
// capsad (or while it was down) are found too. A sync looks at every
// container, so what does not change between syncs is kept: parsed state
// files, pidfds of the inits, open freezer files.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cgroup/container_cgroup.h"
#include "daemon/init_liveness.h"
#include "daemon/open_file_cache.h"
#include "daemon/state_file_cache.h"
#include "state/state_store.h"

namespace capsa::daemon {

struct KnownContainer {
  std::string id;
  uint64_t cgroup_id = 0;
  state::Status status = state::Status::Stopped;
  pid_t init_pid = 0;
  std::string rootfs;
  std::map<std::string, std::string> annotations;
  // The runtime's cgroup manager (directories per hierarchy); null for a
  // state written before capsa recorded cgroups. Shared with the cache.
  std::shared_ptr<const cgroup::ContainerCgroup> cgroup;
};

class ContainerCatalog {
public:
  explicit ContainerCatalog(std::string state_root) : store_(std::move(state_root)) {}
  // Containers with a readable state; unreadable ones are logged and
  // skipped. Not thread-safe: one scan at a time (KernelSync's lock).
  std::vector<KnownContainer> scan();
  // State files parsed so far (cache misses), for tests.
  uint64_t state_parses() const { return states_.parses(); }

private:
  state::Status status_of(int root_fd, const std::string& id, const ParsedState& p);

  state::StateStore store_;
  StateFileCache states_;
  InitLiveness inits_;
  OpenFileCache freezer_files_;
  // Containers whose exec fifo is gone, with their init's start time:
  // started, so the fifo need not be looked for again (it never comes back).
  std::map<std::string, uint64_t> started_;
};

}  // namespace capsa::daemon
