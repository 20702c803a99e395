// Commands that ask capsad over its control socket: list, show, status, and
// the reload that ends apply and delete. capsad's answer is the truth about
// what is in force; the files may say something else (a file that does not
// load leaves its previous version in force).
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "capsactl.h"
#include "common/error.h"
#include "daemon/control_socket.h"
#include "policy.h"  // CAPSA_RULE_DEFAULT_BASE

namespace capsactl {

namespace {

using capsa::Error;
using nlohmann::json;

// Nothing listens on the socket: capsad is not running (or runs with
// another --root).
class NotRunning : public Error {
public:
  using Error::Error;
};

std::string socket_of(const Options& o) {
  return o.socket.empty() ? capsa::daemon::default_control_socket(o.root) : o.socket;
}

std::string str(const json& v) { return v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump(); }

// One request; a reply that carries an error is thrown as one.
json ask(const Options& o, const json& request) {
  std::string sock = socket_of(o);
  spdlog::debug("capsad at {}: {}", sock, request.dump());
  json reply;
  try {
    reply = capsa::daemon::control_request(sock, request);
  } catch (const Error& e) {
    int err = e.sys_errno();
    if (err == ENOENT || err == ECONNREFUSED)
      throw NotRunning("cannot reach capsad at " + sock + ": " + capsa::errno_text(err) + " (is capsad running?)", err);
    if (err == EACCES || err == EPERM)
      throw Error("cannot reach capsad at " + sock + ": " + capsa::errno_text(err) +
                      " (only root may use capsad's socket)",
                  err);
    throw;
  }
  if (!reply.is_object()) throw Error("capsad at " + sock + " sent a reply that is not a JSON object: " + reply.dump());
  if (auto e = reply.find("error"); e != reply.end())
    throw Error("capsad at " + sock + ": " + str(*e));
  return reply;
}

// Fields as text, tolerant of a capsad of another version that lacks one.
std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() ? "" : str(*it);
}

json array(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : json::array();
}

std::string join(const json& arr) {
  std::string out;
  for (const auto& s : arr) out += (out.empty() ? "" : ", ") + str(s);
  return out;
}

size_t written_rules(const json& policy) {
  const json rules = array(policy, "rules");
  return std::count_if(rules.begin(), rules.end(),
                       [](const json& r) { return r.value("id", 0u) < CAPSA_RULE_DEFAULT_BASE; });
}

json containers_of(const json& status, const json& policy) {
  json out = json::array();
  for (const auto& c : array(status, "containers"))
    if (c.value("policy_id", 0u) == policy.value("id", 0u)) out.push_back(c);
  return out;
}

void print_json(const json& j) { std::printf("%s\n", j.dump(2).c_str()); }

// Columns padded to their widest cell plus 3, the last one not at all (as
// `capsa list` prints, without runc's minimum width).
void print_table(const std::vector<std::vector<std::string>>& lines, const std::string& indent = "") {
  std::vector<size_t> width;
  for (const auto& l : lines)
    for (size_t i = 0; i + 1 < l.size(); ++i) {
      if (width.size() <= i) width.resize(i + 1, 0);
      width[i] = std::max(width[i], l[i].size() + 3);
    }
  for (const auto& l : lines) {
    std::string out = indent;
    for (size_t i = 0; i < l.size(); ++i) {
      out += l[i];
      if (i + 1 < l.size()) out.append(width[i] - l[i].size(), ' ');
    }
    std::printf("%s\n", out.c_str());
  }
}

void warn_if_reload_failed(const json& status) {
  if (auto errors = array(status, "errors"); !errors.empty())
    std::fprintf(stderr, "capsactl: warning: capsad's last reload had %zu error(s): see `capsactl status`\n",
                 errors.size());
}

// capsad reads one directory; a change made to another one never reaches it.
void warn_if_other_dir(const Options& o) {
  std::string theirs = text(ask(o, {{"cmd", "status"}}), "policy_dir");
  if (theirs.empty() || theirs[0] != '/') return;  // relative to capsad's cwd: cannot compare
  std::error_code ec;
  auto a = std::filesystem::weakly_canonical(theirs, ec);
  auto b = std::filesystem::weakly_canonical(o.policy_dir, ec);
  if (!ec && a != b)
    std::fprintf(stderr, "capsactl: warning: capsad reads its policies from %s, not %s: this change does not reach it\n",
                 theirs.c_str(), o.policy_dir.c_str());
}

}  // namespace

int reload_after_change(const Options& o) {
  json reply;
  try {
    reply = ask(o, {{"cmd", "reload"}});
  } catch (const NotRunning&) {
    std::printf("capsad is not running: the policy takes effect when it starts\n");
    return 0;
  }
  json loaded = array(reply, "loaded");
  std::string names = loaded.empty() ? "" : " (" + join(loaded) + ")";
  std::printf("capsad reloaded: %zu %s in force%s\n", loaded.size(), loaded.size() == 1 ? "policy" : "policies",
              names.c_str());
  std::fflush(stdout);
  warn_if_other_dir(o);
  json errors = array(reply, "errors");
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", str(e).c_str());
  if (errors.empty()) return 0;
  std::fprintf(stderr, "capsactl: capsad reported %zu error(s) on reload: a file that failed keeps its previous "
                       "version in force, if it had one\n", errors.size());
  return 1;
}

int policy_list(const Options& o, const std::string& format) {
  json st = ask(o, {{"cmd", "status"}});
  json policies = array(st, "policies");
  if (format == "json") {
    print_json(policies);
    return 0;
  }
  std::vector<std::vector<std::string>> lines = {{"NAME", "MODE", "DEFAULT", "RULES", "CONTAINERS", "FILE"}};
  for (const auto& p : policies)
    lines.push_back({text(p, "name"), text(p, "mode"), p.value("default", false) ? "yes" : "no",
                     std::to_string(written_rules(p)), std::to_string(containers_of(st, p).size()), text(p, "file")});
  print_table(lines);
  warn_if_reload_failed(st);
  return 0;
}

int policy_show(const Options& o, const std::string& name, const std::string& format) {
  json st = ask(o, {{"cmd", "status"}});
  json policies = array(st, "policies");
  auto p = std::find_if(policies.begin(), policies.end(), [&](const json& q) { return text(q, "name") == name; });
  if (p == policies.end()) {
    json names = json::array();
    for (const auto& q : policies) names.push_back(text(q, "name"));
    throw Error("no policy named \"" + name + "\" is in force in capsad (" +
                (names.empty() ? "none is" : "in force: " + join(names)) + ")" +
                (array(st, "errors").empty() ? "" : "; the last reload had errors: see `capsactl status`"));
  }
  json bound = containers_of(st, *p);
  if (format == "json") {
    json out = *p;
    out["containers"] = bound;
    print_json(out);
    return 0;
  }
  json selector = array(*p, "selector");
  print_table({{"Name:", text(*p, "name")},
               {"File:", text(*p, "file")},
               {"Mode:", text(*p, "mode")},
               {"Default:", p->value("default", false) ? "yes (for containers nothing else selects)" : "no"},
               {"Selector:", selector.empty() ? "-" : join(selector)},
               {"Landlock:", p->value("files_landlock", false)
                                 ? (text(*p, "mode") == "enforce" ? "yes (deny and kill file rules, in processes started from now on)"
                                                                   : "requested, but audit mode installs nothing")
                                 : "no"}});

  std::printf("\nRules:\n");
  std::vector<std::vector<std::string>> rules = {{"ID", "KIND", "NAME", "ACTION"}};
  for (const auto& r : array(*p, "rules"))
    rules.push_back({text(r, "id"), text(r, "kind"), text(r, "name"), text(r, "action")});
  print_table(rules, "  ");

  if (auto un = p->find("unenforced"); un != p->end() && un->is_object() && !un->empty()) {
    std::printf("\nNot enforced on this host:\n");
    for (const auto& [kind, reason] : un->items())
      std::printf("  %s: %s\n", kind.c_str(), str(reason).c_str());
  }

  if (bound.empty()) {
    std::printf("\nContainers: none\n");
    return 0;
  }
  std::printf("\nContainers:\n");
  std::vector<std::vector<std::string>> lines = {{"ID", "SELECTED BY", "MISSING EXEC PATHS"}};
  for (const auto& c : bound) {
    json missing = array(c, "missing_exec_paths");
    lines.push_back({text(c, "id"), text(c, "selected_by"), missing.empty() ? "-" : join(missing)});
  }
  print_table(lines, "  ");
  return 0;
}

int status(const Options& o, const std::string& format) {
  json st = ask(o, {{"cmd", "status"}});
  if (format == "json") {
    print_json(st);
    return 0;
  }
  size_t n = array(st, "policies").size();
  std::printf("Policy directory: %s (%zu %s in force)\n\n", text(st, "policy_dir").c_str(), n,
              n == 1 ? "policy" : "policies");

  std::vector<std::vector<std::string>> tiers = {{"KIND", "TIER"}};
  if (auto t = st.find("tiers"); t != st.end() && t->is_object())
    for (const auto& [kind, tier] : t->items()) tiers.push_back({kind, str(tier)});
  print_table(tiers);

  json containers = array(st, "containers");
  if (containers.empty()) {
    std::printf("\nNo container is bound to a policy.\n");
  } else {
    std::printf("\n");
    // Syscall rules: answered by the seccomp supervisor or a BPF-LSM hook
    // (deny is EPERM), or left to the tracepoint kill (deny is a kill).
    auto syscalls = [](const json& c, const char* tier) {
      auto s = c.find("syscalls");
      if (s == c.end() || !s->is_object()) return std::string("-");
      std::string out = join(array(*s, tier));
      return out.empty() ? std::string("-") : out;
    };
    // File rules under Landlock: the policy versions whose rulesets the
    // container's processes were started with.
    auto landlock = [](const json& c) {
      auto l = c.find("landlock");
      if (l == c.end() || !l->is_object()) return std::string("-");
      std::string out;
      for (const auto& v : array(*l, "versions"))
        out += (out.empty() ? "" : ",") + text(v, "policy") + "#" + std::to_string(v.value("policy_id", 0));
      return out.empty() ? std::string("-") : out;
    };
    // FILES BY: what decides the container's files (landlock alone: the
    // open exits are not needed for it).
    std::vector<std::vector<std::string>> lines = {{"ID", "POLICY", "FILES BY", "FILES BY LANDLOCK",
                                                    "SYSCALLS BY SECCOMP-NOTIFY", "SYSCALLS BY BPF-LSM",
                                                    "SYSCALLS BY TRACEPOINT-KILL", "SELECTED BY"}};
    for (const auto& c : containers)
      lines.push_back({text(c, "id"), text(c, "policy"), text(c, "files_by"), landlock(c),
                       syscalls(c, "seccomp-notify"), syscalls(c, "bpf-lsm"), syscalls(c, "tracepoint-kill"),
                       text(c, "selected_by")});
    print_table(lines);
  }

  if (json errors = array(st, "errors"); !errors.empty()) {
    std::printf("\nLast reload errors:\n");
    for (const auto& e : errors) std::printf("  %s\n", str(e).c_str());
  }
  return 0;
}

}  // namespace capsactl
