// The runtime's side of capsad's tiers that live in the container's
// processes: before a process is forked, one request asks capsad
//   - which syscalls to route to it (daemon/seccomp_supervisor.h), whole
//     or only for some argument values (container/seccomp_arg_route.h);
//     the filter is built here, and once the process has loaded it the listener
//     goes to capsad with the container it belongs to;
//   - which file rules to install as a Landlock ruleset
//     (container/landlock_ruleset.h), when the container's policy opted in.
//
// No capsad listening: neither (capsad never ran, so no policy applies; a
// capsad that was killed still has its pinned BPF programs, which kill for
// syscall and file rules in processes without them). A linux.seccomp profile
// with its own SCMP_ACT_NOTIFY: no policy filter, as the kernel allows one
// listener per process; the BPF kill path applies to that container.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "container/landlock_ruleset.h"
#include "container/seccomp_filter.h"
#include "spec/spec.h"

namespace capsa::container {

struct PolicySeccomp {
  std::string socket;  // capsad's control socket
  SeccompFilter filter;
  std::set<uint32_t> syscalls;  // native numbers the filter sends to capsad
};

struct PolicyFromCapsad {
  std::optional<PolicySeccomp> seccomp;   // nullopt: no filter (see above)
  std::optional<LandlockPlan> landlock;   // nullopt: the policy did not opt in, or has nothing to refuse
  bool capsad_answered = false;           // false: no capsad listening
};

// Both empty when capsad does not listen on `socket` or the container has no
// cgroup v2 id (capsad could not tell which policy binds it). shares_pid_ns:
// the container's tasks see the runtime's pid namespace (capsad then also
// asks for the calls that signal or trace other tasks). init: the process
// is the container's first (create), whose ruleset every later process of
// the container inherits. Other failures to reach capsad, and replies that
// do not parse, throw.
PolicyFromCapsad policy_from_capsad(const std::string& socket, const spec::Seccomp* profile,
                                    const std::string& container_id,
                                    const std::map<std::string, std::string>& annotations, uint64_t cgroup_id,
                                    bool shares_pid_ns, bool init);

// What a process reported after building its Landlock ruleset (the
// kSyncLandlock message): logged (installed, which rule paths were
// skipped, where root confinement has gaps) and told to capsad, which
// stops deciding that container's files on the open exits only once every
// process of it holds a complete ruleset. Sent before the process may go
// on (kSyncLandlockAck): capsad has attached what it must by then. A capsad
// no longer listening, or one that refuses the report, is fine (it keeps
// the BPF tier on for the container); one that cannot be reached throws.
// pid: the process that installs it, as capsad sees a runtime's move of it
// into the container's cgroup. strays: other processes already in the
// container (children a createContainer hook left behind) that will never
// hold the ruleset, so the container's files stay with the BPF tier.
void landlock_installed(const std::string& socket, const LandlockPlan& plan, const std::string& container_id,
                        uint64_t cgroup_id, const std::string& summary_json, pid_t pid,
                        const std::vector<pid_t>& strays = {});

// The container's Landlock plan, kept in its state directory (`file`):
// while no capsad listens, `capsa exec` installs the ruleset the container's
// processes were last handed (capsad may have let the open exits go, as
// Landlock decided the container's files; a process without the ruleset
// would then be decided by nothing). Written when capsad hands a plan out,
// removed when capsad answers without one (the policy no longer opts in).
void keep_landlock_plan(const std::string& file, const PolicyFromCapsad& got);
// The kept plan when capsad did not answer and one was kept; else got's.
// Throws Error naming the file when it does not parse.
std::optional<LandlockPlan> landlock_plan_for(const std::string& file, const PolicyFromCapsad& got);

// Throws when capsad does not take the listener: the process must not run
// with a filter nobody answers (its candidate syscalls would fail ENOSYS).
void hand_listener_to_capsad(const PolicySeccomp& p, const std::string& container_id, uint64_t cgroup_id, pid_t pid,
                             int listener);

}  // namespace capsa::container
