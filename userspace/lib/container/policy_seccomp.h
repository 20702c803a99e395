// The runtime's side of capsad's seccomp tier for policy syscall rules (see
// daemon/seccomp_supervisor.h): before a container process is forked, asks
// capsad which syscalls to route to it and builds the filter; once the
// process has loaded it, hands the listener to capsad with the container it
// belongs to.
//
// No capsad listening: no filter (capsad never ran, so no policy applies; a
// capsad that was killed still has its pinned BPF programs, which kill for
// syscall rules in processes without the filter). A linux.seccomp profile
// with its own SCMP_ACT_NOTIFY: no filter either, as the kernel allows one
// listener per process; the BPF kill path applies to that container.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "container/seccomp_filter.h"
#include "spec/spec.h"

namespace capsa::container {

struct PolicySeccomp {
  std::string socket;  // capsad's control socket
  SeccompFilter filter;
  std::set<uint32_t> syscalls;  // native numbers the filter sends to capsad
};

// nullopt when capsad does not listen on `socket`, when the container has no
// cgroup v2 id (capsad could not tell which policy binds it), or when
// `profile` has a listener of its own. Other failures to reach capsad throw.
std::optional<PolicySeccomp> policy_seccomp(const std::string& socket, const spec::Seccomp* profile,
                                            const std::string& container_id, uint64_t cgroup_id);

// Throws when capsad does not take the listener: the process must not run
// with a filter nobody answers (its candidate syscalls would fail ENOSYS).
void hand_listener_to_capsad(const PolicySeccomp& p, const std::string& container_id, uint64_t cgroup_id, pid_t pid,
                             int listener);

}  // namespace capsa::container
