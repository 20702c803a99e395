#include "container/namespace_join.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "common/error.h"

namespace capsa::container {

namespace {

const char* clone_flag_name(int type) {
  switch (type) {
    case CLONE_NEWPID: return "pid";
    case CLONE_NEWNET: return "network";
    case CLONE_NEWNS: return "mount";
    case CLONE_NEWIPC: return "ipc";
    case CLONE_NEWUTS: return "uts";
    case CLONE_NEWCGROUP: return "cgroup";
    case CLONE_NEWUSER: return "user";
    case CLONE_NEWTIME: return "time";
  }
  return "unknown";
}

ino_t inode_of(const char* path) {
  struct stat st;
  return ::stat(path, &st) == 0 ? st.st_ino : 0;
}

}  // namespace

int clone_flag(spec::NamespaceType t) {
  switch (t) {
    case spec::NamespaceType::Pid: return CLONE_NEWPID;
    case spec::NamespaceType::Network: return CLONE_NEWNET;
    case spec::NamespaceType::Mount: return CLONE_NEWNS;
    case spec::NamespaceType::Ipc: return CLONE_NEWIPC;
    case spec::NamespaceType::Uts: return CLONE_NEWUTS;
    case spec::NamespaceType::Cgroup: return CLONE_NEWCGROUP;
    case spec::NamespaceType::User: return CLONE_NEWUSER;
    case spec::NamespaceType::Time: return CLONE_NEWTIME;
  }
  return 0;
}

std::vector<NamespaceToJoin> open_namespaces_to_join(const spec::Spec& spec, const std::string& origin) {
  std::vector<NamespaceToJoin> out;
  if (!spec.linux) return out;
  for (size_t i = 0; i < spec.linux->namespaces.size(); ++i) {
    const auto& ns = spec.linux->namespaces[i];
    if (ns.path.empty()) continue;
    NamespaceToJoin j;
    j.field = "linux.namespaces[" + std::to_string(i) + "].path";
    std::string where = origin + ": " + j.field;
    j.path = ns.path;
    j.type = clone_flag(ns.type);
    j.fd = UniqueFd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!j.fd) throw_sys(where + ": open " + ns.path);
    // Without this check a wrong file would only fail in setns, inside the
    // half-made container, with a bare EINVAL.
    int actual = ::ioctl(j.fd.get(), NS_GET_NSTYPE);
    if (actual < 0) {
      if (errno == ENOTTY)
        throw Error(where + ": " + ns.path + " is not a namespace file (expected /proc/PID/ns/" +
                        (ns.type == spec::NamespaceType::Network ? "net"
                         : ns.type == spec::NamespaceType::Mount ? "mnt"
                                                                 : spec::to_string(ns.type)) +
                        " or a bind mount of one)",
                    EINVAL);
      throw_sys(where + ": ioctl(NS_GET_NSTYPE) on " + ns.path);
    }
    if (actual != j.type)
      throw Error(where + ": " + ns.path + " is a " + clone_flag_name(actual) + " namespace, but the entry's type is " +
                      spec::to_string(ns.type),
                  EINVAL);
    // The kernel refuses to "join" the user namespace one is already in.
    if (j.type == CLONE_NEWUSER) {
      struct stat st;
      if (::fstat(j.fd.get(), &st) == 0 && st.st_ino == inode_of("/proc/self/ns/user"))
        throw Error(where + ": " + ns.path + " is the runtime's own user namespace, which cannot be joined "
                    "(leave the user namespace out of linux.namespaces instead)", EINVAL);
    }
    out.push_back(std::move(j));
  }
  return out;
}

void join_namespaces(const std::vector<std::pair<int, int>>& ns) {
  std::vector<bool> joined(ns.size(), false);
  auto pass = [&](bool user) {
    for (size_t i = 0; i < ns.size(); ++i) {
      auto [fd, type] = ns[i];
      if (joined[i] || (type == CLONE_NEWUSER) != user) continue;
      if (::setns(fd, type) == 0) {
        joined[i] = true;
        continue;
      }
      // EPERM may clear once the user namespace is joined; anything else will not.
      if (errno != EPERM || user) throw_sys(std::string("setns into the ") + clone_flag_name(type) + " namespace");
    }
  };
  pass(false);
  pass(true);
  pass(false);
  std::string refused;
  for (size_t i = 0; i < ns.size(); ++i)
    if (!joined[i]) refused += std::string(refused.empty() ? "" : ", ") + clone_flag_name(ns[i].second);
  if (!refused.empty())
    throw Error("setns: not permitted to join the " + refused + " namespace(s), before or after the user namespace",
                EPERM);
}

}  // namespace capsa::container
