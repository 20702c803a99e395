#include "container/landlock_ruleset.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <utility>

#include "common/error.h"
#include "common/file_util.h"
#include "common/mountinfo.h"
#include "container/path_resolve.h"

// Rights of later ABIs than the build host's headers may know.
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

namespace capsa::container {

namespace {

constexpr uint64_t kMake = LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                           LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                           LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
// The rights a rule on a non-directory may carry (the kernel refuses others).
constexpr uint64_t kFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
                                 LANDLOCK_ACCESS_FS_IOCTL_DEV;

// Only the first field: the kernel takes a shorter struct as "the rest zero",
// so this works on every ABI whatever the headers' struct holds.
struct RulesetAttr {
  uint64_t handled_access_fs;
};

uint64_t rights_of(uint8_t access, bool dir, int abi) {
  uint64_t r = 0;
  if (access & policy::kFileRead) r |= LANDLOCK_ACCESS_FS_READ_FILE | (dir ? LANDLOCK_ACCESS_FS_READ_DIR : 0);
  if (access & policy::kFileWrite)
    r |= LANDLOCK_ACCESS_FS_WRITE_FILE | (abi >= 3 ? LANDLOCK_ACCESS_FS_TRUNCATE : 0);
  if (access & policy::kFileExec) r |= LANDLOCK_ACCESS_FS_EXECUTE;
  if (access & policy::kFileCreate) r |= kMake;
  if (access & policy::kFileUnlink) r |= LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR;
  return r;
}

// What a read-only mount refuses anyway: never granted on one, as the
// grant names the inode, which a host descriptor may reach through a
// writable mount of the same file system.
constexpr uint64_t kWriteRights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | kMake |
                                  LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR;

// Every file access the kernel's Landlock ABI can refuse.
uint64_t all_rights(int abi) {
  uint64_t r = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
               LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | kMake;
  if (abi >= 2) r |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) r |= LANDLOCK_ACCESS_FS_TRUNCATE;
  if (abi >= 5) r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
  return r;
}

// The denied paths as a tree of their real (symlink-free) components.
struct Node {
  std::map<std::string, Node> kids;
  uint64_t deny = 0;   // refused at and beneath this node
  uint64_t below = 0;  // refused somewhere strictly beneath it
};

uint64_t fold_below(Node& n) {
  n.below = 0;
  for (auto& [name, kid] : n.kids) n.below |= kid.deny | fold_below(kid);
  return n.below;
}

// The mounts the caller sees (those beneath its root); nullopt without /proc.
std::optional<std::vector<MountInfo>> mounts_seen() {
  try {
    auto text = read_file_if_exists("/proc/self/mountinfo");
    if (!text) return std::nullopt;
    return parse_mountinfo(*text);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// The mount a directory entry (or the directory itself, name "") is on.
uint64_t mount_id(int dir_fd, const char* name) {
  struct statx stx {};
  int flags = AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH);
  if (::statx(dir_fd, name, flags, STATX_MNT_ID, &stx) != 0 || !(stx.stx_mask & STATX_MNT_ID)) return 0;
  return stx.stx_mnt_id;
}

const MountInfo* mount_by_id(const std::vector<MountInfo>& mounts, uint64_t id) {
  auto m = std::find_if(mounts.begin(), mounts.end(), [&](const MountInfo& x) { return x.id == id; });
  return id && m != mounts.end() ? &*m : nullptr;
}

// A mount of a file system the host has mounted, with mounts of its own
// beneath it (a shared sysfs and its masked paths): what those cover can be
// read through the host's mount by a host descriptor, under a grant there.
bool covers_host_mounts(const std::vector<MountInfo>& mounts, const MountInfo& m, const std::set<dev_t>& host) {
  return host.count(m.dev) && std::any_of(mounts.begin(), mounts.end(), [&](const MountInfo& x) {
           return x.mount_point.size() > m.mount_point.size() && x.mount_point.rfind(m.mount_point + "/", 0) == 0;
         });
}

bool read_only_mount(int fd) {
  struct statvfs sv {};
  return ::fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

class Builder {
public:
  Builder(LandlockRuleset& out, const std::set<dev_t>& host_devices, const std::vector<MountInfo>& mounts)
      : out_(out), host_devices_(host_devices), mounts_(mounts) {}

  void grant(int fd, uint64_t rights, bool dir, const std::string& path) {
    rights &= out_.handled & (dir ? ~0ULL : kFileRights);
    if (out_.confine_root && read_only_mount(fd)) rights &= ~kWriteRights;
    if (!rights) return;
    landlock_path_beneath_attr attr{};
    attr.allowed_access = rights;
    attr.parent_fd = fd;
    if (::syscall(SYS_landlock_add_rule, out_.fd.get(), LANDLOCK_RULE_PATH_BENEATH, &attr, 0) != 0)
      throw_sys("Landlock ruleset of policy " + out_.policy + ": grant beneath " + (path.empty() ? "/" : path));
    ++out_.grants;
  }

  // Grants `rights` beneath every entry of the directory `dir_fd` (at
  // `path`), except what `node` denies, recursing along the routes to it.
  void distribute(const Node& node, int dir_fd, const std::string& path, uint64_t rights) {
    int list_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (list_fd < 0) throw_sys("Landlock ruleset of policy " + out_.policy + ": list " + (path.empty() ? "/" : path));
    DIR* d = ::fdopendir(list_fd);
    if (!d) {
      int err = errno;
      ::close(list_fd);
      throw_sys("Landlock ruleset of policy " + out_.policy + ": list " + (path.empty() ? "/" : path), err);
    }
    uint64_t here = out_.confine_root ? mount_id(dir_fd, "") : 0;
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(d);
    for (const auto& name : names) {
      std::string at = path + "/" + name;
      UniqueFd fd(::openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) {
        if (errno == ENOENT) continue;  // removed since listed
        throw_sys("Landlock ruleset of policy " + out_.policy + ": open " + at);
      }
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0) throw_sys("Landlock ruleset of policy " + out_.policy + ": stat " + at);
      // Access through a symlink is checked on its target, granted where it lies.
      if (S_ISLNK(st.st_mode)) continue;
      bool dir = S_ISDIR(st.st_mode);
      auto kid = node.kids.find(name);
      if (out_.confine_root && here) {
        uint64_t id = mount_id(dir_fd, name.c_str());
        const MountInfo* m = id == here ? nullptr : mount_by_id(mounts_, id);
        if (id != here && (!m || covers_host_mounts(mounts_, *m, host_devices_)))
          out_.root_gaps.push_back(at + " (a mount of a file system the host has mounted, with mounts beneath it)");
      }
      if (kid == node.kids.end()) {
        grant(fd.get(), rights, dir, at);
        continue;
      }
      uint64_t r = rights & ~kid->second.deny;
      uint64_t deeper = dir ? r & kid->second.below : 0;
      grant(fd.get(), r & ~deeper, dir, at);
      if (deeper) distribute(kid->second, fd.get(), at, deeper);
    }
  }

private:
  LandlockRuleset& out_;
  const std::set<dev_t>& host_devices_;
  const std::vector<MountInfo>& mounts_;
};

}  // namespace

nlohmann::json LandlockRuleset::summary() const {
  return {{"policy", policy},   {"abi", abi},         {"root", confine_root}, {"root_gaps", root_gaps},
          {"grants", grants},   {"skipped", skipped}, {"build_us", build_us}};
}

std::set<dev_t> host_mounted_devices() {
  auto mounts = mounts_seen();
  if (!mounts) throw_sys("read /proc/self/mountinfo");
  std::set<dev_t> out;
  for (const auto& m : *mounts) out.insert(m.dev);
  return out;
}

int landlock_abi() {
  long v = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return v < 0 ? 0 : static_cast<int>(v);
}

LandlockRuleset build_landlock_ruleset(const LandlockPlan& plan, int grant_write_fd) {
  auto t0 = std::chrono::steady_clock::now();
  LandlockRuleset out;
  out.policy = plan.policy;
  out.log = plan.log;
  out.confine_root = plan.confine_root;
  const std::string what = "Landlock ruleset of policy " + plan.policy;
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 0)
    throw_sys(what + " (spec.files.landlock: true): this kernel has no Landlock (CONFIG_SECURITY_LANDLOCK, "
                     "\"landlock\" in lsm=)");
  out.abi = static_cast<int>(abi);

  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_sys(what + ": open /");
  // Landlock rules name inodes and are checked along the path a file is
  // reached by: a denied file with another name (a hard link, a second
  // mount of its file system) reached by that name is granted by whatever
  // covers it there. The BPF tier keys on the inode and still refuses.
  std::vector<MountInfo> seen;
  std::map<dev_t, int> mounts;
  if (plan.confine_root) {
    if (auto m = mounts_seen())
      seen = std::move(*m);
    else
      out.root_gaps.push_back("/proc/self/mountinfo (unreadable: the container's mounts are unknown)");
    for (const auto& m : seen) ++mounts[m.dev];
  }
  Node tree;
  for (const auto& d : plan.denies) {
    std::string written = policy::pattern_text(d.path);
    // Landlock rules name inodes: the real path, symlinks resolved inside "/".
    std::string real = secure_join("", d.path.path);
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root.get(), real.empty() ? "." : real.c_str(), &how, sizeof how)));
    if (!fd) {
      if (errno == ENOENT || errno == ENOTDIR) {
        out.skipped.push_back(written);
        continue;
      }
      throw_sys(what + ": open " + written + (real != d.path.path ? " (" + real + ")" : ""));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_sys(what + ": stat " + written);
    uint64_t rights = rights_of(d.access, S_ISDIR(st.st_mode), out.abi);
    const MountInfo* on = plan.confine_root ? mount_by_id(seen, mount_id(fd.get(), "")) : nullptr;
    if (plan.confine_root && ((!S_ISDIR(st.st_mode) && st.st_nlink > 1) || !on || mounts[on->dev] > 1))
      out.root_gaps.push_back(written + " (denied, but reachable by another name: a hard link, or another mount of "
                                        "its file system)");
    Node* n = &tree;
    for (size_t i = 1; i < real.size();) {
      size_t j = real.find('/', i);
      if (j == std::string::npos) j = real.size();
      n = &n->kids[real.substr(i, j - i)];
      i = j + 1;
    }
    n->deny |= rights;
    out.handled |= rights;
  }
  if (plan.confine_root) out.handled |= all_rights(out.abi);
  if (!out.handled) return out;  // every path skipped: nothing to refuse
  fold_below(tree);
  // Without REFER handled, every ruleset refuses linking or renaming into
  // another directory (EXDEV); handled and granted everywhere, the kernel
  // refuses only moves that would gain access.
  if (out.abi >= 2) out.handled |= LANDLOCK_ACCESS_FS_REFER;

  RulesetAttr attr{out.handled};
  out.fd.reset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0)));
  if (!out.fd) throw_sys(what + ": landlock_create_ruleset (ABI " + std::to_string(out.abi) + ")");
  Builder b(out, plan.host_devices, seen);
  if (out.abi >= 2) b.grant(root.get(), LANDLOCK_ACCESS_FS_REFER, true, "/");
  uint64_t rights = out.handled & ~LANDLOCK_ACCESS_FS_REFER & ~tree.deny;
  b.grant(root.get(), rights & ~tree.below, true, "/");
  b.distribute(tree, root.get(), "", rights & tree.below);
  // Write rights were not granted on read-only mounts above (a read-only
  // root, or a read-only mount on a route): each writable mount gets them
  // beneath itself, less what the rules deny there.
  if (plan.confine_root)
    for (const auto& m : seen) {
      if (m.read_only() || m.mount_point == "/" || m.mount_point.empty() || m.mount_point[0] != '/') continue;
      if (covers_host_mounts(seen, m, plan.host_devices))
        out.root_gaps.push_back(m.mount_point + " (a mount of a file system the host has mounted, with mounts beneath it)");
      uint64_t denied = tree.deny;
      const Node* n = &tree;
      for (size_t i = 1; n && i < m.mount_point.size();) {
        size_t j = m.mount_point.find('/', i);
        if (j == std::string::npos) j = m.mount_point.size();
        auto k = n->kids.find(m.mount_point.substr(i, j - i));
        n = k == n->kids.end() ? nullptr : &k->second;
        if (n) denied |= n->deny;
        i = j + 1;
      }
      uint64_t w = kWriteRights & ~denied & ~(n ? n->below : 0);
      open_how how{};
      how.flags = O_PATH | O_CLOEXEC;
      how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
      UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root.get(), m.mount_point.c_str() + 1, &how, sizeof how)));
      if (!fd) continue;  // gone since, or behind a symlink: nothing to grant
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0) continue;
      b.grant(fd.get(), w, S_ISDIR(st.st_mode), m.mount_point);
    }
  if (grant_write_fd >= 0) b.grant(grant_write_fd, LANDLOCK_ACCESS_FS_WRITE_FILE, false, "the exec fifo");
  out.build_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
  return out;
}

void restrict_self(const LandlockRuleset& ruleset) {
  if (!ruleset.fd) return;
  // Landlock logs (to audit) what the process that installed a ruleset is
  // refused, not what the program it then executes is, unless asked. For
  // capsad --landlock-events (ABI 7) it is asked, and the domains the
  // container stacks on capsa's log nothing, so that what capsad reads was
  // refused by capsa's ruleset, not made up by the container. Otherwise
  // Landlock's defaults stand.
  constexpr unsigned kLogNewExecOn = 1u << 1;      // LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON
  constexpr unsigned kLogSubdomainsOff = 1u << 2;  // LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF
  unsigned flags = ruleset.log && ruleset.abi >= 7 ? kLogNewExecOn | kLogSubdomainsOff : 0u;
  if (::syscall(SYS_landlock_restrict_self, ruleset.fd.get(), flags) != 0)
    throw_sys("Landlock ruleset of policy " + ruleset.policy + ": landlock_restrict_self (ABI " +
              std::to_string(ruleset.abi) + ")");
}

}  // namespace capsa::container
