// The policy syscall rules BPF-LSM hooks enforce with EPERM (the table is
// bpf/lsm_syscalls.h, which the BPF programs use too): for capsad's status
// and tiers, and checked against the README by the unit tests.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace capsa::policy {

struct LsmSyscall {
  std::string_view name;
  uint32_t nr;             // x86-64
  std::string_view hooks;  // the LSM hooks that refuse it, comma separated
};

std::span<const LsmSyscall> lsm_syscalls();
// nullptr when no BPF-LSM hook serves syscall `nr`.
const LsmSyscall* lsm_syscall(uint32_t nr);

}  // namespace capsa::policy
