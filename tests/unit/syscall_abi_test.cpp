// i386 and x32 calls map to the native call a rule names.
#include <seccomp.h>
#include <sys/syscall.h>

#include <gtest/gtest.h>

#include "policy/syscall_abi.h"

namespace capsa::policy {
namespace {

constexpr int kX32 = 0x40000000;

TEST(SyscallAbi, I386CallsMapToTheNativeCallTheyMake) {
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 21), SYS_mount);
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 136), SYS_personality);
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 20), SYS_getpid);
  // Wider variants and renames are the call they widen.
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 212), SYS_chown);   // chown32
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 221), SYS_fcntl);   // fcntl64
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 192), SYS_mmap);    // mmap2
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 140), SYS_lseek);   // _llseek
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 422), SYS_futex);   // futex_time64
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 272), SYS_fadvise64);  // fadvise64_64
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 22), SYS_umount2);        // umount
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 25), SYS_settimeofday);   // stime
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 67), SYS_rt_sigaction);   // sigaction
  // Multiplexers have no one native call.
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 102), -1);  // socketcall (102 is getuid natively)
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86, 117), -1);  // ipc
}

TEST(SyscallAbi, X32CallsMapToNativeOnesAndNativeStaysAsItIs) {
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86_64, kX32 | SYS_getpid), SYS_getpid);
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86_64, kX32 | 512), SYS_rt_sigaction);
  EXPECT_EQ(native_syscall_nr(SCMP_ARCH_X86_64, SYS_mount), SYS_mount);
}

// What capsad's filter must route besides the native names: i386's forms
// under names x86-64 lacks.
TEST(SyscallAbi, OtherAbiFormsAreTheNamesTheNativeAbiLacks) {
  auto forms = other_abi_forms({SYS_umount2, SYS_chown});
  EXPECT_TRUE(forms.contains(seccomp_syscall_resolve_name("umount")));
  EXPECT_TRUE(forms.contains(seccomp_syscall_resolve_name("chown32")));
  EXPECT_FALSE(forms.contains(seccomp_syscall_resolve_name("fcntl64")));  // fcntl is not asked for
  for (int f : forms) EXPECT_LT(f, 0) << "a native number";
}

}  // namespace
}  // namespace capsa::policy
