#include "container/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/error.h"
#include "common/file_util.h"
#include "common/mountinfo.h"
#include "common/unique_fd.h"
#include "container/idmapped_mount.h"
#include "container/mount_options.h"
#include "container/path_resolve.h"
#include "container/tmpfs_copyup.h"

namespace capsa::container {

namespace {

void do_mount(const std::string& src, const std::string& target, const char* fstype,
              unsigned long flags, const std::string& data, const std::string& what) {
  if (::mount(src.empty() ? nullptr : src.c_str(), target.c_str(), fstype, flags,
              data.empty() ? nullptr : data.c_str()) != 0)
    throw_sys(what);
}

// Mount flags of an existing mount: a bind remount must repeat the locked ones
// (nosuid, nodev, ...) or the kernel refuses it.
unsigned long current_mount_flags(const std::string& path) {
  struct statvfs sv;
  if (::statvfs(path.c_str(), &sv) != 0) return 0;
  unsigned long flags = 0;
  if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

void set_root_propagation(const std::string& propagation) {
  unsigned long flags = MS_SLAVE | MS_REC;  // runc's default: host unmounts still reach us
  if (!propagation.empty()) {
    auto opts = parse_mount_options({propagation}, "linux.rootfsPropagation");
    flags = opts.propagation;
  }
  // Shared propagation would make pivot_root fail and leak our mounts to the host.
  if (flags & MS_SHARED) flags = MS_SLAVE | MS_REC;
  do_mount("", "/", nullptr, flags, "", "set propagation of / ");
}

// "/a//b/./c/" -> "/a/b/c"; ".." is left to secure_join, which also
// resolves it, so a path with ".." never compares equal.
std::string lexically_clean(const std::string& path) {
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (!part.empty() && part != ".") out += "/" + part;
    i = j + 1;
  }
  return out;
}

bool is_dir_source(const std::string& src) {
  struct stat st;
  return ::stat(src.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Binds source on `where` (an fd path for dest). Flags such as ro or nosuid
// need a second, remounting call, which repeats the locked flags already on
// the mount and goes through a fresh fd: the first still names the covered
// directory, not the new mount.
// An id-mapped mount's tree (tree_fd) was cloned and mapped by the runtime:
// it is moved into place instead.
void bind_and_remount(const RootfsPlan& plan, const std::string& source, const std::string& where,
                      const std::string& dest, bool as_file, bool recursive, unsigned long remount_flags,
                      const std::string& field, const std::string& shown, int tree_fd = -1) {
  if (tree_fd >= 0)
    attach_idmapped_tree(tree_fd, where, field, shown);
  else
    do_mount(source, where, nullptr, MS_BIND | (recursive ? MS_REC : 0), "", field + ": bind " + source + " on " + shown);
  if (!remount_flags) return;
  auto mounted = open_mount_target(plan.rootfs, dest, as_file);
  do_mount("", fd_path(mounted.get()), nullptr, MS_REMOUNT | MS_BIND | remount_flags | current_mount_flags(dest), "",
           field + ": remount " + shown + " with its options");
}

// rro, rnosuid, ...: one mount_setattr over the whole tree now at dest, so
// submounts an rbind brought along get them too (plain "ro" stops at the top
// mount). Through a fresh fd: the one we mounted on names the covered
// directory, not the new mount.
void set_recursive_attrs(const RootfsPlan& plan, const std::string& dest, bool as_file, const MountOptions& opts,
                         const std::string& field, const std::string& shown) {
  if (!opts.has_rec_attr()) return;
  auto mounted = open_mount_target(plan.rootfs, dest, as_file);
  struct mount_attr attr {};
  attr.attr_set = opts.rec_attr_set;
  attr.attr_clr = opts.rec_attr_clr;
  if (::mount_setattr(mounted.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
    throw_sys(field + ": set the recursive mount options on " + shown + " (mount_setattr)");
}

void mount_cgroup(const spec::Mount& m, const MountOptions& opts, const RootfsPlan& plan,
                  const std::string& field) {
  std::string dest = secure_join(plan.rootfs, m.destination);
  unsigned long flags = opts.flags & ~MS_REMOUNT;
  bool has_v1 = false;
  for (const auto& c : plan.cgroup_mounts) has_v1 = has_v1 || !c.subdir.empty();
  // Inside a user namespace the kernel refuses cgroup mounts; the container
  // sees its own cgroup directories instead, as under runc.
  auto mount_hierarchy = [&](const CgroupFsMount& c, const std::string& target, const std::string& shown) {
    auto fd = open_mount_target(plan.rootfs, target, false);
    if (!plan.in_user_ns) {
      do_mount("cgroup", fd_path(fd.get()), c.fstype.c_str(), flags, c.options,
               field + ": mount " + c.fstype + (c.options.empty() ? "" : " (" + c.options + ")") + " on " + shown);
      return;
    }
    if (c.own_dir.empty()) return;  // no directory of ours in this hierarchy
    bind_and_remount(plan, c.own_dir, fd_path(fd.get()), target, false, true, flags & MS_RDONLY, field, shown);
  };
  if (!has_v1) {
    for (const auto& c : plan.cgroup_mounts) mount_hierarchy(c, dest, m.destination);
    return;
  }
  // v1 or hybrid: a tmpfs holding one mount per hierarchy, as on the host.
  {
    auto fd = open_mount_target(plan.rootfs, dest, false);
    do_mount("tmpfs", fd_path(fd.get()), "tmpfs", (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
             "mode=755", field + ": mount tmpfs on " + m.destination);
  }
  for (const auto& c : plan.cgroup_mounts) mount_hierarchy(c, dest + "/" + c.subdir, m.destination + "/" + c.subdir);
  if (flags & MS_RDONLY) {
    auto fd = open_mount_target(plan.rootfs, dest, false);
    do_mount("", fd_path(fd.get()), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | current_mount_flags(dest),
             "", field + ": remount " + m.destination + " read-only");
  }
}

// sysfs needs a network namespace owned by the container's user namespace;
// without one the kernel refuses it and the host's /sys is bound instead, as
// runc does.
void mount_sysfs_in_user_ns(const std::string& where, const std::string& dest, const RootfsPlan& plan,
                            const MountOptions& opts, const std::string& field, const std::string& shown) {
  if (::mount("sysfs", where.c_str(), "sysfs", opts.flags & ~MS_REMOUNT, nullptr) == 0) return;
  if (errno != EPERM) throw_sys(field + ": mount sysfs");
  bind_and_remount(plan, "/sys", where, dest, false, true, opts.flags & kBindRemountable, field, shown);
}

void mount_one(const spec::Mount& m, size_t index, const RootfsPlan& plan) {
  std::string field = "mounts[" + std::to_string(index) + "] (" + m.destination + ")";
  auto opts = parse_mount_options(m.options, field);
  bool bind = opts.bind || m.type == "bind";
  if (m.type == "cgroup" && !bind) {
    mount_cgroup(m, opts, plan, field);
    set_recursive_attrs(plan, secure_join(plan.rootfs, m.destination), false, opts, field, m.destination);
    return;
  }

  std::string source = m.source;
  if (bind && !source.empty() && source[0] != '/') source = plan.bundle + "/" + source;
  if (bind && !path_exists(source)) throw Error(field + ": bind source " + source + ": No such file or directory", ENOENT);

  std::string dest = secure_join(plan.rootfs, m.destination);
  // A /proc or /sys reached through a symlink would put the real one
  // elsewhere, out of reach of maskedPaths and readonlyPaths
  // (CVE-2019-16884, CVE-2023-27561): refused, as runc does.
  if (!bind && (m.type == "proc" || m.type == "sysfs") && dest != plan.rootfs + lexically_clean(m.destination))
    throw Error(field + ": " + m.type + " must be mounted on a real directory, but " + m.destination +
                " goes through a symlink in the rootfs (to " + dest.substr(plan.rootfs.size()) + ")");
  if (opts.copy_up && (bind || m.type != "tmpfs"))
    throw Error(field + ": mount option \"tmpcopyup\" applies to tmpfs mounts only, not to " +
                (bind ? std::string("bind mounts") : "type \"" + m.type + "\""));
  auto target = open_mount_target(plan.rootfs, dest, bind && !is_dir_source(source));
  std::string where = fd_path(target.get());
  // Opened before the tmpfs covers it: the fd still reaches what it held.
  UniqueFd covered;
  if (opts.copy_up) {
    covered = UniqueFd(::openat(target.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!covered) throw_sys(field + ": tmpcopyup: open " + m.destination);
  }

  if (bind) {
    auto tree = plan.idmapped_mounts.find(index);
    bind_and_remount(plan, source, where, dest, !is_dir_source(source), opts.recursive, opts.flags & kBindRemountable,
                     field, m.destination, tree == plan.idmapped_mounts.end() ? -1 : tree->second);
  } else if (m.type == "sysfs" && plan.in_user_ns) {
    mount_sysfs_in_user_ns(where, dest, plan, opts, field, m.destination);
  } else {
    std::string src = m.source.empty() ? m.type : m.source;
    unsigned long flags = opts.flags & ~MS_REMOUNT;
    // A read-only copy-up tmpfs is filled first, then made read-only.
    if (covered) flags &= ~MS_RDONLY;
    do_mount(src, where, m.type.c_str(), flags, opts.data, field + ": mount " + m.type + " on " + m.destination);
    if (covered) {
      auto fresh = open_mount_target(plan.rootfs, dest, false);
      UniqueFd root(::openat(fresh.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!root) throw_sys(field + ": tmpcopyup: open the new tmpfs on " + m.destination);
      copy_tree_into_tmpfs(covered.get(), root.get(), field);
      if (opts.flags & MS_RDONLY)
        do_mount("", fd_path(fresh.get()), nullptr, MS_REMOUNT | (opts.flags & ~MS_REMOUNT), "",
                 field + ": remount the copied-up tmpfs on " + m.destination + " read-only");
    }
  }
  set_recursive_attrs(plan, dest, bind && !is_dir_source(source), opts, field, m.destination);
  if (opts.propagation) {
    auto mounted = open_mount_target(plan.rootfs, dest, bind && !is_dir_source(source));
    do_mount("", fd_path(mounted.get()), nullptr, opts.propagation, "",
             field + ": set propagation");
  }
}

struct DefaultDevice {
  const char* path;
  unsigned major, minor;
};
constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3}, {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

// A user namespace may not mknod: the host's node at the same path is
// bind-mounted onto an empty file instead, as runc does.
void bind_host_device(const std::string& rootfs, const std::string& path, const std::string& field) {
  std::string host = secure_join(rootfs, path);
  make_dirs(host.substr(0, host.rfind('/')));
  ::unlink(host.c_str());
  UniqueFd f(::open(host.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000));
  if (!f) throw_sys(field + ": create the mount point for " + path);
  do_mount(path, fd_path(f.get()), nullptr, MS_BIND, "", field + ": bind the host's " + path + " (no mknod in a user namespace)");
}

void make_device(const std::string& rootfs, const std::string& path, mode_t type, unsigned major,
                 unsigned minor, mode_t mode, uid_t uid, gid_t gid, const std::string& field) {
  std::string host = secure_join(rootfs, path);
  make_dirs(host.substr(0, host.rfind('/')));
  ::unlink(host.c_str());
  if (::mknod(host.c_str(), type | mode, ::makedev(major, minor)) != 0) throw_sys(field + ": mknod " + path);
  if (::chmod(host.c_str(), mode) != 0) throw_sys(field + ": chmod " + path);
  if (::chown(host.c_str(), uid, gid) != 0) throw_sys(field + ": chown " + path);
}

void populate_dev(const spec::Spec& spec, const std::string& rootfs, bool in_user_ns) {
  for (const auto& d : kDefaultDevices) {
    if (in_user_ns)
      bind_host_device(rootfs, d.path, "default device");
    else
      make_device(rootfs, d.path, S_IFCHR, d.major, d.minor, 0666, 0, 0, "default device");
  }
  if (spec.linux) {
    for (size_t i = 0; i < spec.linux->devices.size(); ++i) {
      const auto& d = spec.linux->devices[i];
      if (in_user_ns) {
        bind_host_device(rootfs, d.path, "linux.devices[" + std::to_string(i) + "]");
        continue;
      }
      mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
      make_device(rootfs, d.path, type, static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor),
                  d.file_mode.value_or(0666) & 07777, d.uid.value_or(0), d.gid.value_or(0),
                  "linux.devices[" + std::to_string(i) + "]");
    }
  }
  struct Link {
    const char* target;
    const char* path;
  };
  constexpr Link links[] = {{"/proc/self/fd", "/dev/fd"},   {"/proc/self/fd/0", "/dev/stdin"},
                            {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
                            {"pts/ptmx", "/dev/ptmx"},      {"/proc/kcore", "/dev/core"}};
  for (const auto& l : links) {
    std::string host = rootfs + l.path;
    if (path_exists(host)) continue;
    if (::symlink(l.target, host.c_str()) != 0) throw_sys(std::string("symlink ") + l.path);
  }
}

bool has_dev_tmpfs(const spec::Spec& spec) {
  for (const auto& m : spec.mounts)
    if (m.destination == "/dev" && m.type == "tmpfs") return true;
  return false;
}

// --no-pivot (a rootfs on ramfs, where pivot_root fails): the host's other
// mounts are detached first, then the rootfs is moved over "/" and chrooted
// into, as runc does. Weaker than pivot_root: the old root stays beneath.
void move_into(const std::string& rootfs) {
  std::vector<std::string> others;
  for (const auto& m : parse_mountinfo(read_file("/proc/self/mountinfo"))) {
    const std::string& point = m.mount_point;
    if (point == "/" || point == rootfs || point.rfind(rootfs + "/", 0) == 0) continue;
    others.push_back(point);
  }
  // Deepest first; a mount already gone with its parent is not an error.
  for (auto it = others.rbegin(); it != others.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
  if (::chdir(rootfs.c_str()) != 0) throw_sys("chdir " + rootfs);
  if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) != 0) throw_sys("--no-pivot: move " + rootfs + " over /");
  if (::chroot(".") != 0) throw_sys("--no-pivot: chroot " + rootfs);
  if (::chdir("/") != 0) throw_sys("chdir /");
}

void pivot_into(const std::string& rootfs) {
  if (::chdir(rootfs.c_str()) != 0) throw_sys("chdir " + rootfs);
  // pivot_root(".", ".") stacks the old root on top of the new one; detaching
  // it leaves only the rootfs, with no directory for the old root needed.
  if (::syscall(SYS_pivot_root, ".", ".") != 0) throw_sys("pivot_root " + rootfs);
  if (::umount2(".", MNT_DETACH) != 0) throw_sys("detach the host root");
  if (::chdir("/") != 0) throw_sys("chdir /");
}

void mask_path(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;  // nothing there to hide
  if (S_ISDIR(st.st_mode)) {
    do_mount("tmpfs", path, "tmpfs", MS_RDONLY, "", "maskedPaths: mount tmpfs over " + path);
  } else if (!S_ISLNK(st.st_mode)) {
    do_mount("/dev/null", path, nullptr, MS_BIND, "", "maskedPaths: bind /dev/null over " + path);
  }
}

void make_readonly(const std::string& path, const std::string& field) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) return;
  do_mount(path, path, nullptr, MS_BIND | MS_REC, "", field + ": bind " + path);
  do_mount("", path, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | current_mount_flags(path), "",
           field + ": remount " + path + " read-only");
}

}  // namespace

void prepare_rootfs(const spec::Spec& spec, const RootfsPlan& plan, const std::function<void()>& before_pivot) {
  set_root_propagation(spec.linux ? spec.linux->rootfs_propagation : "");
  // pivot_root needs the new root to be a mount point.
  try {
    do_mount(plan.rootfs, plan.rootfs, nullptr, MS_BIND | MS_REC, "", "bind the rootfs " + plan.rootfs);
  } catch (const Error& e) {
    if (!plan.in_user_ns || e.sys_errno() != EACCES) throw;
    throw Error(std::string(e.what()) + " (with a user namespace, every directory up to the rootfs must be "
                "searchable by the container's root, as under runc)", EACCES);
  }
  for (size_t i = 0; i < spec.mounts.size(); ++i) mount_one(spec.mounts[i], i, plan);
  if (has_dev_tmpfs(spec)) populate_dev(spec, plan.rootfs, plan.in_user_ns);
  if (before_pivot) before_pivot();
  if (plan.no_pivot)
    move_into(plan.rootfs);
  else
    pivot_into(plan.rootfs);
}

void finish_rootfs(const spec::Spec& spec) {
  if (spec.linux) {
    for (const auto& p : spec.linux->masked_paths) mask_path(p);
    for (const auto& p : spec.linux->readonly_paths) make_readonly(p, "linux.readonlyPaths");
    const auto& prop = spec.linux->rootfs_propagation;
    if (prop == "shared" || prop == "rshared")
      do_mount("", "/", nullptr, MS_SHARED | MS_REC, "", "linux.rootfsPropagation: make / shared");
  }
  if (spec.root.readonly)
    do_mount("", "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | current_mount_flags("/"), "",
             "root.readonly: remount / read-only");
}

}  // namespace capsa::container
