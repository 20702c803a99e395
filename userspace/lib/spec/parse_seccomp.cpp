#include "spec/parse_seccomp.h"

#include "spec/seccomp_names.h"

namespace capsa::spec {

namespace {

std::string action_list() {
  std::string out;
  for (const auto& a : seccomp_actions()) out += (out.empty() ? "" : ", ") + std::string(a.name);
  return out;
}

const SeccompActionName& action_field(const JsonReader& r, const char* key) {
  std::string name = r.str(key);
  const auto* a = find_seccomp_action(name);
  if (!a) r.fail_field(key, "unknown action \"" + name + "\" (expected one of: " + action_list() + ")");
  return *a;
}

std::optional<uint32_t> ret_field(const JsonReader& r, const char* key, const SeccompActionName& action) {
  auto v = r.u64(key, UINT16_MAX);
  if (v && !action.takes_ret)
    r.fail_field(key, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return value, not " + std::string(action.name));
  if (!v) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

SeccompSyscall parse_syscall(const JsonReader& r) {
  r.expect_object();
  SeccompSyscall s;
  if (!r.has("names")) r.fail_field("names", "required field missing");
  s.names = r.strings("names");
  if (s.names.empty()) r.fail_field("names", "must list at least one syscall");
  for (size_t i = 0; i < s.names.size(); ++i)
    if (s.names[i].empty() || s.names[i].find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
      r.fail_field("names", "[" + std::to_string(i) + "]: \"" + s.names[i] + "\" is not a syscall name");
  const auto& action = action_field(r, "action");
  s.action = std::string(action.name);
  s.errno_ret = ret_field(r, "errnoRet", action);
  if (auto args = r.maybe("args")) {
    args->expect_array();
    for (size_t i = 0; i < args->size(); ++i) {
      auto a = args->at(i);
      a.expect_object();
      SeccompArg arg;
      auto index = a.u64("index", 5);
      if (!index) a.fail_field("index", "required field missing");
      arg.index = static_cast<uint32_t>(*index);
      auto value = a.u64("value");
      if (!value) a.fail_field("value", "required field missing");
      arg.value = *value;
      arg.value_two = a.u64("valueTwo").value_or(0);
      arg.op = a.str("op");
      if (!find_seccomp_operator(arg.op)) {
        std::string ops;
        for (const auto& [n, v] : seccomp_operators()) ops += (ops.empty() ? "" : ", ") + std::string(n);
        a.fail_field("op", "unknown operator \"" + arg.op + "\" (expected one of: " + ops + ")");
      }
      s.args.push_back(arg);
    }
  }
  return s;
}

}  // namespace

Seccomp parse_seccomp(const JsonReader& r) {
  r.expect_object();
  Seccomp s;
  const auto& def = action_field(r, "defaultAction");
  if (def.name == "SCMP_ACT_NOTIFY")
    r.fail_field("defaultAction", "SCMP_ACT_NOTIFY cannot be the default: the listener would field every syscall");
  s.default_action = std::string(def.name);
  s.default_errno_ret = ret_field(r, "defaultErrnoRet", def);
  s.architectures = r.strings("architectures");
  for (size_t i = 0; i < s.architectures.size(); ++i)
    if (!find_seccomp_arch(s.architectures[i]))
      r.fail_field("architectures", "[" + std::to_string(i) + "]: unknown architecture \"" + s.architectures[i] + "\"");
  s.flags = r.strings("flags");
  for (size_t i = 0; i < s.flags.size(); ++i)
    if (!find_seccomp_flag(s.flags[i])) {
      std::string known;
      for (const auto& [n, v] : seccomp_flags()) known += (known.empty() ? "" : ", ") + std::string(n);
      r.fail_field("flags", "[" + std::to_string(i) + "]: unsupported flag \"" + s.flags[i] + "\" (supported: " + known + ")");
    }
  s.listener_path = r.str_or("listenerPath", "");
  if (!s.listener_path.empty() && s.listener_path[0] != '/')
    r.fail_field("listenerPath", "must be an absolute path, got \"" + s.listener_path + "\"");
  s.listener_metadata = r.str_or("listenerMetadata", "");
  if (auto calls = r.maybe("syscalls")) {
    calls->expect_array();
    for (size_t i = 0; i < calls->size(); ++i) s.syscalls.push_back(parse_syscall(calls->at(i)));
  }
  if (s.uses_notify() && s.listener_path.empty())
    r.fail_field("listenerPath", "required when a rule uses SCMP_ACT_NOTIFY");
  return s;
}

}  // namespace capsa::spec
