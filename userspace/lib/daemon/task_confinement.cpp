#include "daemon/task_confinement.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "policy.h"

namespace capsa::daemon {

namespace {

constexpr long kPtraceTraceme = 0;
constexpr long kPtraceAttach = 16;
constexpr long kPtraceSeize = 0x4206;

std::string proc(pid_t pid) { return "/proc/" + std::to_string(pid); }

// The task's cgroup v2 path as capsad sees it ("" once it has exited).
std::string cgroup2_path(pid_t pid) {
  std::ifstream in(proc(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return "";
}

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

// The task behind the caller's pidfd `fd` (fdinfo's "Pid:", in capsad's
// pid namespace); 0 when it is none.
pid_t pidfd_target(pid_t caller, uint64_t fd) {
  std::ifstream in(proc(caller) + "/fdinfo/" + std::to_string(static_cast<int>(fd)));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Pid:", 0) == 0) return static_cast<pid_t>(std::strtol(line.c_str() + 4, nullptr, 10));
  return 0;
}

std::optional<TaskEscape> first_outside(pid_t caller, const std::vector<pid_t>& targets, uint8_t op, int sig) {
  // Most calls aim at the caller itself (raise, `kill -0 $$`): no /proc read.
  std::optional<std::string> own;
  for (pid_t t : targets) {
    if (t <= 0 || t == caller) continue;
    if (!own) own = cgroup2_path(caller);
    std::string theirs = cgroup2_path(t);
    if (!theirs.empty() && theirs != *own) return TaskEscape{t, op, sig};
  }
  return std::nullopt;
}

}  // namespace

std::set<uint32_t> task_confinement_syscalls() {
  return {SYS_kill,         SYS_tkill,          SYS_tgkill,           SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo,
          SYS_pidfd_send_signal, SYS_ptrace,    SYS_process_vm_readv, SYS_process_vm_writev, SYS_pidfd_getfd};
}

std::optional<TaskEscape> task_escape(pid_t caller, int nr, const uint64_t (&args)[6]) {
  auto pid_arg = [&](int i) { return static_cast<pid_t>(static_cast<int32_t>(args[i])); };
  auto sig_arg = [&](int i) { return static_cast<int>(args[i]); };
  switch (nr) {
    case SYS_kill: {
      pid_t pid = pid_arg(0);
      if (pid == -1) return TaskEscape{0, CAPSA_TASK_SIGNAL, sig_arg(1)};
      if (pid > 0) return first_outside(caller, {pid}, CAPSA_TASK_SIGNAL, sig_arg(1));
      pid_t pgid = pid == 0 ? static_cast<pid_t>(stat_field(caller, 5)) : -pid;
      return first_outside(caller, process_group(pgid), CAPSA_TASK_SIGNAL, sig_arg(1));
    }
    case SYS_tkill:
    case SYS_rt_sigqueueinfo:
      return first_outside(caller, {pid_arg(0)}, CAPSA_TASK_SIGNAL, sig_arg(1));
    case SYS_tgkill:
    case SYS_rt_tgsigqueueinfo:
      return first_outside(caller, {pid_arg(1)}, CAPSA_TASK_SIGNAL, sig_arg(2));
    case SYS_pidfd_send_signal:
      return first_outside(caller, {pidfd_target(caller, args[0])}, CAPSA_TASK_SIGNAL, sig_arg(1));
    case SYS_ptrace: {
      long request = static_cast<long>(args[0]);
      if (request == kPtraceAttach || request == kPtraceSeize)
        return first_outside(caller, {pid_arg(1)}, CAPSA_TASK_PTRACE, 0);
      if (request == kPtraceTraceme)
        return first_outside(caller, {static_cast<pid_t>(stat_field(caller, 4))}, CAPSA_TASK_PTRACE, 0);
      return std::nullopt;  // requests on a tracee already attached
    }
    case SYS_process_vm_readv:
    case SYS_process_vm_writev:
      return first_outside(caller, {pid_arg(0)}, CAPSA_TASK_PTRACE, 0);
    case SYS_pidfd_getfd:
      return first_outside(caller, {pidfd_target(caller, args[0])}, CAPSA_TASK_PTRACE, 0);
    default:
      return std::nullopt;
  }
}

bool in_our_pid_namespace(pid_t pid) {
  struct stat theirs{}, ours{};
  return ::stat((proc(pid) + "/ns/pid").c_str(), &theirs) == 0 && ::stat("/proc/self/ns/pid", &ours) == 0 &&
         theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev;
}

}  // namespace capsa::daemon
