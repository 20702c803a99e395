#include "policy/policy_dir.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <optional>

#include "common/error.h"
#include "policy/parse.h"

namespace capsa::policy {
namespace {

bool is_policy_name(const std::string& n) {
  return !n.empty() && n[0] != '.' && (n.ends_with(".yaml") || n.ends_with(".yml"));
}

// Sorted so that "which file wins" on a conflict does not depend on readdir order.
std::vector<std::string> policy_files(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw_sys("open policy directory " + dir);
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (!is_policy_name(n)) continue;
    struct stat st;
    // stat, not lstat: a symlink to a policy (config management does that) counts.
    if (::stat((dir + "/" + n).c_str(), &st) == 0 && S_ISREG(st.st_mode)) names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

struct Claim {
  const Policy* policy;
  bool in_force;  // the version in force of a file whose new one is not (yet) accepted
};

// Why `p` may not join the policies claimed so far, or "" when it may.
std::string conflict(const Policy& p, const std::vector<Claim>& claims) {
  for (const auto& [o, in_force] : claims) {
    std::string where = o->source_file + (in_force ? " (its version in force)" : "");
    if (o->name == p.name) return "policy name \"" + p.name + "\" is already defined in " + where;
    if (p.is_default && o->is_default)
      return "policy \"" + p.name + "\" has default: true, but \"" + o->name + "\" in " + where +
             " already is the default";
  }
  return "";
}

}  // namespace

PolicyDirLoad load_policy_dir(const std::string& dir, const std::map<std::string, const Policy*>& in_force) {
  struct Loaded {
    std::string path;
    std::optional<Policy> policy;
    std::string error;
  };
  // Files with a version in force go first: a name or default they hold is
  // theirs until their new version is accepted, so a file rejected (and kept
  // at its version in force) never shares one with another.
  std::vector<Loaded> files;
  for (const auto& name : policy_files(dir)) files.push_back(Loaded{dir + "/" + name, std::nullopt, ""});
  std::stable_partition(files.begin(), files.end(), [&](const Loaded& l) { return in_force.count(l.path) > 0; });
  std::map<std::string, const Policy*> held;
  for (auto& l : files) {
    try {
      l.policy = load_policy_file(l.path);
    } catch (const Error& e) {
      l.error = e.what();
    }
    if (auto it = in_force.find(l.path); it != in_force.end() && it->second) held[l.path] = it->second;
  }
  PolicyDirLoad out;
  out.policies.reserve(files.size());  // accepted points into it
  std::vector<Claim> accepted;
  for (auto& l : files) {
    if (!l.policy) {
      out.errors.push_back(PolicyFileError{l.path, l.error});
      continue;
    }
    std::vector<Claim> claims = accepted;
    for (const auto& [path, p] : held)
      if (path != l.path) claims.push_back(Claim{p, true});
    if (std::string why = conflict(*l.policy, claims); !why.empty()) {
      out.errors.push_back(PolicyFileError{l.path, PolicyError(l.policy->loc, why).what()});
      continue;
    }
    held.erase(l.path);
    out.policies.push_back(std::move(*l.policy));
    accepted.push_back(Claim{&out.policies.back(), false});
  }
  std::sort(out.policies.begin(), out.policies.end(),
            [](const Policy& a, const Policy& b) { return a.source_file < b.source_file; });
  std::sort(out.errors.begin(), out.errors.end(),
            [](const PolicyFileError& a, const PolicyFileError& b) { return a.file < b.file; });
  return out;
}

}  // namespace capsa::policy
