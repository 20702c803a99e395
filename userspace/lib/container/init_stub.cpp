#include "container/init_stub.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "container/sealed_self.h"

// The stub's bytes, linked in from init_stub_blob.c (generated at build time).
extern "C" const unsigned char capsa_init_stub[];
extern "C" const unsigned long capsa_init_stub_size;

namespace capsa::container {

bool init_stub_suffices(const spec::Spec& spec) {
  if (!spec.linux) return false;
  bool new_pid_ns = false;
  for (const auto& ns : spec.linux->namespaces)
    if (ns.type == spec::NamespaceType::Pid && ns.path.empty()) new_pid_ns = true;
  return new_pid_ns && spec.hooks.create_container.empty() && spec.hooks.start_container.empty();
}

UniqueFd make_init_stub() {
  const std::string what = "capsa's init stub";
  UniqueFd fd = executable_memfd("capsa-init-stub", what);
  size_t done = 0;
  while (done < capsa_init_stub_size) {
    ssize_t n = ::write(fd.get(), capsa_init_stub + done, capsa_init_stub_size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_sys(what + ": write");
    done += static_cast<size_t>(n);
  }
  seal_executable(fd.get(), what);
  return fd;
}

void exec_init_stub(int stub_fd, int sync_fd, int fifo_fd, const std::string& exe,
                    const std::vector<std::string>& argv, const std::vector<std::string>& envp) noexcept {
  // The stub inherits these two and closes them itself.
  if (::fcntl(sync_fd, F_SETFD, 0) != 0 || ::fcntl(fifo_fd, F_SETFD, 0) != 0) return;
  std::string sync_arg = std::to_string(sync_fd), fifo_arg = std::to_string(fifo_fd);
  std::vector<char*> args = {const_cast<char*>("capsa-init"), sync_arg.data(), fifo_arg.data(),
                             const_cast<char*>(exe.c_str())};
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (const auto& e : envp) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  // By path first: execve is what the program's own exec needs, so any
  // seccomp profile or policy that lets the container run lets this through;
  // execveat is only for a container without /proc.
  std::string by_path = "/proc/self/fd/" + std::to_string(stub_fd);
  ::execve(by_path.c_str(), args.data(), env.data());
  int first = errno;
  ::syscall(SYS_execveat, stub_fd, "", args.data(), env.data(), AT_EMPTY_PATH);
  if (first != ENOENT) errno = first;
}

}  // namespace capsa::container
