// The short-lived process between the runtime and the container's init, as
// runc's nsexec stage 1: it joins the namespaces given by path, creates the
// new ones, and clones the init as the runtime's own child.
#pragma once

#include "container/init_process.h"

namespace capsa::container {

// Never returns. In runc's order: joins plan.join_ns (see join_namespaces);
// unshares a new user namespace alone and waits while the runtime, which
// alone may, writes its id maps (kSyncIdMaps); unshares the other new
// namespaces, which the user namespace then owns; clones the init with
// CLONE_PARENT, because a new pid namespace takes in only children, and a
// sibling stays the runtime's child to wait for and kill. Sends the init's
// pid (kSyncInitPid), or the error, on plan.sync_fd and exits.
[[noreturn]] void run_ns_stage(const InitPlan& plan) noexcept;

}  // namespace capsa::container
