#include "policy/syscall_abi.h"

#include <seccomp.h>
#include <stdlib.h>

#include <string>
#include <tuple>

#include "policy.h"

namespace capsa::policy {
namespace {

int resolve_native(const std::string& name) {
  int nr = ::seccomp_syscall_resolve_name(name.c_str());
  return nr < 0 ? -1 : nr;  // __NR_SCMP_ERROR, or a pseudo-number of libseccomp's
}

// The native call an i386 or x32 name stands for: the same name, or the
// name less the suffix of a wider variant (chown32, fcntl64, futex_time64,
// fadvise64_64), or one of the renames below.
int native_of(const std::string& name) {
  // i386's older calls, each a narrower form of a native one.
  static const std::pair<const char*, const char*> kRenamed[] = {
      {"mmap2", "mmap"}, {"_llseek", "lseek"}, {"_newselect", "select"}, {"ugetrlimit", "getrlimit"},
      {"fstatat64", "newfstatat"}, {"umount", "umount2"}, {"stime", "settimeofday"}, {"waitpid", "wait4"},
      {"sigaction", "rt_sigaction"}, {"signal", "rt_sigaction"}, {"sigprocmask", "rt_sigprocmask"},
      {"sigsuspend", "rt_sigsuspend"}, {"sigpending", "rt_sigpending"}, {"sigreturn", "rt_sigreturn"},
      {"oldstat", "stat"}, {"oldfstat", "fstat"}, {"oldlstat", "lstat"}, {"olduname", "uname"},
      {"oldolduname", "uname"}, {"readdir", "getdents"}, {"nice", "setpriority"}, {"sgetmask", "rt_sigprocmask"},
      {"ssetmask", "rt_sigprocmask"},
  };
  for (const auto& [from, to] : kRenamed)
    if (name == from) return resolve_native(to);
  if (int nr = resolve_native(name); nr >= 0) return nr;
  for (const char* suffix : {"_time64", "64", "32", "_64"}) {
    std::string s = suffix;
    if (name.size() > s.size() && name.ends_with(s))
      if (int nr = resolve_native(name.substr(0, name.size() - s.size())); nr >= 0) return nr;
  }
  return -1;
}

}  // namespace

// x32 calls come with x86-64's audit arch and their own bit in the number.
uint32_t syscall_abi(uint32_t scmp_arch, int nr) {
  if (scmp_arch == SCMP_ARCH_X86_64 && (static_cast<uint32_t>(nr) & CAPSA_X32_SYSCALL_BIT)) return CAPSA_ABI_X32;
  return scmp_arch == SCMP_ARCH_X86 ? CAPSA_ABI_I386 : CAPSA_ABI_NATIVE;
}

int native_syscall_nr(uint32_t scmp_arch, int nr) {
  if (syscall_abi(scmp_arch, nr) == CAPSA_ABI_X32) scmp_arch = SCMP_ARCH_X32;
  if (scmp_arch == ::seccomp_arch_native()) return nr;
  char* name = ::seccomp_syscall_resolve_num_arch(scmp_arch, nr);
  if (!name) return -1;
  int native = native_of(name);
  ::free(name);
  return native;
}

std::set<int> other_abi_forms(const std::set<uint32_t>& native) {
  std::set<int> out;
  // i386's numbers, and x32's own calls (below them, x32 has x86-64's).
  constexpr int kX32Bit = static_cast<int>(CAPSA_X32_SYSCALL_BIT);
  for (auto [arch, lo, hi] : {std::tuple{SCMP_ARCH_X86, 0, CAPSA_COMPAT_X32_BASE},
                              std::tuple{SCMP_ARCH_X32, kX32Bit | CAPSA_COMPAT_X32_BASE, kX32Bit | CAPSA_COMPAT_NRS}}) {
    for (int nr = lo; nr < hi; ++nr) {
      char* name = ::seccomp_syscall_resolve_num_arch(arch, nr);
      if (!name) {
        if (arch == SCMP_ARCH_X32) break;  // x32's own calls are numbered without gaps
        continue;
      }
      int pseudo = ::seccomp_syscall_resolve_name(name);
      int n = pseudo < 0 && pseudo != __NR_SCMP_ERROR ? native_of(name) : -1;
      ::free(name);
      if (n >= 0 && native.contains(static_cast<uint32_t>(n))) out.insert(pseudo);
    }
  }
  return out;
}

}  // namespace capsa::policy
