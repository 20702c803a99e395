#include "container/policy_seccomp.h"

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "daemon/control_socket.h"

namespace capsa::container {

PolicyFromCapsad policy_from_capsad(const std::string& socket, const spec::Seccomp* profile,
                                    const std::string& container_id,
                                    const std::map<std::string, std::string>& annotations, uint64_t cgroup_id,
                                    bool shares_pid_ns) {
  PolicyFromCapsad out;
  if (!cgroup_id) return out;
  // The container and its annotations let capsad pick the policy that will
  // bind it (its state file may not exist yet).
  nlohmann::json req = {{"cmd", "seccomp-candidates"},
                        {"container_id", container_id},
                        {"cgroup_id", cgroup_id},
                        {"annotations", annotations},
                        {"shares_pid_ns", shares_pid_ns}};
  std::optional<nlohmann::json> listening;
  try {
    listening = daemon::control_request_if_listening(socket, req, 5000);
  } catch (const Error& e) {
    throw Error("container " + container_id + ": ask capsad for its seccomp syscalls and Landlock rules: " + e.what(),
                e.sys_errno());
  }
  if (!listening) {
    spdlog::debug("container {}: no capsad at {}: no policy seccomp filter or Landlock ruleset", container_id, socket);
    return out;
  }
  const nlohmann::json& reply = *listening;
  if (!reply.value("ok", false) || !reply.contains("syscalls"))
    throw Error("container " + container_id + ": capsad at " + socket +
                " refused seccomp-candidates: " + reply.value("error", reply.dump()));
  if (auto ll = reply.find("landlock"); ll != reply.end() && !ll->is_null()) {
    std::string origin = "capsad at " + socket + ": seccomp-candidates: \"landlock\"";
    if (!ll->is_object() || !ll->contains("policy") || !(*ll)["policy"].is_string() || !ll->contains("rules"))
      throw Error(origin + ": expected {\"policy\": name, \"rules\": [...]}, got " + ll->dump());
    LandlockPlan plan{(*ll)["policy"].get<std::string>(),
                      policy::landlock_denies_from_json((*ll)["rules"], origin + ".rules"),
                      ll->value("log", false)};
    if (!plan.denies.empty()) out.landlock = std::move(plan);
  }
  if (profile && profile->uses_notify()) {
    spdlog::info("container {}: linux.seccomp has its own SCMP_ACT_NOTIFY listener; policy syscall rules are "
                 "enforced by capsad's tracepoint kill only",
                 container_id);
    return out;
  }
  std::set<uint32_t> wanted, added;
  try {
    wanted = reply["syscalls"].get<std::set<uint32_t>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error("capsad at " + socket + ": seccomp-candidates: \"syscalls\" is not a list of numbers: " + e.what());
  }
  std::vector<SeccompArgRoute> routes;
  if (auto r = reply.find("routed_when"); r != reply.end())
    routes = arg_routes_from_json(*r, "capsad at " + socket + ": seccomp-candidates: \"routed_when\"");
  if (wanted.empty() && routes.empty()) return out;
  auto filter = SeccompFilter::notify_on(wanted, routes, added);
  out.seccomp.emplace(PolicySeccomp{socket, std::move(filter), std::move(added)});
  return out;
}

// The runtime's log line for a ruleset the process built.
void log_landlock_summary(const std::string& container_id, const std::string& text) {
  nlohmann::json s = nlohmann::json::parse(text, nullptr, false);
  if (s.is_discarded()) return;
  spdlog::info("container {}: Landlock ruleset of policy {} (ABI {}, {} grants, built in {} us) installed",
               container_id, s.value("policy", ""), s.value("abi", 0), s.value("grants", 0), s.value("build_us", 0));
  for (const auto& p : s.value("skipped", nlohmann::json::array()))
    spdlog::warn("container {}: Landlock: {} does not exist in the container's root: not in the ruleset "
                 "(a path created later is covered by the BPF tier only)",
                 container_id, p.is_string() ? p.get<std::string>() : p.dump());
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
