// The fd keeper: a tiny process (`capsad --fd-keeper`) that holds a copy of
// every seccomp listener capsad supervises, so that `kill -9 capsad` does not
// close them. A closed listener would make every filtered syscall fail with
// ENOSYS in the container; a held one makes it wait in the kernel until a
// supervisor answers. A restarted capsad takes the fds back from the keeper
// it finds in its manifest (pidfd_getfd), hands them to a keeper of its own
// and retires the old one.
//
// The keeper lives in a session of its own (not killed with capsad's process
// group), drops a listener once all the processes of its filter are gone,
// and exits once it holds nothing and capsad has closed its end of the
// socket. `capsad --unpin` ends it.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "common/unique_fd.h"
#include "daemon/seccomp_listener.h"

namespace capsa::daemon {

// <state root>/capsad-fd-keeper.json: the keeper's pid, start time, pin root
// and, per listener, its fd number in the keeper and what it watches.
std::string fd_keeper_manifest(const std::string& state_root);

// The keeper's main loop (capsad --fd-keeper): `sock` is its end of the
// socketpair to capsad. Returns the exit status.
int run_fd_keeper(int sock, const std::string& state_root, const std::string& pin_root);

class FdKeeper {
public:
  // Starts a keeper for this capsad (/proc/self/exe --fd-keeper).
  static FdKeeper spawn(const std::string& state_root, const std::string& pin_root);

  // Ends the keeper the listeners were taken from, once ours holds them.
  void retire(UniqueFd previous_pidfd);

  // Hands a copy of the listener to the keeper.
  void hold(int fd, const ListenerInfo& info);

  // The keeper has exited (killed, or crashed): its copies are closed, and
  // capsad's death would now close the listeners for good.
  bool gone() const;

  FdKeeper(FdKeeper&&) noexcept = default;
  FdKeeper& operator=(FdKeeper&&) = delete;
  FdKeeper(const FdKeeper&) = delete;

private:
  FdKeeper(std::string state_root, UniqueFd sock) : state_root_(std::move(state_root)), sock_(std::move(sock)) {}
  void publish();  // asks our keeper to rewrite the manifest
  std::string state_root_;
  UniqueFd sock_;
};

// The listeners an earlier keeper (of a capsad that died) holds, copied into
// this process with pidfd_getfd; the old keeper keeps them until
// FdKeeper::retire(). Called before spawning ours, whose first manifest
// would replace the old one.
struct PreviousListeners {
  struct Listener {
    UniqueFd fd;
    ListenerInfo info;
  };
  std::vector<Listener> listeners;
  UniqueFd keeper_pidfd;  // empty when no keeper was found
};
PreviousListeners take_previous_listeners(const std::string& state_root);

// `capsad --unpin`: ends the keeper of this state root if it serves pin_root
// (its listeners close: their filtered syscalls fail with ENOSYS from then on).
void stop_fd_keeper(const std::string& state_root, const std::string& pin_root);

}  // namespace capsa::daemon
