#include "policy/policy_dir.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>

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

// Why `p` may not join the already loaded `have`, or "" when it may.
std::string conflict(const Policy& p, const std::vector<Policy>& have) {
  for (const auto& o : have) {
    if (o.name == p.name)
      return "policy name \"" + p.name + "\" is already defined in " + o.source_file;
    if (p.is_default && o.is_default)
      return "policy \"" + p.name + "\" has default: true, but \"" + o.name + "\" in " + o.source_file +
             " already is the default";
  }
  return "";
}

}  // namespace

PolicyDirLoad load_policy_dir(const std::string& dir) {
  PolicyDirLoad out;
  for (const auto& name : policy_files(dir)) {
    std::string path = dir + "/" + name;
    try {
      Policy p = load_policy_file(path);
      std::string why = conflict(p, out.policies);
      if (!why.empty()) throw PolicyError(p.loc, why);
      out.policies.push_back(std::move(p));
    } catch (const Error& e) {
      out.errors.push_back(PolicyFileError{path, e.what()});
    }
  }
  return out;
}

}  // namespace capsa::policy
