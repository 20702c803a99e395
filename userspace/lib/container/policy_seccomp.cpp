#include "container/policy_seccomp.h"

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "daemon/control_socket.h"

namespace capsa::container {

std::optional<PolicySeccomp> policy_seccomp(const std::string& socket, const spec::Seccomp* profile,
                                            const std::string& container_id, uint64_t cgroup_id) {
  if (!cgroup_id) return std::nullopt;
  if (profile && profile->uses_notify()) {
    spdlog::info("container {}: linux.seccomp has its own SCMP_ACT_NOTIFY listener; policy syscall rules are "
                 "enforced by capsad's tracepoint kill only",
                 container_id);
    return std::nullopt;
  }
  std::optional<nlohmann::json> listening;
  try {
    listening = daemon::control_request_if_listening(socket, {{"cmd", "seccomp-candidates"}}, 5000);
  } catch (const Error& e) {
    throw Error("container " + container_id + ": ask capsad for its seccomp syscalls: " + e.what(), e.sys_errno());
  }
  if (!listening) {
    spdlog::debug("container {}: no capsad at {}: no policy seccomp filter", container_id, socket);
    return std::nullopt;
  }
  const nlohmann::json& reply = *listening;
  if (!reply.value("ok", false) || !reply.contains("syscalls"))
    throw Error("container " + container_id + ": capsad at " + socket +
                " refused seccomp-candidates: " + reply.value("error", reply.dump()));
  std::set<uint32_t> wanted, added;
  try {
    wanted = reply["syscalls"].get<std::set<uint32_t>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error("capsad at " + socket + ": seccomp-candidates: \"syscalls\" is not a list of numbers: " + e.what());
  }
  if (wanted.empty()) return std::nullopt;
  auto filter = SeccompFilter::notify_on(wanted, added);
  return PolicySeccomp{socket, std::move(filter), std::move(added)};
}

void hand_listener_to_capsad(const PolicySeccomp& p, const std::string& container_id, uint64_t cgroup_id, pid_t pid,
                             int listener) {
  nlohmann::json req = {{"cmd", "seccomp-listener"},
                        {"container_id", container_id},
                        {"cgroup_id", cgroup_id},
                        {"pid", pid},
                        {"syscalls", p.syscalls}};
  nlohmann::json reply;
  try {
    reply = daemon::control_request(p.socket, req, 5000, listener);
  } catch (const Error& e) {
    throw Error("container " + container_id + ": hand the policy seccomp listener of pid " + std::to_string(pid) +
                    " to capsad: " + e.what(),
                e.sys_errno());
  }
  if (!reply.value("ok", false))
    throw Error("container " + container_id + ": capsad refused the policy seccomp listener of pid " +
                std::to_string(pid) + ": " + reply.value("error", reply.dump()));
}

}  // namespace capsa::container
