#include "spec/seccomp_names.h"

#include <seccomp.h>

#include <algorithm>
#include <cctype>

namespace capsa::spec {

const std::vector<SeccompActionName>& seccomp_actions() {
  static const std::vector<SeccompActionName> kActions = {
      {"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
      {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
      {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
      {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
      {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
      {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
      {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
      {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
      {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
  };
  return kActions;
}

const SeccompActionName* find_seccomp_action(std::string_view name) {
  for (const auto& a : seccomp_actions())
    if (a.name == name) return &a;
  return nullptr;
}

const std::vector<std::pair<std::string_view, int>>& seccomp_operators() {
  static const std::vector<std::pair<std::string_view, int>> kOps = {
      {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  return kOps;
}

namespace {
std::optional<int> find_in(const std::vector<std::pair<std::string_view, int>>& table, std::string_view name) {
  for (const auto& [n, v] : table)
    if (n == name) return v;
  return std::nullopt;
}
}  // namespace

std::optional<int> find_seccomp_operator(std::string_view name) { return find_in(seccomp_operators(), name); }

const std::vector<std::pair<std::string_view, int>>& seccomp_flags() {
  // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp 2.6; Debian 12 has 2.5.
  static const std::vector<std::pair<std::string_view, int>> kFlags = {
      {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC},
      {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG},
      {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB},
  };
  return kFlags;
}

std::optional<int> find_seccomp_flag(std::string_view name) { return find_in(seccomp_flags(), name); }

namespace {
constexpr std::string_view kArchPrefix = "SCMP_ARCH_";
constexpr const char* kArchs[] = {"X86",    "X86_64",    "X32",       "ARM",         "AARCH64", "MIPS",
                                  "MIPS64", "MIPS64N32", "MIPSEL",    "MIPSEL64",    "MIPSEL64N32", "PPC",
                                  "PPC64",  "PPC64LE",   "S390",      "S390X",       "PARISC",  "PARISC64",
                                  "RISCV64"};
}  // namespace

std::optional<uint32_t> find_seccomp_arch(std::string_view name) {
  if (name.substr(0, kArchPrefix.size()) != kArchPrefix) return std::nullopt;
  std::string suffix(name.substr(kArchPrefix.size()));
  if (std::find(std::begin(kArchs), std::end(kArchs), suffix) == std::end(kArchs)) return std::nullopt;
  std::transform(suffix.begin(), suffix.end(), suffix.begin(), [](unsigned char c) { return std::tolower(c); });
  uint32_t token = ::seccomp_arch_resolve_name(suffix.c_str());
  if (token == 0) return std::nullopt;
  return token;
}

std::vector<std::string> seccomp_arch_names() {
  std::vector<std::string> out;
  for (const char* a : kArchs)
    if (find_seccomp_arch(std::string(kArchPrefix) + a)) out.push_back(std::string(kArchPrefix) + a);
  return out;
}

}  // namespace capsa::spec
