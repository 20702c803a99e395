// The names linux.seccomp may use, mapped to libseccomp's values. One table
// serves validation (spec/parse), the filter builder and `capsa features`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace capsa::spec {

struct SeccompActionName {
  std::string_view name;  // e.g. "SCMP_ACT_ERRNO"
  uint32_t base;          // libseccomp's action value, before any errno is or'ed in
  bool takes_ret;         // errnoRet is the errno (ERRNO) or the tracer's message (TRACE)
};
const std::vector<SeccompActionName>& seccomp_actions();
const SeccompActionName* find_seccomp_action(std::string_view name);

// SCMP_CMP_* names to libseccomp's enum scmp_compare.
const std::vector<std::pair<std::string_view, int>>& seccomp_operators();
std::optional<int> find_seccomp_operator(std::string_view name);

// SECCOMP_FILTER_FLAG_* names to libseccomp filter attributes.
const std::vector<std::pair<std::string_view, int>>& seccomp_flags();
std::optional<int> find_seccomp_flag(std::string_view name);

// "SCMP_ARCH_X86_64" -> libseccomp's token for x86_64; nullopt when unknown.
std::optional<uint32_t> find_seccomp_arch(std::string_view name);
std::vector<std::string> seccomp_arch_names();

}  // namespace capsa::spec
