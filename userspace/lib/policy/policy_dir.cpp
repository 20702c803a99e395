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

PolicyDirLoad load_policy_dir(const std::string& dir, const std::map<std::string, const Policy*>& in_force,
                              const std::function<void(const Policy&)>& check) {
  struct Loaded {
    std::string path;
    std::optional<Policy> policy;
    std::string error;
  };
  std::vector<Loaded> files;
  for (const auto& name : policy_files(dir)) files.push_back(Loaded{dir + "/" + name, std::nullopt, ""});
  // A name or default a version in force holds stays its file's until that
  // file's new version is accepted: a file that is rejected (and so kept at
  // its version in force) never shares one with another.
  std::map<std::string, const Policy*> held;
  for (auto& l : files) {
    try {
      Policy p = load_policy_file(l.path);
      if (check) check(p);
      l.policy = std::move(p);
    } catch (const std::exception& e) {
      l.error = e.what();
    }
    if (auto it = in_force.find(l.path); it != in_force.end() && it->second) held[l.path] = it->second;
  }
  PolicyDirLoad out;
  out.policies.reserve(files.size());  // accepted points into it
  std::vector<Claim> accepted;
  auto why_not = [&](const Loaded& l) {
    std::vector<Claim> claims = accepted;
    for (const auto& [path, p] : held)
      if (path != l.path) claims.push_back(Claim{p, true});
    return conflict(*l.policy, claims);
  };
  // Passes until none accepts more: a file waits for the one whose version
  // in force holds its name to give it up, in whichever order they sort.
  std::vector<Loaded*> waiting;
  for (auto& l : files) {
    if (l.policy) waiting.push_back(&l);
    else out.errors.push_back(PolicyFileError{l.path, l.error});
  }
  for (bool progress = true; progress;) {
    progress = false;
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (!why_not(**it).empty()) {
        ++it;
        continue;
      }
      held.erase((*it)->path);
      out.policies.push_back(std::move(*(*it)->policy));
      accepted.push_back(Claim{&out.policies.back(), false});
      it = waiting.erase(it);
      progress = true;
    }
  }
  for (Loaded* l : waiting) out.errors.push_back(PolicyFileError{l->path, PolicyError(l->policy->loc, why_not(*l)).what()});
  std::sort(out.policies.begin(), out.policies.end(),
            [](const Policy& a, const Policy& b) { return a.source_file < b.source_file; });
  std::sort(out.errors.begin(), out.errors.end(),
            [](const PolicyFileError& a, const PolicyFileError& b) { return a.file < b.file; });
  return out;
}

}  // namespace capsa::policy
