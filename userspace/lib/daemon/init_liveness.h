// Whether containers' init processes still run, asked at every sync for
// every container. The first check of a (pid, start time) reads
// /proc/<pid>/stat, as state::process_alive does, and keeps a pidfd; after
// that one poll(2) over all kept pidfds per pass (refresh) tells which
// exited, with no /proc text to format and parse. An exit is final: a
// process seen dead is not looked at again.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "common/unique_fd.h"

namespace capsa::daemon {

class InitLiveness {
public:
  // Polls every kept pidfd at once; call at the start of each pass.
  void refresh();
  // True when pid exists, is not a zombie and started at start_time; for a
  // process with a pidfd, as of the last refresh().
  bool alive(pid_t pid, uint64_t start_time);
  // Forgets the processes not asked about since the previous sweep(): those
  // of containers that are gone. Call once per pass over all containers.
  void sweep();
  size_t tracked() const { return procs_.size(); }

private:
  struct Entry {
    UniqueFd pidfd;  // none when pidfd_open is unavailable: /proc each time
    bool dead = false;
    bool used = false;
  };
  std::map<std::pair<pid_t, uint64_t>, Entry> procs_;
  std::vector<pollfd> polled_;  // refresh()'s buffer, kept for its capacity
};

}  // namespace capsa::daemon
