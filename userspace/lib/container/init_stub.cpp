#include "container/init_stub.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/error.h"
#include "common/file_util.h"
#include "container/process_setup.h"
#include "container/sealed_self.h"

// The stub's bytes, linked in from init_stub_blob.c (generated at build time).
extern "C" const unsigned char capsa_init_stub[];
extern "C" const unsigned long capsa_init_stub_size;

namespace capsa::container {

bool init_stub_suffices(const spec::Spec& spec) {
  if (!spec.linux || !spec.process) return false;
  bool new_pid_ns = false;
  for (const auto& ns : spec.linux->namespaces) {
    if (ns.type == spec::NamespaceType::Pid && ns.path.empty()) new_pid_ns = true;
    // A binfmt_misc instance of a joined user namespace (Linux 6.7+) could
    // intercept the stub's exec and run /proc/self/exe: capsa.
    if (ns.type == spec::NamespaceType::User && !ns.path.empty()) return false;
  }
  if (!new_pid_ns) return false;
  // prestart and createRuntime hooks are given the init's pid while it is
  // still capsa: whatever they put into its PID namespace could reach it.
  const spec::Hooks& h = spec.hooks;
  if (!h.prestart.empty() || !h.create_runtime.empty() || !h.create_container.empty() || !h.start_container.empty())
    return false;
  // Past the stub's exec a non-root user keeps only its ambient
  // capabilities, and the program's exec would be checked without the rest.
  const spec::Process& p = *spec.process;
  if (p.user.uid != 0 && p.capabilities)
    for (const auto& cap : p.capabilities->effective)
      if (std::find(p.capabilities->ambient.begin(), p.capabilities->ambient.end(), cap) ==
          p.capabilities->ambient.end())
        return false;
  return true;
}

std::string stub_path_if_proc(int stub_fd) {
  struct statfs fs;
  if (::statfs("/proc", &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC) return "";
  std::string path = "/proc/self/fd/" + std::to_string(stub_fd);
  struct stat by_path, by_fd;
  if (::stat(path.c_str(), &by_path) != 0 || ::fstat(stub_fd, &by_fd) != 0) return "";
  if (by_path.st_dev != by_fd.st_dev || by_path.st_ino != by_fd.st_ino) return "";
  return path;
}

UniqueFd make_init_stub() {
  const std::string what = "capsa's init stub";
  UniqueFd fd = executable_memfd("capsa-init-stub", what);
  write_all(fd.get(), {reinterpret_cast<const char*>(capsa_init_stub), capsa_init_stub_size}, what);
  seal_executable(fd.get(), what);
  return fd;
}

void exec_init_stub(int stub_fd, const std::string& stub_path, int sync_fd, int fifo_fd, const std::string& exe,
                    const std::vector<std::string>& argv, const std::vector<std::string>& envp) noexcept {
  std::vector<std::string> stub_argv = {"capsa-init", std::to_string(sync_fd), std::to_string(fifo_fd), exe};
  stub_argv.insert(stub_argv.end(), argv.begin(), argv.end());
  auto args = exec_vector(stub_argv), env = exec_vector(envp);
  // By path where that is the stub: execve is what the program's own exec
  // needs, so any seccomp profile or policy that lets the container run
  // lets this through. execveat otherwise.
  if (!stub_path.empty()) {
    ::execve(stub_path.c_str(), args.data(), env.data());
    return;
  }
  ::syscall(SYS_execveat, stub_fd, "", args.data(), env.data(), AT_EMPTY_PATH);
}

}  // namespace capsa::container
