#include "policy/landlock_rules.h"

#include <map>
#include <utility>

#include "common/error.h"

namespace capsa::policy {

namespace {

constexpr std::pair<const char*, uint8_t> kAccessWords[] = {
    {"read", kFileRead}, {"write", kFileWrite}, {"exec", kFileExec}, {"create", kFileCreate}, {"unlink", kFileUnlink}};

}  // namespace

std::string pattern_text(const PathPattern& p) { return p.prefix && p.path != "/" ? p.path + "/" : p.path; }

std::vector<LandlockDeny> landlock_denies(const Policy& policy) {
  if (!policy.files_landlock || policy.mode != Mode::Enforce) return {};
  std::map<std::pair<std::string, bool>, uint8_t> merged;
  for (const auto& r : policy.files) {
    if (r.action != Action::Deny && r.action != Action::Kill) continue;
    for (const auto& p : r.paths) merged[{p.path, p.prefix}] |= r.access;
  }
  std::vector<LandlockDeny> out;
  for (const auto& [key, access] : merged) out.push_back(LandlockDeny{PathPattern{key.first, key.second}, access});
  return out;
}

nlohmann::json landlock_denies_to_json(const std::vector<LandlockDeny>& denies) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : denies) {
    nlohmann::json words = nlohmann::json::array();
    for (const auto& [word, bit] : kAccessWords)
      if (d.access & bit) words.push_back(word);
    out.push_back({{"path", d.path.path}, {"prefix", d.path.prefix}, {"access", words}});
  }
  return out;
}

std::vector<LandlockDeny> landlock_denies_from_json(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_array()) throw Error(origin + ": expected a list of Landlock rules, got " + std::string(j.type_name()));
  std::vector<LandlockDeny> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    std::string at = origin + "[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("path") || !e["path"].is_string() || !e.contains("access") ||
        !e["access"].is_array())
      throw Error(at + ": expected {\"path\": string, \"prefix\": bool, \"access\": [words]}, got " + e.dump());
    LandlockDeny d;
    d.path.path = e["path"].get<std::string>();
    d.path.prefix = e.value("prefix", false);
    if (d.path.path.empty() || d.path.path[0] != '/' || d.path.path.find('\0') != std::string::npos)
      throw Error(at + ".path: \"" + d.path.path + "\" is not an absolute path");
    for (const auto& w : e["access"]) {
      uint8_t bit = 0;
      for (const auto& [word, b] : kAccessWords)
        if (w.is_string() && w.get<std::string>() == word) bit = b;
      if (!bit) throw Error(at + ".access: " + w.dump() + " is not one of read, write, exec, create, unlink");
      d.access |= bit;
    }
    if (!d.access) throw Error(at + ".access: empty");
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace capsa::policy
