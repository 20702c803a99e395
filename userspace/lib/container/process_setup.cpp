#include "container/process_setup.h"

#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "common/capabilities.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "container/process_attrs.h"
#include "container/sync_channel.h"

namespace capsa::container {

namespace {

struct RlimitName {
  std::string_view name;
  int resource;
};
constexpr RlimitName kRlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

uint64_t cap_mask(const std::vector<std::string>& names, const char* field) {
  uint64_t mask = 0;
  for (const auto& n : names) {
    auto c = capability_from_name(n);
    if (!c) throw Error(std::string("process.capabilities.") + field + ": unknown capability " + n);
    mask |= uint64_t{1} << *c;
  }
  return mask;
}

int kernel_last_cap() {
  try {
    return std::stoi(read_file("/proc/sys/kernel/cap_last_cap"));
  } catch (...) {
    return last_known_capability();
  }
}

}  // namespace

void apply_sysctls(const spec::Spec& spec) {
  if (!spec.linux) return;
  for (const auto& [key, value] : spec.linux->sysctl) {
    std::string rel = key;
    for (auto& ch : rel)
      if (ch == '.') ch = '/';
    try {
      write_file("/proc/sys/" + rel, value);
    } catch (const Error& e) {
      throw Error("linux.sysctl[\"" + key + "\"]: " + e.what(), e.sys_errno());
    }
  }
}

void bring_up_loopback() {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) throw_sys("socket for loopback setup");
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0) throw_sys("get flags of lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0) throw_sys("bring up lo");
}

void apply_rlimits(const spec::Process& p) {
  for (size_t i = 0; i < p.rlimits.size(); ++i) {
    const auto& r = p.rlimits[i];
    std::string field = "process.rlimits[" + std::to_string(i) + "]";
    int resource = -1;
    for (const auto& k : kRlimits)
      if (k.name == r.type) resource = k.resource;
    if (resource < 0) throw Error(field + ".type: unknown rlimit " + r.type);
    struct rlimit lim {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (::setrlimit(resource, &lim) != 0) throw_sys(field + ": setrlimit " + r.type);
  }
}

void apply_oom_score_adj(const spec::Process& p) {
  if (!p.oom_score_adj) return;
  try {
    write_file("/proc/self/oom_score_adj", std::to_string(*p.oom_score_adj));
  } catch (const Error& e) {
    throw Error(std::string("process.oomScoreAdj: ") + e.what(), e.sys_errno());
  }
}

void apply_identity(const spec::Process& p) {
  const auto& u = p.user;
  const auto* caps = p.capabilities ? &*p.capabilities : nullptr;
  if (caps) {
    uint64_t bounding = cap_mask(caps->bounding, "bounding");
    int last = kernel_last_cap();
    for (int c = 0; c <= last; ++c) {
      if (bounding & (uint64_t{1} << c)) continue;
      if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
        throw_sys("process.capabilities.bounding: drop capability " + std::to_string(c));
    }
  }
  std::vector<gid_t> groups(u.additional_gids.begin(), u.additional_gids.end());
  if (::setgroups(groups.size(), groups.data()) != 0) throw_sys("process.user.additionalGids: setgroups");
  if (::setresgid(u.gid, u.gid, u.gid) != 0) throw_sys("process.user.gid: setresgid " + std::to_string(u.gid));
  // Keep the permitted set across the uid change; capset below trims it.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) throw_sys("prctl(PR_SET_KEEPCAPS)");
  if (::setresuid(u.uid, u.uid, u.uid) != 0) throw_sys("process.user.uid: setresuid " + std::to_string(u.uid));
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) throw_sys("prctl(PR_SET_KEEPCAPS)");
  if (caps) {
    uint64_t eff = cap_mask(caps->effective, "effective");
    uint64_t perm = cap_mask(caps->permitted, "permitted");
    uint64_t inh = cap_mask(caps->inheritable, "inheritable");
    struct __user_cap_header_struct hdr {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {};
    data[0].effective = static_cast<uint32_t>(eff);
    data[1].effective = static_cast<uint32_t>(eff >> 32);
    data[0].permitted = static_cast<uint32_t>(perm);
    data[1].permitted = static_cast<uint32_t>(perm >> 32);
    data[0].inheritable = static_cast<uint32_t>(inh);
    data[1].inheritable = static_cast<uint32_t>(inh >> 32);
    if (::syscall(SYS_capset, &hdr, data) != 0) throw_sys("process.capabilities: capset");
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
      throw_sys("process.capabilities.ambient: clear");
    for (const auto& name : caps->ambient) {
      int c = *capability_from_name(name);
      // Like runc: an ambient capability missing from the inheritable set
      // cannot be raised (EPERM) and is skipped rather than fatal.
      if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0 && errno != EPERM)
        throw_sys("process.capabilities.ambient: raise " + name);
    }
  }
  if (u.umask) ::umask(static_cast<mode_t>(*u.umask));
  if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw_sys("process.noNewPrivileges: prctl(PR_SET_NO_NEW_PRIVS)");
}

std::string env_path(const spec::Process& p) {
  for (const auto& e : p.env)
    if (e.rfind("PATH=", 0) == 0) return e.substr(5);
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

std::string find_executable(const std::string& name, const std::string& path_env) {
  auto executable = [](const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (executable(name)) return name;
    throw Error("exec: \"" + name + "\": " + errno_text(errno ? errno : ENOENT), ENOENT);
  }
  size_t start = 0;
  while (start <= path_env.size()) {
    size_t end = path_env.find(':', start);
    if (end == std::string::npos) end = path_env.size();
    std::string dir = path_env.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (executable(candidate)) return candidate;
    start = end + 1;
  }
  throw Error("exec: \"" + name + "\": executable file not found in $PATH", ENOENT);
}

// A pty from the container's own devpts instance, as the process's
// controlling terminal and stdio; the master goes to the runtime.
void setup_terminal(int sync_fd, const spec::Process& proc, bool bind_console) {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) throw_sys("process.terminal: open /dev/ptmx (needs a devpts mount with newinstance)");
  if (::unlockpt(master.get()) != 0) throw_sys("process.terminal: unlockpt");
  char name[64];
  if (::ptsname_r(master.get(), name, sizeof name) != 0) throw_sys("process.terminal: ptsname");
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) throw_sys(std::string("process.terminal: open ") + name);
  if (::fchown(slave.get(), proc.user.uid, proc.user.gid) != 0) throw_sys(std::string("process.terminal: chown ") + name);
  // /dev/console is the same terminal, as with runc.
  if (bind_console) {
    UniqueFd console(::open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (console && ::mount(name, "/dev/console", nullptr, MS_BIND, nullptr) != 0)
      throw_sys("process.terminal: bind the pty over /dev/console");
  }
  if (::setsid() < 0) throw_sys("process.terminal: setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) throw_sys("process.terminal: make the pty the controlling terminal");
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(slave.get(), fd) < 0) throw_sys("process.terminal: dup2");
  if (!send_with_fd(sync_fd, std::string(kSyncPty) + ":" + name, master.get()))
    throw Error("process.terminal: the runtime went away");
}

namespace {

void install_seccomp(int sync_fd, const SeccompFilter& filter) {
  int rc = filter.load();
  if (rc < 0) throw Error("linux.seccomp: load the filter: " + errno_text(-rc), -rc);
  if (!filter.uses_notify()) return;
  UniqueFd fd(filter.notify_fd());
  if (!fd) throw Error("linux.seccomp: the kernel gave no notify fd for SCMP_ACT_NOTIFY");
  if (!send_with_fd(sync_fd, kSyncSeccomp, fd.get())) throw Error("linux.seccomp: the runtime went away");
}

// After linux.seccomp's filter, so both apply (the kernel runs every filter
// and takes the strictest answer: the profile's errno or kill wins over
// capsad's notification).
void install_policy_filter(int sync_fd, const SeccompFilter& filter) {
  int rc = filter.load();
  if (rc < 0) throw Error("capsad's policy seccomp filter: load: " + errno_text(-rc), -rc);
  UniqueFd fd(filter.notify_fd());
  if (!fd) throw Error("capsad's policy seccomp filter: the kernel gave no listener");
  if (!send_with_fd(sync_fd, kSyncPolicyNotify, fd.get())) throw Error("capsad's policy seccomp filter: the runtime went away");
}

}  // namespace

LandlockRuleset reported_landlock_ruleset(int sync_fd, const LandlockPlan& plan, int grant_write_fd) {
  LandlockRuleset r = build_landlock_ruleset(plan, grant_write_fd);
  if (!sync_send(sync_fd, std::string(kSyncLandlock) + " " + r.summary().dump()))
    throw Error("runtime gone before the Landlock ruleset was installed");
  auto ack = sync_recv(sync_fd);
  if (!ack || *ack != kSyncLandlockAck) throw Error("runtime gone before capsad had the Landlock report");
  return r;
}

void become_process(int sync_fd, const spec::Process& p, const spec::Personality* personality,
                    const SeccompFilter* seccomp, const SeccompFilter* policy, const LandlockRuleset* landlock) {
  apply_rlimits(p);
  apply_oom_score_adj(p);
  // While still privileged: an RT class or policy and a negative nice need
  // capabilities the identity change may drop; and before the filter, which
  // may not allow these calls.
  if (personality) apply_personality(*personality);
  if (p.io_priority) apply_io_priority(*p.io_priority);
  if (p.scheduler) apply_scheduler(*p.scheduler);
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
  // identity change may drop; with it, as late as possible, as runc does.
  if (!p.no_new_privileges) {
    if (landlock) restrict_self(*landlock);
    if (seccomp) install_seccomp(sync_fd, *seccomp);
    if (policy) install_policy_filter(sync_fd, *policy);
  }
  apply_identity(p);
  if (::chdir(p.cwd.c_str()) != 0) throw_sys("process.cwd: chdir " + p.cwd);
  if (p.no_new_privileges) {
    if (landlock) restrict_self(*landlock);
    if (seccomp) install_seccomp(sync_fd, *seccomp);
    if (policy) install_policy_filter(sync_fd, *policy);
  }
}

void reset_signals() {
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
}

void close_fds_except(std::vector<int> keep) {
  keep.push_back(0);
  keep.push_back(1);
  keep.push_back(2);
  std::sort(keep.begin(), keep.end());
  unsigned int from = 0;
  for (int fd : keep) {
    if (fd < 0) continue;
    if (static_cast<unsigned>(fd) > from) ::syscall(SYS_close_range, from, fd - 1, 0);
    from = static_cast<unsigned>(fd) + 1;
  }
  ::syscall(SYS_close_range, from, ~0U, 0);
}

std::vector<int> preserved_fds(int count) {
  if (count < 0) throw Error("--preserve-fds: expected a count of 0 or more, got " + std::to_string(count));
  std::vector<int> out;
  for (int fd = 3; fd < 3 + count; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0)
      throw Error("--preserve-fds " + std::to_string(count) + ": fd " + std::to_string(fd) + " is not open", EBADF);
    out.push_back(fd);
  }
  return out;
}

std::vector<char*> exec_vector(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

bool keep_across_exec(const std::vector<int>& fds) noexcept {
  bool all = true;
  for (int fd : fds) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0 || ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) != 0) all = false;
  }
  return all;
}

}  // namespace capsa::container
