// CVE-2019-5736: a container that gets hold of the runtime's own executable
// (through /proc/PID/exe of a runtime process that joined it, or by making
// the runtime exec "#!/proc/self/exe") could overwrite the host's binary.
// Commands that enter a container therefore run from a sealed in-memory copy
// of the binary, which nothing can write, as runc and crun do.
#pragma once

#include <string>

#include "common/unique_fd.h"

namespace capsa::container {

// Copies /proc/self/exe into a sealed memfd and execs it with the same
// arguments and environment. Returns only when already running from one;
// throws (with errno text) when the copy cannot be made.
void reexec_from_sealed_copy(char** argv);
// The same with the arguments this process was started with
// (/proc/self/cmdline), for a decision taken deep inside a command.
void reexec_from_sealed_copy();

// An empty memfd that may be exec'd (MFD_EXEC where the kernel knows it),
// and its seals against any later change; errors name `what`.
UniqueFd executable_memfd(const char* name, const std::string& what);
void seal_executable(int fd, const std::string& what);

}  // namespace capsa::container
