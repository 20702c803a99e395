// bpf/lsm_syscalls.h is the one table of syscall rules BPF-LSM hooks enforce:
// its x86-64 numbers must be the kernel's, every hook it names must be a
// program of policy_lsm.bpf.c, and the README must list it as it is.
#include <seccomp.h>

#include <string>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "policy/lsm_hooked_syscalls.h"

namespace capsa::policy {
namespace {

TEST(LsmHookedSyscalls, NumbersAreTheKernelsX86_64Numbers) {
  ASSERT_FALSE(lsm_syscalls().empty());
  for (const auto& s : lsm_syscalls()) {
    std::string name(s.name);
    EXPECT_EQ(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str()), static_cast<int>(s.nr)) << name;
    EXPECT_EQ(lsm_syscall(s.nr), &s) << name;
  }
  EXPECT_EQ(lsm_syscall(0), nullptr);  // read: no hook
}

TEST(LsmHookedSyscalls, EveryHookIsAProgramOfTheLsmObject) {
  std::string source = read_file(std::string(CAPSA_SOURCE_DIR) + "/bpf/policy_lsm.bpf.c");
  for (const auto& s : lsm_syscalls()) {
    std::string hooks(s.hooks);
    for (size_t pos = 0; pos < hooks.size();) {
      size_t end = hooks.find(", ", pos);
      std::string hook = hooks.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      EXPECT_NE(source.find("SEC(\"lsm/" + hook + "\")"), std::string::npos) << s.name << ": " << hook;
      pos = end == std::string::npos ? hooks.size() : end + 2;
    }
  }
}

TEST(LsmHookedSyscalls, TheReadmeListsTheTable) {
  std::string readme = read_file(std::string(CAPSA_SOURCE_DIR) + "/README.md");
  for (const auto& s : lsm_syscalls()) {
    std::string row = "| `" + std::string(s.name) + "` | `" + std::string(s.hooks) + "`";
    EXPECT_NE(readme.find(row), std::string::npos) << "README.md has no row " << row;
  }
}

}  // namespace
}  // namespace capsa::policy
