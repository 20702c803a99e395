#include "policy/lsm_hooked_syscalls.h"

#include "lsm_syscalls.h"

namespace capsa::policy {

namespace {

constexpr LsmSyscall kTable[] = {
#define CAPSA_LSM_ENTRY(name, nr, hooks) {#name, nr, hooks},
    CAPSA_LSM_SYSCALLS(CAPSA_LSM_ENTRY)
#undef CAPSA_LSM_ENTRY
};

}  // namespace

std::span<const LsmSyscall> lsm_syscalls() { return kTable; }

const LsmSyscall* lsm_syscall(uint32_t nr) {
  for (const auto& s : kTable)
    if (s.nr == nr) return &s;
  return nullptr;
}

}  // namespace capsa::policy
