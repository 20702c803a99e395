#include "daemon/policy_metrics.h"

#include <map>

namespace capsa::daemon {

namespace {

using metrics::Family;
using metrics::MetricType;

// "cgroup-bpf", "tracepoint-kill" or "none": the first word of a tier.
std::string tier_label(const std::string& tier) { return tier.substr(0, tier.find_first_of(" :")); }

void collect(std::vector<Family>& out, bpf::PolicyProgs& progs, PolicyEnforcer& enforcer, KernelSync& sync) {
  std::map<uint64_t, std::string> container_of;
  for (const auto& c : *sync.last())
    if (c.cgroup_id) container_of[c.cgroup_id] = c.id;

  Family verdicts{"capsa_policy_verdicts_total",
                  "Operations a policy rule audited, denied or killed, per container and rule.", MetricType::Counter,
                  {}};
  for (const auto& [key, n] : progs.read_hits()) {
    auto [cgid, policy_id, rule_id] = key;
    auto c = container_of.find(cgid);
    auto rule = enforcer.rule_name(policy_id, rule_id);
    if (c == container_of.end() || !rule) continue;  // deleted container, or a version from before a restart
    verdicts.samples.push_back({{{"container_id", c->second},
                                 {"policy", rule->policy},
                                 {"kind", rule->kind},
                                 {"rule", rule->rule},
                                 {"action", rule->action}},
                                static_cast<double>(n)});
  }
  // Two versions of one policy may name a rule alike: add them up.
  std::map<metrics::Labels, double> merged;
  for (const auto& s : verdicts.samples) merged[s.labels] += s.value;
  verdicts.samples.clear();
  for (const auto& [labels, v] : merged) verdicts.samples.push_back({labels, v});
  out.push_back(std::move(verdicts));

  auto stats = progs.read_stats();
  out.push_back({"capsa_policy_events_total", "Policy events the BPF programs submitted to their ring buffer.",
                 MetricType::Counter, {{{}, static_cast<double>(stats[CAPSA_PSTAT_EVENTS_SENT])}}});
  out.push_back({"capsa_policy_events_lost_total", "Policy events dropped because their ring buffer was full.",
                 MetricType::Counter, {{{}, static_cast<double>(stats[CAPSA_PSTAT_EVENTS_LOST])}}});
  out.push_back({"capsa_policy_reloads_total", "Reloads of the policy directory, by result.", MetricType::Counter,
                 {{{{"result", "ok"}}, static_cast<double>(enforcer.reloads_ok())},
                  {{{"result", "error"}}, static_cast<double>(enforcer.reloads_failed())}}});

  Family tiers{"capsa_policy_enforcement_tier", "The mechanism that enforces each rule kind on this host (value 1).",
               MetricType::Gauge, {}};
  for (const auto& [kind, tier] : enforcer.tiers()) tiers.samples.push_back({{{"kind", kind}, {"tier", tier_label(tier)}}, 1});
  auto status = enforcer.status();
  // Ahead of the BPF tier, in the containers whose policy opted in; alone
  // once the open exits are detached.
  if (enforcer.landlock_containers()) tiers.samples.push_back({{{"kind", "files"}, {"tier", "landlock"}}, 1});
  if (enforcer.files_by_landlock_alone()) {
    std::erase_if(tiers.samples, [](const metrics::Sample& s) {
      std::string kind, tier;
      for (const auto& [k, v] : s.labels) {
        if (k == "kind") kind = v;
        if (k == "tier") tier = v;
      }
      return (kind == "files" || kind == "root-confinement") && tier != "landlock";
    });
    tiers.samples.push_back({{{"kind", "root-confinement"}, {"tier", "landlock"}}, 1});
  }
  out.push_back(std::move(tiers));

  Family bound{"capsa_container_policy_info",
               "The policy each container is bound to, and which tier decides its files (value 1).",
               MetricType::Gauge, {}};
  for (const auto& c : status["containers"])
    bound.samples.push_back({{{"container_id", c["id"].get<std::string>()},
                              {"policy", c["policy"].get<std::string>()},
                              {"files_by", c["files_by"].get<std::string>()}},
                             1});
  out.push_back(std::move(bound));
  Family rules{"capsa_policy_rules", "Rules of each policy in force.", MetricType::Gauge, {}};
  for (const auto& p : status["policies"])
    rules.samples.push_back({{{"policy", p["name"].get<std::string>()}}, static_cast<double>(p["rules"].size())});
  out.push_back(std::move(rules));
}

}  // namespace

void register_policy_metrics(metrics::Registry& registry, bpf::PolicyProgs& progs, PolicyEnforcer& enforcer,
                             KernelSync& sync) {
  registry.add_collector(
      [&progs, &enforcer, &sync](std::vector<Family>& out) { collect(out, progs, enforcer, sync); });
}

}  // namespace capsa::daemon
