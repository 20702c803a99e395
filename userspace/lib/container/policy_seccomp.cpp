#include "container/policy_seccomp.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "daemon/control_socket.h"

namespace capsa::container {

namespace {

// {"policy", "rules", "log", "root", "token"}: capsad's reply and the kept plan alike.
LandlockPlan landlock_plan_from_json(const nlohmann::json& ll, const std::string& origin) {
  if (!ll.is_object() || !ll.contains("policy") || !ll["policy"].is_string() || !ll.contains("rules"))
    throw Error(origin + ": expected {\"policy\": name, \"rules\": [...]}, got " + ll.dump());
  return LandlockPlan{ll["policy"].get<std::string>(), policy::landlock_denies_from_json(ll["rules"], origin + ".rules"),
                      ll.value("log", false), ll.value("root", false), ll.value("token", uint64_t{0})};
}

}  // namespace

PolicyFromCapsad policy_from_capsad(const std::string& socket, const spec::Seccomp* profile,
                                    const std::string& container_id,
                                    const std::map<std::string, std::string>& annotations, uint64_t cgroup_id,
                                    bool shares_pid_ns, bool init) {
  PolicyFromCapsad out;
  if (!cgroup_id) return out;
  // The container and its annotations let capsad pick the policy that will
  // bind it (its state file may not exist yet).
  nlohmann::json req = {{"cmd", "seccomp-candidates"},
                        {"container_id", container_id},
                        {"cgroup_id", cgroup_id},
                        {"annotations", annotations},
                        {"shares_pid_ns", shares_pid_ns},
                        {"init", init},
                        {"reports_landlock", true}};
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
  out.capsad_answered = true;
  const nlohmann::json& reply = *listening;
  if (!reply.value("ok", false) || !reply.contains("syscalls"))
    throw Error("container " + container_id + ": capsad at " + socket +
                " refused seccomp-candidates: " + reply.value("error", reply.dump()));
  if (auto ll = reply.find("landlock"); ll != reply.end() && !ll->is_null()) {
    auto plan = landlock_plan_from_json(*ll, "capsad at " + socket + ": seccomp-candidates: \"landlock\"");
    if (!plan.denies.empty() || plan.confine_root) out.landlock = std::move(plan);
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

void landlock_installed(const std::string& socket, const LandlockPlan& plan, const std::string& container_id,
                        uint64_t cgroup_id, const std::string& text, pid_t pid, const std::vector<pid_t>& strays) {
  nlohmann::json s = nlohmann::json::parse(text, nullptr, false);
  if (s.is_discarded() || !s.is_object()) {
    spdlog::warn("container {}: Landlock: unreadable report from the process: {}", container_id, text);
    return;
  }
  spdlog::info("container {}: Landlock ruleset of policy {} (ABI {}, {}{} grants, built in {} us) installed",
               container_id, s.value("policy", ""), s.value("abi", 0), s.value("root", false) ? "root confined, " : "",
               s.value("grants", 0), s.value("build_us", 0));
  auto skipped = s.value("skipped", nlohmann::json::array());
  for (const auto& p : skipped)
    spdlog::warn("container {}: Landlock: {} does not exist in the container's root: not in the ruleset "
                 "(a path created later is covered by the BPF tier only)",
                 container_id, p.is_string() ? p.get<std::string>() : p.dump());
  auto gaps = s.value("root_gaps", nlohmann::json::array());
  for (const auto& g : gaps)
    spdlog::info("container {}: Landlock: {}: root confinement stays with the BPF tier too", container_id,
                 g.is_string() ? g.get<std::string>() : g.dump());
  if (!strays.empty()) {
    std::string list;
    for (pid_t p : strays) list += (list.empty() ? "" : ", ") + std::to_string(p);
    spdlog::warn("container {}: process(es) {} were in the container before its init's Landlock ruleset (left by "
                 "a createContainer hook?) and hold none: root confinement stays with the BPF tier",
                 container_id, list);
  }
  if (!plan.token) return;
  nlohmann::json req = {{"cmd", "landlock-installed"},
                        {"container_id", container_id},
                        {"cgroup_id", cgroup_id},
                        {"token", plan.token},
                        {"pid", pid},
                        {"root", s.value("root", false) && gaps.empty() && strays.empty()},
                        {"skipped", skipped},
                        {"strays", strays}};
  // Before the process runs: capsad attaches what the ruleset leaves to the
  // BPF tier first. A capsad gone since the hand-out is fine (a restarted
  // one knows nothing of the ruleset and keeps the BPF tier on).
  // The pid as capsad's pid namespace numbers it: the kernel translates a
  // pidfd's (fdinfo), ours may be a nested namespace's.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  std::optional<nlohmann::json> reply;
  try {
    reply = daemon::control_request_if_listening(socket, req, 5000, pidfd ? pidfd.get() : -1);
  } catch (const Error& e) {
    throw Error("container " + container_id + ": report the Landlock ruleset to capsad: " + e.what(), e.sys_errno());
  }
  // Refused (a hand-out it dropped after 30 s, or a capsad restarted since):
  // capsad does not count this ruleset, so the BPF tier stays on for it.
  if (reply && !reply->value("ok", false))
    spdlog::warn("container {}: capsad did not take the Landlock report ({}): its files stay with the BPF tier",
                 container_id, reply->value("error", reply->dump()));
}

void keep_landlock_plan(const std::string& file, const PolicyFromCapsad& got) {
  if (!got.capsad_answered) return;
  if (!got.landlock) {
    ::unlink(file.c_str());
    return;
  }
  const auto& p = *got.landlock;
  nlohmann::json j = {{"policy", p.policy},
                      {"rules", policy::landlock_denies_to_json(p.denies)},
                      {"log", p.log},
                      {"root", p.confine_root}};
  replace_file(file, j.dump() + "\n", 0600);
}

std::optional<LandlockPlan> landlock_plan_for(const std::string& file, const PolicyFromCapsad& got) {
  if (got.capsad_answered) return got.landlock;
  auto text = read_file_if_exists(file);
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) throw Error(file + ": not JSON (the container's kept Landlock plan)");
  auto plan = landlock_plan_from_json(j, file);
  plan.token = 0;  // nobody to report to
  spdlog::info("no capsad listening: the process gets the container's kept Landlock ruleset (policy {})", plan.policy);
  return plan;
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
