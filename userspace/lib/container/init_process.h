// The container's init between clone and exec: cloned into the container's
// namespaces (by the namespace stage, ns_stage.h, when namespaces are joined
// by path or a user namespace is new; by the runtime itself otherwise), it
// builds the rootfs, becomes the configured process, reports readiness to
// the runtime, waits for `start` on the exec fifo, then execs the
// container's program.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "container/landlock_ruleset.h"
#include "container/rootfs.h"
#include "container/seccomp_filter.h"
#include "spec/spec.h"

namespace capsa::container {

struct InitPlan {
  const spec::Spec* spec = nullptr;
  RootfsPlan rootfs;
  int sync_fd = -1;
  int fifo_fd = -1;                              // O_PATH fd of <state>/exec.fifo
  // The sealed init stub (init_stub.h) that reports ready, waits for start
  // and execs the program; -1 when capsa itself runs from a sealed copy and
  // the init does all of that.
  int stub_fd = -1;
  // Set up before the init exists, by the namespace stage (ns_stage.h) or,
  // with nothing to join and no user namespace, by the init's clone flags.
  std::vector<std::pair<int, int>> join_ns;      // (fd, CLONE_NEW*) given by path, to setns into
  bool new_user_ns = false;                      // unshared first, the runtime writing its id maps
  int unshare_flags = 0;                         // the other new namespaces: CLONE_NEW{NS,PID,NET,IPC,UTS}
  // The init's own, for its own reasons:
  bool new_cgroup_ns = false;                    // unshared after the cgroups are joined
  bool new_net_ns = false;
  bool new_time_ns = false;                      // linux.timeOffsets go in before the init enters it
  const SeccompFilter* seccomp = nullptr;        // linux.seccomp, built by the runtime
  const SeccompFilter* policy_seccomp = nullptr; // capsad's filter for policy syscall rules
  const LandlockPlan* landlock = nullptr;         // capsad's Landlock file rules, built after the mounts
  // Stop before pivot_root for the runtime's prestart and createRuntime hooks
  // and to get the state JSON for our own createContainer/startContainer hooks.
  bool hook_sync = false;
  std::vector<int> preserved_fds;  // --preserve-fds
};

// Never returns: execs the container process or _exits after telling the
// runtime what failed.
[[noreturn]] void run_init(const InitPlan& plan) noexcept;

}  // namespace capsa::container
