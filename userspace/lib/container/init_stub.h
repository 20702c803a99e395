// CVE-2019-5736 without copying capsa. The threat is a container reaching the
// runtime's executable through one of capsa's own processes inside it:
// /proc/PID/exe of that process, or the kernel resolving "#!/proc/self/exe"
// in a container file that capsa execs. Copying all of capsa (~4.5 MB) into a
// sealed memfd and exec'ing it again (sealed_self.h) closes both, at the price
// of a second exec of a large binary on every create.
//
// For `create` it suffices that capsa is never reachable from inside:
// - the init is non-dumpable, and alone in its new PID namespace while it
//   sets up, so no container process exists that could open its /proc entries;
// - it then execs a stub of under 1 KB of code from a sealed memfd
//   (init_stub/init_stub.c), which reports ready, waits for `start` and
//   execs the program. "#!/proc/self/exe" there names the stub, not capsa.
// A PID namespace joined or shared, hooks given the init's pid or run inside
// the container, a user namespace joined by path (its binfmt_misc), or a
// non-root user whose exec needs more than its ambient capabilities: those
// containers still get the sealed copy of capsa (init_stub_suffices).
// `exec` always runs from the sealed copy: a container process already exists.
#pragma once

#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "spec/spec.h"

namespace capsa::container {

// Whether create/run may run from the host's capsa binary, the init
// finishing through the stub; false: from the sealed copy of capsa.
bool init_stub_suffices(const spec::Spec& spec);

// A sealed, executable memfd holding the stub, made by the runtime before the
// init exists (a container's seccomp profile may refuse memfd_create).
UniqueFd make_init_stub();

// In the init, before its seccomp filter and Landlock ruleset exist (the
// stub's own calls are only those the init's tail made before it existed):
// the stub's path, /proc/self/fd/N, when /proc is procfs and that path is the
// stub (the container's image decides what else it is), else "";
std::string stub_path_if_proc(int stub_fd);

// The init's last call: the stub reports ready over sync_fd, waits for
// start on fifo_fd (the exec fifo's O_PATH fd) and execs `exe` with argv and
// envp. Exec'd by stub_path when given, else by fd. Returns only when the
// stub could not be exec'd, with errno set.
void exec_init_stub(int stub_fd, const std::string& stub_path, int sync_fd, int fifo_fd, const std::string& exe,
                    const std::vector<std::string>& argv, const std::vector<std::string>& envp) noexcept;

}  // namespace capsa::container
