// Commands on policy files. They need only the files, so they also run (and
// are useful in CI) where no capsad runs; apply and delete then ask capsad,
// when there is one, to reload.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "capsactl.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "policy/compiler.h"
#include "policy/parse.h"
#include "policy/policy_dir.h"

namespace capsactl {

namespace {

using capsa::Error;
namespace policy = capsa::policy;

// A file that parsed and compiled, with the bytes that were checked: apply
// installs those, not whatever the file holds by the time it copies.
struct Checked {
  std::string path;
  std::string text;
  policy::Policy policy;
};

std::string base_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// The names capsad reads from its directory (policy/policy_dir.cpp).
bool is_policy_file_name(const std::string& n) {
  return !n.empty() && n[0] != '.' && (n.ends_with(".yaml") || n.ends_with(".yml"));
}

std::string plural(size_t n, const std::string& word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

// Parses and compiles one file, printing the verdict; nullopt when it is bad.
// Compiling matters: it is what finds limits of the kernel side.
std::optional<Checked> check_file(const std::string& path) {
  try {
    std::string text = capsa::read_file(path);
    auto p = policy::parse_policy(text, path);
    auto compiled = policy::compile_policy(p, 1);  // the id is capsad's business
    // The section defaults are listed as rules too (events name them), but
    // the author did not write them.
    size_t written = std::count_if(compiled.rules.begin(), compiled.rules.end(),
                                   [](const auto& r) { return r.first < CAPSA_RULE_DEFAULT_BASE; });
    std::printf("%s: ok: policy %s (%s)\n", path.c_str(), p.name.c_str(), plural(written, "rule").c_str());
    std::fflush(stdout);
    for (const auto& [kind, reason] : compiled.unenforced)
      std::fprintf(stderr, "%s: warning: %s rules are not enforced on this host: %s\n", path.c_str(), kind.c_str(),
                   reason.c_str());
    return Checked{path, std::move(text), std::move(p)};
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return std::nullopt;
  }
}

// Why `p` may not sit beside `other` in one directory, or "". capsad refuses
// the later file of such a pair, so apply refuses to write it.
std::string clash(const policy::Policy& p, const policy::Policy& other, const std::string& other_file) {
  if (p.name == other.name)
    return "policy name \"" + p.name + "\" is already defined in " + other_file +
           " (apply the new version under that file name, or delete that policy first)";
  if (p.is_default && other.is_default)
    return "policy \"" + p.name + "\" has default: true, but \"" + other.name + "\" in " + other_file +
           " already is the default";
  return "";
}

// The checks that need the whole set: the given files among themselves and
// against what the directory already holds (files they replace aside).
bool check_together(const std::string& dir, const std::vector<Checked>& files) {
  std::set<std::string> replaced;
  for (const auto& c : files) replaced.insert(base_name(c.path));
  std::vector<policy::Policy> staying;
  if (capsa::path_exists(dir)) {
    // Files there that do not load are not ours to judge: capsad reports them.
    for (auto& p : policy::load_policy_dir(dir).policies)
      if (!replaced.count(base_name(p.source_file))) staying.push_back(std::move(p));
  }
  bool ok = true;
  std::map<std::string, std::string> source_of;  // destination name -> the file given for it
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& c = files[i];
    auto [first, fresh] = source_of.emplace(base_name(c.path), c.path);
    if (!fresh) {
      std::fprintf(stderr, "%s: has the same file name as %s: both would be installed as %s/%s\n", c.path.c_str(),
                   first->second.c_str(), dir.c_str(), first->first.c_str());
      ok = false;
      continue;
    }
    std::string why;
    for (const auto& s : staying)
      if (why.empty()) why = clash(c.policy, s, s.source_file);
    for (size_t j = 0; j < i && why.empty(); ++j) why = clash(c.policy, files[j].policy, files[j].path);
    if (!why.empty()) {
      std::fprintf(stderr, "%s\n", policy::PolicyError(c.policy.loc, why).what());
      ok = false;
    }
  }
  return ok;
}

void write_all(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) capsa::throw_sys("write " + path);
    off += static_cast<size_t>(n);
  }
}

// Writes and fsyncs `tmp`; removes it again on failure.
void stage(const std::string& tmp, const std::string& text) {
  capsa::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) capsa::throw_sys("create " + tmp);
  try {
    write_all(fd.get(), text, tmp);
    // Our umask must not make a policy unreadable to whoever audits it.
    if (::fchmod(fd.get(), 0644) != 0) capsa::throw_sys("chmod " + tmp);
    if (::fsync(fd.get()) != 0) capsa::throw_sys("fsync " + tmp);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

// So that the renames and unlinks survive a crash, not just the file contents.
void sync_dir(const std::string& dir) {
  capsa::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) capsa::throw_sys("fsync " + dir);
}

// Every file is staged under a dotfile name capsad ignores before the first
// rename, so a full disk or an I/O error leaves the directory as it was, and
// capsad never reads a half-written policy.
void install(const std::string& dir, const std::vector<Checked>& files) {
  std::vector<std::string> staged;
  try {
    for (const auto& c : files) {
      std::string tmp = dir + "/." + base_name(c.path) + ".tmp";
      stage(tmp, c.text);
      staged.push_back(tmp);
    }
  } catch (...) {
    for (const auto& t : staged) ::unlink(t.c_str());
    throw;
  }
  for (size_t i = 0; i < files.size(); ++i) {
    std::string dest = dir + "/" + base_name(files[i].path);
    if (::rename(staged[i].c_str(), dest.c_str()) != 0) {
      int err = errno;
      for (size_t j = i; j < staged.size(); ++j) ::unlink(staged[j].c_str());
      throw Error("rename " + staged[i] + " to " + dest + ": " + capsa::errno_text(err) +
                      (i ? " (the files before it were installed)" : ""),
                  err);
    }
    std::printf("applied policy %s: %s\n", files[i].policy.name.c_str(), dest.c_str());
  }
  sync_dir(dir);
}

// The policy files of `dir` as capsad sees them, sorted.
std::vector<std::string> policy_files(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) capsa::throw_sys("open policy directory " + dir);
  std::vector<std::string> out;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    struct stat st;
    if (is_policy_file_name(n) && ::stat((dir + "/" + n).c_str(), &st) == 0 && S_ISREG(st.st_mode))
      out.push_back(dir + "/" + n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

int policy_validate(const Options&, const std::vector<std::string>& files) {
  bool ok = true;
  for (const auto& f : files) ok = check_file(f).has_value() && ok;
  return ok ? 0 : 1;
}

int policy_apply(const Options& o, const std::vector<std::string>& files) {
  std::vector<Checked> good;
  bool ok = true;
  for (const auto& f : files) {
    auto c = check_file(f);
    if (!c) {
      ok = false;
    } else if (!is_policy_file_name(base_name(f))) {
      std::fprintf(stderr, "%s: capsad reads only *.yaml and *.yml files whose name does not start with \".\": "
                           "rename the file\n", f.c_str());
      ok = false;
    } else {
      good.push_back(std::move(*c));
    }
  }
  if (ok) ok = check_together(o.policy_dir, good);
  if (!ok) throw Error("nothing applied to " + o.policy_dir + ": fix the errors above");
  capsa::make_dirs(o.policy_dir, 0755);
  install(o.policy_dir, good);
  std::fflush(stdout);
  return reload_after_change(o);
}

int policy_delete(const Options& o, const std::string& name) {
  std::vector<std::string> matches, unparsed;
  for (const auto& path : policy_files(o.policy_dir)) {
    try {
      if (policy::load_policy_file(path).name == name) matches.push_back(path);
    } catch (const Error&) {
      unparsed.push_back(path);
    }
  }
  if (matches.empty())
    throw Error("no policy named \"" + name + "\" in " + o.policy_dir +
                (unparsed.empty() ? "" : " (files that do not parse, so their name is unknown: " + join(unparsed) + ")"));
  // Every file with that name goes: capsad would load a remaining one as the policy.
  for (const auto& path : matches) {
    if (::unlink(path.c_str()) != 0) capsa::throw_sys("remove " + path);
    std::printf("deleted policy %s: %s\n", name.c_str(), path.c_str());
  }
  sync_dir(o.policy_dir);
  std::fflush(stdout);
  return reload_after_change(o);
}

}  // namespace capsactl
