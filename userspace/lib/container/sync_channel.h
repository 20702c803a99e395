// Messages between the runtime and the container's init during create, over
// a SOCK_SEQPACKET socketpair: one datagram per message, EOF when a side dies.
#pragma once

#include <optional>
#include <string>

#include "common/unique_fd.h"

namespace capsa::container {

struct SyncPair {
  UniqueFd runtime_end;
  UniqueFd init_end;
};

SyncPair make_sync_pair();
// Returns false when the peer is gone.
bool sync_send(int fd, const std::string& msg) noexcept;
// nullopt on EOF (peer exited) or error.
std::optional<std::string> sync_recv(int fd) noexcept;

// The same with one file descriptor attached (SCM_RIGHTS): the pty master
// travels this way from the init to the runtime, and on to a console socket.
bool send_with_fd(int sock, const std::string& msg, int fd) noexcept;
struct Received {
  std::string msg;
  UniqueFd fd;  // empty when the message carried none
};
std::optional<Received> recv_with_fd(int sock) noexcept;

// Protocol words.
inline constexpr const char* kSyncGo = "go";        // runtime -> init: cgroups joined
inline constexpr const char* kSyncReady = "ready";  // init -> runtime: waiting for start
inline constexpr const char* kSyncPty = "pty";      // init -> runtime: pty master attached
inline constexpr const char* kSyncSeccomp = "seccomp";  // init -> runtime: notify fd attached
// init -> runtime: the listener of capsad's policy filter attached
inline constexpr const char* kSyncPolicyNotify = "policy-notify";
// init -> runtime: a Landlock ruleset is built; its summary JSON follows a space
inline constexpr const char* kSyncLandlock = "landlock";
// runtime -> init: capsad has the Landlock report; the process may go on
inline constexpr const char* kSyncLandlockAck = "landlock-ack";
inline constexpr const char* kSyncHooks = "hooks";  // init -> runtime: mounts done, run create-time hooks
// runtime -> init: prestart and createRuntime hooks done; the state JSON follows
// a space, for the init's createContainer and startContainer hooks.
inline constexpr const char* kSyncHooksDone = "hooks-done";
inline constexpr const char* kSyncErrorPrefix = "error:";
// Before the init exists, between the runtime and the namespace stage:
inline constexpr const char* kSyncIdMaps = "idmaps";            // stage -> runtime: write my new user namespace's maps
inline constexpr const char* kSyncIdMapsDone = "idmaps-done";   // runtime -> stage: written
inline constexpr const char* kSyncInitPid = "init-pid";         // stage -> runtime: the init's pid follows a space

}  // namespace capsa::container
