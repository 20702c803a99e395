#include "container/seccomp_filter.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <set>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/unique_fd.h"
#include "container/sync_channel.h"
#include "policy/syscall_abi.h"
#include "spec/seccomp_names.h"

namespace capsa::container {

namespace {

// runc's defaults: a bare SCMP_ACT_ERRNO or SCMP_ACT_TRACE means EPERM.
uint32_t action_value(const std::string& name, std::optional<uint32_t> ret) {
  const auto* a = spec::find_seccomp_action(name);
  if (!a) throw Error("unknown seccomp action " + name);  // parse_seccomp let it through: a bug
  if (!a->takes_ret) return a->base;
  return a->base | (ret.value_or(EPERM) & 0xffffu);
}

struct CtxDeleter {
  scmp_filter_ctx ctx;
  ~CtxDeleter() {
    if (ctx) ::seccomp_release(ctx);
  }
};

void check(int rc, const std::string& what) {
  if (rc < 0) throw Error(what + ": " + errno_text(-rc), -rc);
}

}  // namespace

SeccompFilter SeccompFilter::build(const spec::Seccomp& profile, const std::string& origin) {
  const std::string base = origin + ": linux.seccomp";
  uint32_t def = action_value(profile.default_action, profile.default_errno_ret);
  CtxDeleter guard{::seccomp_init(def)};
  if (!guard.ctx) throw Error(base + ".defaultAction: libseccomp refused " + profile.default_action);
  // libseccomp would otherwise set no_new_privs itself; that is
  // process.noNewPrivileges' decision, not the filter's.
  check(::seccomp_attr_set(guard.ctx, SCMP_FLTATR_CTL_NNP, 0), base + ": clear the no_new_privs attribute");
  // Real errnos from seccomp_load instead of a blanket ECANCELED.
  check(::seccomp_attr_set(guard.ctx, SCMP_FLTATR_API_SYSRAWRC, 1), base + ": ask for raw error codes");
  for (size_t i = 0; i < profile.flags.size(); ++i)
    check(::seccomp_attr_set(guard.ctx, static_cast<scmp_filter_attr>(*spec::find_seccomp_flag(profile.flags[i])), 1),
          base + ".flags[" + std::to_string(i) + "]: " + profile.flags[i]);
  for (size_t i = 0; i < profile.architectures.size(); ++i) {
    int rc = ::seccomp_arch_add(guard.ctx, *spec::find_seccomp_arch(profile.architectures[i]));
    if (rc != -EEXIST) check(rc, base + ".architectures[" + std::to_string(i) + "]: " + profile.architectures[i]);
  }

  SeccompFilter out(nullptr);
  out.notify_ = profile.uses_notify();
  for (size_t i = 0; i < profile.syscalls.size(); ++i) {
    const auto& call = profile.syscalls[i];
    std::string field = base + ".syscalls[" + std::to_string(i) + "]";
    uint32_t action = action_value(call.action, call.errno_ret);
    // The kernel would see no difference, and libseccomp refuses it.
    if (action == def) continue;
    std::vector<scmp_arg_cmp> conds;
    std::set<uint32_t> indices;
    bool repeated = false;
    for (const auto& a : call.args) {
      repeated = repeated || !indices.insert(a.index).second;
      conds.push_back({a.index, static_cast<scmp_compare>(*spec::find_seccomp_operator(a.op)), a.value, a.value_two});
    }
    for (const auto& name : call.names) {
      int nr = ::seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        out.skipped_.push_back(name);
        continue;
      }
      std::string what = field + ": " + name;
      // Two conditions on one argument cannot both hold in one rule; like
      // runc, each becomes a rule of its own (they are or'ed).
      if (repeated) {
        for (const auto& c : conds) check(::seccomp_rule_add_array(guard.ctx, action, nr, 1, &c), what);
      } else {
        check(::seccomp_rule_add_array(guard.ctx, action, nr, conds.size(), conds.empty() ? nullptr : conds.data()),
              what);
      }
    }
  }
  if (!out.skipped_.empty()) {
    std::string names;
    for (const auto& n : out.skipped_) names += (names.empty() ? "" : " ") + n;
    spdlog::debug("{}: syscalls unknown to libseccomp {}, skipped: {}", base, SCMP_VER_MAJOR * 100 + SCMP_VER_MINOR,
                  names);
  }
  out.ctx_ = guard.ctx;
  guard.ctx = nullptr;
  return out;
}

SeccompFilter SeccompFilter::notify_on(const std::set<uint32_t>& syscalls, const std::vector<SeccompArgRoute>& routes,
                                       std::set<uint32_t>& added) {
  const std::string base = "capsad's seccomp filter";
  CtxDeleter guard{::seccomp_init(SCMP_ACT_ALLOW)};
  if (!guard.ctx) throw Error(base + ": libseccomp could not start a filter");
  check(::seccomp_attr_set(guard.ctx, SCMP_FLTATR_CTL_NNP, 0), base + ": clear the no_new_privs attribute");
  check(::seccomp_attr_set(guard.ctx, SCMP_FLTATR_API_SYSRAWRC, 1), base + ": ask for raw error codes");
  // Another ABI than the ones below must run untouched, not be killed (the
  // default for an architecture a filter does not list).
  check(::seccomp_attr_set(guard.ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW), base + ": allow other ABIs");
  // 32-bit calls of the same syscalls go to capsad too, under their own numbers.
  if (::seccomp_arch_native() == SCMP_ARCH_X86_64) {
    for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
      int rc = ::seccomp_arch_add(guard.ctx, arch);
      if (rc != -EEXIST) check(rc, base + ": add the 32-bit ABIs");
    }
  }
  for (uint32_t nr : syscalls) {
    int rc = ::seccomp_rule_add(guard.ctx, SCMP_ACT_NOTIFY, static_cast<int>(nr), 0);
    if (rc < 0) {
      spdlog::debug("{}: syscall {} left out: {}", base, nr, errno_text(-rc));
      continue;
    }
    added.insert(nr);
  }
  // i386's chown32, umount... are chown, umount2 to the rules: sent too.
  for (int pseudo : policy::other_abi_forms(added)) {
    int rc = ::seccomp_rule_add(guard.ctx, SCMP_ACT_NOTIFY, pseudo, 0);
    if (rc < 0) spdlog::debug("{}: syscall {} of another ABI left out: {}", base, pseudo, errno_text(-rc));
  }
  for (const auto& r : routes) {
    // Negative for a call only another ABI of the filter has (fcntl64):
    // libseccomp adds it where it exists.
    int nr = ::seccomp_syscall_resolve_name(r.syscall.c_str());
    if (nr == __NR_SCMP_ERROR) {
      spdlog::debug("{}: {} unknown to libseccomp, left out", base, r.syscall);
      continue;
    }
    if (nr >= 0 && added.contains(static_cast<uint32_t>(nr))) continue;
    for (uint32_t v : r.values) {
      scmp_arg_cmp c[2] = {{r.arg, SCMP_CMP_MASKED_EQ, 0xffffffffu, v}, {}};
      unsigned n = 1;
      if (r.bits_arg >= 0) c[n++] = {static_cast<unsigned>(r.bits_arg), SCMP_CMP_MASKED_EQ, r.bits, r.bits};
      check(::seccomp_rule_add_array(guard.ctx, SCMP_ACT_NOTIFY, nr, n, c),
            base + ": send " + r.syscall + " with argument " + std::to_string(r.arg) + " = " + std::to_string(v) +
                (r.bits_arg >= 0 ? " and bits " + std::to_string(r.bits) + " of argument " + std::to_string(r.bits_arg)
                                 : ""));
    }
  }
  SeccompFilter out(guard.ctx);
  guard.ctx = nullptr;
  out.notify_ = true;
  return out;
}

SeccompFilter::~SeccompFilter() {
  if (ctx_) ::seccomp_release(static_cast<scmp_filter_ctx>(ctx_));
}

int SeccompFilter::load() const noexcept { return ::seccomp_load(static_cast<scmp_filter_ctx>(ctx_)); }

int SeccompFilter::notify_fd() const noexcept {
  if (!notify_) return -1;
  int fd = ::seccomp_notify_fd(static_cast<scmp_filter_ctx>(ctx_));
  return fd < 0 ? -1 : fd;
}

void send_to_seccomp_listener(const spec::Seccomp& profile, const nlohmann::json& container_state, pid_t pid, int fd) {
  const std::string& path = profile.listener_path;
  const std::string what = "linux.seccomp.listenerPath " + path;
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) throw_sys(what + ": socket");
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw Error(what + ": path too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw_sys(what + ": connect");
  nlohmann::json msg = {{"ociVersion", "1.2.0"},
                        {"fds", {"seccompFd"}},
                        {"pid", pid},
                        {"metadata", profile.listener_metadata},
                        {"state", container_state}};
  if (!send_with_fd(sock.get(), msg.dump(), fd)) throw_sys(what + ": send the notify fd");
}

}  // namespace capsa::container
