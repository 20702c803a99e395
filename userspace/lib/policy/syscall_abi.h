// Syscall rules are written per name and held per x86-64 number; a 64-bit
// process may also call the kernel through the i386 ABI (int $0x80) and the
// x32 ABI, whose numbers differ. This maps their numbers to the native call
// a rule names (chown32 and chown are both chown, mmap2 is mmap, ...), for
// capsad's seccomp supervisor and for the kernel side (pol_compat_nr).
#pragma once

#include <cstdint>
#include <set>

namespace capsa::policy {

// The x86-64 number of call `nr` made under `scmp_arch` (libseccomp's
// SCMP_ARCH_*, which are the kernel's AUDIT_ARCH_* values, as in
// seccomp_data.arch; x32 calls come with x86-64's arch and the x32 bit in
// the number); -1 for a call with no native counterpart (i386's socketcall
// and ipc, which multiplex several calls).
int native_syscall_nr(uint32_t scmp_arch, int nr);

// The ABI (enum capsa_syscall_abi, bpf/policy.h) of call `nr` made under
// `scmp_arch`, as the kernel side tells it.
uint32_t syscall_abi(uint32_t scmp_arch, int nr);

// libseccomp's numbers (negative: its pseudo-numbers) of the i386 and x32
// calls that are another form of one of `native` (chown32 of chown, umount
// of umount2) under a name the native ABI does not have: a filter that
// routes native calls by name leaves those out unless given these too.
std::set<int> other_abi_forms(const std::set<uint32_t>& native);

}  // namespace capsa::policy
