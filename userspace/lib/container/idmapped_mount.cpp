#include "container/idmapped_mount.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "container/id_maps.h"

namespace capsa::container {

namespace {

// A child parked in a new user namespace until the guard goes: its ns/user
// fd outlives it and keeps the namespace.
class ParkedUserns {
public:
  ParkedUserns() {
    int ready[2], hold[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) throw_sys("pipe for an id-mapping user namespace");
    ready_.reset(ready[0]);
    UniqueFd ready_w(ready[1]);
    if (::pipe2(hold, O_CLOEXEC) != 0) throw_sys("pipe for an id-mapping user namespace");
    UniqueFd hold_r(hold[0]);
    hold_.reset(hold[1]);
    pid_ = ::fork();
    if (pid_ < 0) throw_sys("fork for an id-mapping user namespace");
    if (pid_ == 0) {
      hold_.reset();
      ready_.reset();
      if (::unshare(CLONE_NEWUSER) != 0) ::_exit(1);
      ready_w.reset();  // EOF: unshared
      char c;
      while (::read(hold_r.get(), &c, 1) < 0 && errno == EINTR) {
      }
      ::_exit(0);
    }
    ready_w.reset();
    char c;
    ssize_t n;
    while ((n = ::read(ready_.get(), &c, 1)) < 0 && errno == EINTR) {
    }
  }
  ~ParkedUserns() {
    hold_.reset();
    if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
  }
  ParkedUserns(const ParkedUserns&) = delete;
  ParkedUserns& operator=(const ParkedUserns&) = delete;
  pid_t pid() const { return pid_; }

private:
  UniqueFd ready_, hold_;
  pid_t pid_ = -1;
};

UniqueFd userns_with(const spec::Mount& m, const std::string& field) {
  ParkedUserns child;
  write_id_maps(child.pid(), m.uid_mappings, m.gid_mappings, field + ".uidMappings", field + ".gidMappings");
  std::string ns = "/proc/" + std::to_string(child.pid()) + "/ns/user";
  UniqueFd fd(::open(ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_sys(field + ": open " + ns);
  return fd;
}

bool is_bind_recursive(const spec::Mount& m) {
  for (const auto& o : m.options)
    if (o == "rbind") return true;
  return false;
}

}  // namespace

IdmappedTrees prepare_idmapped_mounts(const spec::Spec& spec, const std::string& bundle, const std::string& origin) {
  IdmappedTrees out;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const auto& m = spec.mounts[i];
    if (!m.idmap) continue;
    std::string field = origin + ": mounts[" + std::to_string(i) + "]";
    std::string source = m.source;
    if (!source.empty() && source[0] != '/') source = bundle + "/" + source;
    unsigned int clone_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (is_bind_recursive(m) ? AT_RECURSIVE : 0);
    UniqueFd tree(::open_tree(AT_FDCWD, source.c_str(), clone_flags));
    if (!tree) throw_sys(field + " (" + m.destination + "): clone the tree of " + source + " (open_tree)");
    UniqueFd userns = userns_with(m, field);
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(userns.get());
    unsigned int flags = AT_EMPTY_PATH | (m.idmap_recursive ? AT_RECURSIVE : 0);
    if (::mount_setattr(tree.get(), "", flags, &attr, sizeof attr) != 0) {
      int err = errno;
      std::string why = err == EINVAL ? " (does the file system of " + source + " support id-mapped mounts?)" : "";
      throw Error(field + " (" + m.destination + "): id-map the mount of " + source + why + ": " + errno_text(err), err);
    }
    out.by_mount_index[i] = tree.get();
    out.fds.push_back(std::move(tree));
  }
  return out;
}

void attach_idmapped_tree(int tree_fd, const std::string& where, const std::string& field, const std::string& shown) {
  // `where` is a /proc/self/fd magic link: followed (T_SYMLINKS) as mount(2)
  // follows it, or the link itself would be the target.
  if (::move_mount(tree_fd, "", AT_FDCWD, where.c_str(), MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS) != 0)
    throw_sys(field + ": move the id-mapped mount onto " + shown + " (move_mount)");
}

}  // namespace capsa::container
