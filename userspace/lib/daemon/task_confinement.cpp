#include "daemon/task_confinement.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "policy.h"

namespace capsa::daemon {

namespace {

constexpr long kPtraceTraceme = 0;
constexpr long kPtraceAttach = 16;
constexpr long kPtraceSeize = 0x4206;
constexpr unsigned kPidfdThread = O_EXCL;  // PIDFD_THREAD (Linux 6.9)

std::string proc(pid_t pid) { return "/proc/" + std::to_string(pid); }

// Field `index` (1-based, as in proc(5)) of /proc/PID/stat; 0 when gone.
long stat_field(pid_t pid, int index) {
  std::ifstream in(proc(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');  // comm may hold spaces and parentheses
  if (close == std::string::npos) return 0;
  const char* p = text.c_str() + close + 1;
  for (int field = 3; field < index; ++field) {
    while (*p == ' ') ++p;
    while (*p && *p != ' ') ++p;
  }
  return std::strtol(p, nullptr, 10);
}

std::vector<pid_t> process_group(pid_t pgid) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end || pid <= 0) continue;
    if (stat_field(static_cast<pid_t>(pid), 5) == pgid) out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(d);
  return out;
}

// What a routed call aims at, before any cgroup is read.
struct Aim {
  std::vector<pid_t> tasks;    // by pid or tid
  std::vector<pid_t> groups;   // process groups, by id
  bool every = false;          // kill(-1)
  bool unknown = false;        // a descriptor that names no task
  bool host_pids = false;      // ids read by capsad itself (a descriptor's owner), whatever the caller's namespace
  uint8_t op = CAPSA_TASK_SIGNAL;
  int signal = 0;
};

constexpr int kPidfdSignalProcessGroup = 4;

// An int or f_owner_ex the caller passes by pointer, read from its memory
// (nullopt when unreadable: the call is refused whole).
template <typename T>
std::optional<T> caller_value(pid_t caller, uint64_t address) {
  T v{};
  iovec local{&v, sizeof v}, remote{reinterpret_cast<void*>(address), sizeof v};
  if (::process_vm_readv(caller, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(sizeof v)) return std::nullopt;
  return v;
}

// F_SETOWN's and FIOSETOWN's number: a process, or a process group negated.
void owner_aim(Aim& a, pid_t who) {
  if (who > 0)
    a.tasks = {who};
  else if (who < 0 && who != INT32_MIN)  // INT_MIN: EINVAL
    a.groups = {-who};
}

// A character device a terminal driver serves, as the kernel lists them
// (/proc/tty/drivers: name, node, major, minors): no ioctl goes to a
// driver not known to be a terminal's (a CUSE one in the container).
bool is_terminal_device(dev_t rdev) {
  std::ifstream in("/proc/tty/drivers");
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string name, node, minors;
    unsigned maj = 0;
    if (!(f >> name >> node >> maj >> minors) || maj != major(rdev)) continue;
    unsigned lo = 0, hi = 0;
    int n = std::sscanf(minors.c_str(), "%u-%u", &lo, &hi);
    if (n == 1) hi = lo;
    if (n >= 1 && minor(rdev) >= lo && minor(rdev) <= hi) return true;
  }
  return false;
}

// Whether process `pid` holds the file (device, inode) open.
bool holds(pid_t pid, dev_t dev, ino_t ino) {
  std::string dir = proc(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  bool found = false;
  while (dirent* e = ::readdir(d)) {
    struct stat st {};
    if (e->d_name[0] == '.' || ::stat((dir + "/" + e->d_name).c_str(), &st) != 0) continue;
    if (st.st_dev == dev && st.st_ino == ino) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

// The foreground process group the kernel makes a terminal descriptor's
// owner as O_ASYNC goes on (tty_fasync): the terminal's, or the caller
// (0) when it has none. For /dev/tty, the caller's controlling terminal's.
// Otherwise as the processes whose controlling terminal it is report it
// (/proc/PID/stat tty_nr, tpgid); device numbers repeat across devpts
// instances (a container's /dev/pts/0 and the host's), so a process counts
// only if it holds the same terminal file open. -1: cannot tell.
pid_t tty_foreground_group(pid_t caller, int copy, const struct statx& stx) {
  dev_t rdev = makedev(stx.stx_rdev_major, stx.stx_rdev_minor);
  if (rdev == makedev(5, 0)) return std::max<pid_t>(0, static_cast<pid_t>(stat_field(caller, 8)));
  if (rdev == makedev(5, 2)) return 0;  // a pty master: no foreground group, the caller is made the owner
  unsigned int real = 0;
  if (::ioctl(copy, TIOCGDEV, &real) != 0) return -1;
  if (major(real) == 5) return -1;  // the console
  dev_t file_dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
  DIR* d = ::opendir("/proc");
  if (!d) return -1;
  pid_t found = 0;
  bool candidates = false;
  while (dirent* e = ::readdir(d)) {
    char* end;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end || pid <= 0) continue;
    auto nr = static_cast<unsigned long>(stat_field(static_cast<pid_t>(pid), 7));
    unsigned maj = (nr >> 8) & 0xfff, min = (nr & 0xff) | ((nr >> 12) & 0xfff00);
    if (nr == 0 || maj != major(real) || min != minor(real)) continue;
    candidates = true;
    if (!holds(static_cast<pid_t>(pid), file_dev, stx.stx_ino)) continue;
    long tpgid = stat_field(static_cast<pid_t>(pid), 8);
    if (tpgid > 0) {
      found = static_cast<pid_t>(tpgid);
      break;
    }
  }
  ::closedir(d);
  return found || !candidates ? found : -1;
}

// Whom a descriptor's signals reach once the caller turns O_ASYNC on or
// picks their signal (F_SETSIG): the owner already set, by anyone (a host
// process that set it before the descriptor reached the container
// included), or, for a terminal with none, its foreground process group,
// which the kernel makes the owner as O_ASYNC goes on (tty_fasync), with no
// owner-setting call to judge. Read through a copy of the caller's
// descriptor (pidfd_getfd), so the ids are capsad's. Nothing here may block
// on the container: no fstat that asks a FUSE server, no ioctl to a driver
// not known to be a terminal's.
void file_owner_aim(Aim& a, pid_t caller, uint64_t fd, bool turning_async_on) {
  a.host_pids = true;
  int pidfd = thread_pidfd(caller);
  if (pidfd < 0) {
    a.unknown = true;
    return;
  }
  int copy = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, static_cast<int>(fd), 0));
  ::close(pidfd);
  if (copy < 0) {
    a.unknown = true;  // closed now, another descriptor there by the time the call runs
    return;
  }
  int flags = ::fcntl(copy, F_GETFL);
  f_owner_ex owner{};
  struct statx stx {};
  if (turning_async_on && flags >= 0 && (flags & O_ASYNC)) {
    // Already on: the call changes nothing.
  } else if (::fcntl(copy, F_GETOWN_EX, &owner) == 0 && owner.pid > 0) {
    if (owner.type == F_OWNER_PGRP)
      a.groups = {owner.pid};
    else
      a.tasks = {owner.pid};
  } else if (turning_async_on &&
             ::statx(copy, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO, &stx) == 0 &&
             S_ISCHR(stx.stx_mode) && is_terminal_device(makedev(stx.stx_rdev_major, stx.stx_rdev_minor))) {
    pid_t g = tty_foreground_group(caller, copy, stx);
    if (g < 0)
      a.unknown = true;
    else if (g > 0)
      a.groups = {g};
  }
  if (turning_async_on)
    if (int sig = ::fcntl(copy, F_GETSIG); sig > 0) a.signal = sig;
  ::close(copy);
}

std::optional<Aim> aim_of(pid_t caller, int nr, const uint64_t (&args)[6]) {
  auto pid_arg = [&](int i) { return static_cast<pid_t>(static_cast<int32_t>(args[i])); };
  auto sig_arg = [&](int i) { return static_cast<int>(args[i]); };
  Aim a;
  switch (nr) {
    case SYS_kill: {
      pid_t pid = pid_arg(0);
      a.signal = sig_arg(1);
      if (pid == -1)
        a.every = true;
      else if (pid > 0)
        a.tasks = {pid};
      else if (pid == 0)
        a.groups = {static_cast<pid_t>(stat_field(caller, 5))};
      else if (pid != INT32_MIN)  // the kernel answers ESRCH to that one
        a.groups = {-pid};
      return a;
    }
    case SYS_tkill:
    case SYS_rt_sigqueueinfo:
      a.tasks = {pid_arg(0)};
      a.signal = sig_arg(1);
      return a;
    case SYS_tgkill:
    case SYS_rt_tgsigqueueinfo:
      a.tasks = {pid_arg(1)};
      a.signal = sig_arg(2);
      return a;
    case SYS_pidfd_send_signal:
    case SYS_pidfd_getfd: {
      bool signal = nr == SYS_pidfd_send_signal;
      a.op = signal ? CAPSA_TASK_SIGNAL : CAPSA_TASK_PTRACE;
      a.signal = signal ? sig_arg(1) : 0;
      auto t = pidfd_target(caller, args[0]);
      if (!t)
        a.unknown = true;
      else if (signal && (args[3] & kPidfdSignalProcessGroup))
        a.groups = {static_cast<pid_t>(stat_field(*t, 5))};
      else
        a.tasks = {*t};
      return a;
    }
    case SYS_ptrace: {
      long request = static_cast<long>(args[0]);
      a.op = CAPSA_TASK_PTRACE;
      if (request == kPtraceAttach || request == kPtraceSeize)
        a.tasks = {pid_arg(1)};
      else if (request == kPtraceTraceme)
        a.tasks = {static_cast<pid_t>(stat_field(caller, 4))};
      else
        return std::nullopt;  // requests on a tracee already attached
      return a;
    }
    case SYS_process_vm_readv:
    case SYS_process_vm_writev:
      a.op = CAPSA_TASK_PTRACE;
      a.tasks = {pid_arg(0)};
      return a;
    // Setting a descriptor's owner names the task that SIGIO (or F_SETSIG's
    // signal) will reach on I/O, with no kill call of its own.
    case SYS_fcntl: {
      a.signal = SIGIO;
      auto cmd = static_cast<uint32_t>(args[1]);
      if (cmd == F_SETOWN) {
        owner_aim(a, pid_arg(2));
      } else if (cmd == F_SETOWN_EX) {
        auto owner = caller_value<f_owner_ex>(caller, args[2]);
        if (!owner)
          a.unknown = true;
        else if (owner->type == F_OWNER_PGRP && owner->pid > 0)
          a.groups = {owner->pid};
        else if (owner->pid > 0)
          a.tasks = {owner->pid};
      } else if (cmd == F_SETSIG) {
        a.signal = args[2] ? static_cast<int>(args[2]) : SIGIO;
        file_owner_aim(a, caller, args[0], false);
      } else if (cmd == F_SETFL && (args[2] & O_ASYNC)) {
        file_owner_aim(a, caller, args[0], true);
      } else {
        return std::nullopt;
      }
      return a;
    }
    case SYS_ioctl: {
      auto cmd = static_cast<uint32_t>(args[1]);
      a.signal = SIGIO;
      if (cmd == FIOASYNC) {
        // Judged whatever the value: another thread may turn a 0 into a 1
        // before the kernel reads it.
        file_owner_aim(a, caller, args[0], true);
        return a;
      }
      if (cmd != FIOSETOWN && cmd != SIOCSPGRP) return std::nullopt;
      auto who = caller_value<int>(caller, args[2]);
      if (!who)
        a.unknown = true;
      else
        owner_aim(a, *who);
      return a;
    }
    default:
      return std::nullopt;
  }
}

bool same_thread_group(pid_t caller, pid_t t) {
  return ::access((proc(caller) + "/task/" + std::to_string(t)).c_str(), F_OK) == 0;
}

// Field `name` of /proc/PID/status, its last number (NSpid, NStgid: the id
// in the task's own pid namespace).
pid_t status_last(pid_t pid, const std::string& name) {
  std::ifstream in(proc(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name + ":", 0) == 0) {
      auto sp = line.find_last_of(" \t");
      return static_cast<pid_t>(std::strtol(line.c_str() + sp + 1, nullptr, 10));
    }
  return 0;
}

}  // namespace

std::optional<pid_t> pidfd_target(pid_t holder, uint64_t fd) {
  std::ifstream in(proc(holder) + "/fdinfo/" + std::to_string(static_cast<int>(fd)));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Pid:", 0) == 0) return static_cast<pid_t>(std::strtol(line.c_str() + 4, nullptr, 10));
  return std::nullopt;
}

std::set<uint32_t> task_confinement_syscalls() {
  return {SYS_kill,         SYS_tkill,          SYS_tgkill,           SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo,
          SYS_pidfd_send_signal, SYS_ptrace,    SYS_process_vm_readv, SYS_process_vm_writev, SYS_pidfd_getfd};
}

std::vector<container::SeccompArgRoute> task_confinement_arg_routes() {
  std::vector<uint32_t> setown = {F_SETOWN, F_SETOWN_EX};
  std::vector<container::SeccompArgRoute> out = {
      {"fcntl", 1, setown}, {"fcntl64", 1, setown}, {"ioctl", 1, {FIOSETOWN, SIOCSPGRP}}};
  for (auto& r : signal_owner_arg_routes()) out.push_back(std::move(r));
  return out;
}

std::vector<container::SeccompArgRoute> signal_owner_arg_routes() {
  std::vector<container::SeccompArgRoute> out;
  for (const char* fcntl : {"fcntl", "fcntl64"}) {
    out.push_back({fcntl, 1, {F_SETSIG}});
    out.push_back({fcntl, 1, {F_SETFL}, 2, O_ASYNC});
  }
  out.push_back({"ioctl", 1, {FIOASYNC}});
  return out;
}

std::set<uint32_t> task_confinement_judged() {
  auto out = task_confinement_syscalls();
  out.insert(SYS_fcntl);
  out.insert(SYS_ioctl);
  return out;
}

namespace {

std::optional<TaskEscape> escape_by_cgroup(pid_t caller, const std::optional<Aim>& a, const SameContainer& same) {
  if (a->every || a->unknown) return TaskEscape{0, a->op, a->signal};
  std::vector<pid_t> tasks = a->tasks;
  for (pid_t g : a->groups) {
    if (g <= 0) continue;  // the caller's group could not be read: it has gone
    auto members = process_group(g);
    tasks.insert(tasks.end(), members.begin(), members.end());
  }
  // Most calls aim at the caller's own process (raise, abort, `kill -0 $$`,
  // a runtime's preemption signals): no cgroup is read for those.
  std::optional<std::string> own;
  for (pid_t t : tasks) {
    if (t <= 0 || t == caller || same_thread_group(caller, t)) continue;
    if (!own) own = cgroup2_path(caller);
    std::string theirs = cgroup2_path(t);
    if (!theirs.empty() && theirs != *own && !(same && same(*own, theirs))) return TaskEscape{t, a->op, a->signal};
  }
  return std::nullopt;
}

}  // namespace

std::optional<TaskEscape> task_escape(pid_t caller, int nr, const uint64_t (&args)[6], const SameContainer& same) {
  auto a = aim_of(caller, nr, args);
  if (!a) return std::nullopt;
  return escape_by_cgroup(caller, a, same);
}

std::optional<TaskEscape> task_escape_elsewhere(pid_t caller, int nr, const uint64_t (&args)[6],
                                                const SameContainer& same) {
  auto a = aim_of(caller, nr, args);
  if (!a) return std::nullopt;
  if (a->host_pids) return escape_by_cgroup(caller, a, same);
  pid_t own_tid = status_last(caller, "NSpid"), own_tgid = status_last(caller, "NStgid");
  bool only_self = !a->every && !a->unknown && a->groups.empty();
  if (nr == SYS_pidfd_send_signal || nr == SYS_pidfd_getfd) only_self = false;  // fdinfo's pid is ours, not theirs
  for (pid_t t : a->tasks)
    if (t != own_tid && t != own_tgid) only_self = false;
  if (only_self) return std::nullopt;
  return TaskEscape{0, a->op, a->signal};
}

std::string cgroup2_path(pid_t pid) {
  std::ifstream in(proc(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return "";
}

pid_t thread_group_of(pid_t tid) {
  std::ifstream in(proc(tid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Tgid:", 0) == 0) return static_cast<pid_t>(std::strtol(line.c_str() + 5, nullptr, 10));
  return tid;
}

int thread_pidfd(pid_t tid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, tid, kPidfdThread));
  if (fd < 0 && errno == EINVAL) fd = static_cast<int>(::syscall(SYS_pidfd_open, thread_group_of(tid), 0));
  return fd;
}

bool in_our_pid_namespace(pid_t pid) {
  struct stat theirs{}, ours{};
  return ::stat((proc(pid) + "/ns/pid").c_str(), &theirs) == 0 && ::stat("/proc/self/ns/pid", &ours) == 0 &&
         theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev;
}

}  // namespace capsa::daemon
