// Turning the init into the configured process: kernel settings of the new
// namespaces, limits, identity, capabilities, and the binary to exec.
#pragma once

#include <string>
#include <vector>

#include "container/landlock_ruleset.h"
#include "container/seccomp_filter.h"
#include "spec/spec.h"

namespace capsa::container {

// Default dispositions and an empty mask, as a freshly exec'd program expects.
void reset_signals();
// Nothing of the runtime may reach the container: not its lock files (a held
// flock would block `start`), log files or sockets. Keeps 0-2 and `keep`.
void close_fds_except(std::vector<int> keep);
// --preserve-fds N: the runtime's fds 3 .. 3+N-1 go on to the container's
// process, as with runc. preserved_fds lists them for close_fds_except and
// throws naming the first that is not open; keep_across_exec clears their
// close-on-exec flag in the child (false when it could not for one).
std::vector<int> preserved_fds(int count);
bool keep_across_exec(const std::vector<int>& fds) noexcept;
// argv or envp for execve: pointers into `strings`, which must outlive it,
// then the terminating null.
std::vector<char*> exec_vector(const std::vector<std::string>& strings);

void apply_sysctls(const spec::Spec& spec);
void bring_up_loopback();
void apply_rlimits(const spec::Process& p);
void apply_oom_score_adj(const spec::Process& p);
// setgroups/setresgid/setresuid with the capability sets of the config
// (bounding set dropped first, ambient raised last), then umask and
// no_new_privs. Without process.capabilities the current sets are kept.
void apply_identity(const spec::Process& p);

// The last steps of the init and of an exec'd process alike: rlimits,
// The last steps of the init and of an exec'd process alike: rlimits,
// oomScoreAdj, personality (when given), I/O priority and scheduler, the
// seccomp filter (when given), identity, cwd. A notify fd goes to the runtime
// over sync_fd, which hands it on to listenerPath.
// `policy`: capsad's filter for policy syscall rules, stacked right after
// linux.seccomp (its listener goes to the runtime, which hands it to capsad).
// `landlock`: the policy's Landlock ruleset, restricted to before the
// filters (which may not allow the Landlock syscalls).
void become_process(int sync_fd, const spec::Process& p, const spec::Personality* personality,
                    const SeccompFilter* seccomp, const SeccompFilter* policy = nullptr,
                    const LandlockRuleset* landlock = nullptr);

// Builds the process's Landlock ruleset from `plan` and has the runtime
// report it to capsad (kSyncLandlock with its summary), returning once the
// runtime says capsad has it (kSyncLandlockAck): capsad has then attached
// what the ruleset leaves to the BPF tier. grant_write_fd as for
// build_landlock_ruleset().
LandlockRuleset reported_landlock_ruleset(int sync_fd, const LandlockPlan& plan, int grant_write_fd);

// Opens a pty in the container's devpts, makes it the controlling terminal
// and stdio, optionally binds it over /dev/console, and sends the master to
// the runtime over sync_fd.
void setup_terminal(int sync_fd, const spec::Process& proc, bool bind_console);

// The value of PATH in the process env (or the default), for resolving args[0].
std::string env_path(const spec::Process& p);
// Resolves args[0] as execvp would, inside the container's root; throws
// `exec: "<name>": executable file not found in $PATH` (runc's wording).
std::string find_executable(const std::string& name, const std::string& path_env);

}  // namespace capsa::container
