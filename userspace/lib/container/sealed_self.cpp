#include "container/sealed_self.h"

#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
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

UniqueFd make_memfd() {
  // With vm.memfd_noexec=1 a memfd is only executable when asked for; older
  // kernels do not know the flag and refuse it.
  int fd = ::memfd_create("capsa", MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdExec);
  if (fd < 0 && errno == EINVAL) fd = ::memfd_create("capsa", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) throw_sys("sealed copy of capsa: memfd_create");
  return UniqueFd(fd);
}

}  // namespace

void reexec_from_sealed_copy(char** argv) {
  UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self) throw_sys("sealed copy of capsa: open /proc/self/exe");
  int seals = ::fcntl(self.get(), F_GET_SEALS);
  if (seals >= 0 && (seals & kSeals) == kSeals) return;  // this is the copy
  struct stat st;
  if (::fstat(self.get(), &st) != 0) throw_sys("sealed copy of capsa: stat /proc/self/exe");
  UniqueFd copy = make_memfd();
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = ::sendfile(copy.get(), self.get(), &offset, static_cast<size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_sys("sealed copy of capsa: copy /proc/self/exe");
  }
  if (::fcntl(copy.get(), F_ADD_SEALS, kSeals) != 0) throw_sys("sealed copy of capsa: seal");
  ::syscall(SYS_execveat, copy.get(), "", argv, environ, AT_EMPTY_PATH);
  throw_sys("sealed copy of capsa: execveat");
}

}  // namespace capsa::container
