#include "container/sealed_self.h"

#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"
#include "common/unique_fd.h"

extern char** environ;

namespace capsa::container {

namespace {

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
#ifndef MFD_EXEC
constexpr unsigned kMfdExec = 0x0010U;  // Linux 6.3; older headers lack it
#else
constexpr unsigned kMfdExec = MFD_EXEC;
#endif

}  // namespace

UniqueFd executable_memfd(const char* name, const std::string& what) {
  // With vm.memfd_noexec=1 a memfd is only executable when asked for; older
  // kernels do not know the flag and refuse it.
  int fd = ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdExec);
  if (fd < 0 && errno == EINVAL) fd = ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) throw_sys(what + ": memfd_create");
  return UniqueFd(fd);
}

void seal_executable(int fd, const std::string& what) {
  if (::fcntl(fd, F_ADD_SEALS, kSeals) != 0) throw_sys(what + ": seal");
}

void reexec_from_sealed_copy() {
  std::string cmdline = read_file("/proc/self/cmdline");
  std::vector<char*> argv;
  for (size_t at = 0; at < cmdline.size(); at += std::strlen(cmdline.data() + at) + 1)
    argv.push_back(cmdline.data() + at);
  argv.push_back(nullptr);
  reexec_from_sealed_copy(argv.data());
}

void reexec_from_sealed_copy(char** argv) {
  UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self) throw_sys("sealed copy of capsa: open /proc/self/exe");
  int seals = ::fcntl(self.get(), F_GET_SEALS);
  if (seals >= 0 && (seals & kSeals) == kSeals) return;  // this is the copy
  struct stat st;
  if (::fstat(self.get(), &st) != 0) throw_sys("sealed copy of capsa: stat /proc/self/exe");
  UniqueFd copy = executable_memfd("capsa", "sealed copy of capsa");
  off_t copied = copy_contents(copy.get(), self.get(), st.st_size, "sealed copy of capsa: copy /proc/self/exe");
  if (copied != st.st_size)
    throw Error("sealed copy of capsa: copy /proc/self/exe: it ended after " + std::to_string(copied) + " of " +
                std::to_string(st.st_size) + " bytes");
  seal_executable(copy.get(), "sealed copy of capsa");
  ::syscall(SYS_execveat, copy.get(), "", argv, environ, AT_EMPTY_PATH);
  throw_sys("sealed copy of capsa: execveat");
}

}  // namespace capsa::container
