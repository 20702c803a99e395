#include "daemon/fd_keeper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/file_util.h"
#include "container/sync_channel.h"
#include "state/process_probe.h"

namespace capsa::daemon {

namespace {

constexpr const char* kPublish = "publish";  // capsad -> keeper: rewrite the manifest

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// A copy of the manifest's keeper, or nullopt when there is none alive.
struct PreviousKeeper {
  pid_t pid;
  UniqueFd pidfd;
  nlohmann::json manifest;
};
std::optional<PreviousKeeper> find_keeper(const std::string& state_root) {
  std::string path = fd_keeper_manifest(state_root);
  if (!path_exists(path)) return std::nullopt;
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_file(path));
    pid_t pid = m.at("pid").get<pid_t>();
    uint64_t start = m.at("start_time").get<uint64_t>();
    // A pid reused since: not our keeper.
    if (!state::process_alive(pid, start)) return std::nullopt;
    UniqueFd pidfd(pidfd_open(pid));
    if (!pidfd) throw_sys("pidfd_open fd keeper " + std::to_string(pid));
    // Checked again through the pidfd: the pid cannot be reused under it now.
    if (!state::process_alive(pid, start)) return std::nullopt;
    return PreviousKeeper{pid, std::move(pidfd), std::move(m)};
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not a valid fd keeper manifest: " + e.what());
  }
}

// A seccomp listener is an anonymous inode of this name.
bool is_seccomp_listener(int fd) {
  char target[64] = {};
  ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), target, sizeof target - 1);
  return n > 0 && std::string(target, static_cast<size_t>(n)) == "anon_inode:seccomp notify";
}

}  // namespace

std::string fd_keeper_manifest(const std::string& state_root) { return state_root + "/capsad-fd-keeper.json"; }

int run_fd_keeper(int sock, const std::string& state_root, const std::string& pin_root) {
  auto self = state::read_proc_stat(::getpid());
  if (!self) {
    spdlog::error("fd keeper: cannot read its own /proc/self/stat");
    return 1;
  }
  std::map<int, ListenerInfo> held;
  bool capsad_gone = false;
  auto write_manifest = [&] {
    nlohmann::json j = {{"pid", ::getpid()},
                        {"start_time", self->start_time},
                        {"pin_root", pin_root},
                        {"listeners", nlohmann::json::array()}};
    for (const auto& [fd, info] : held) {
      auto l = to_json(info);
      l["fd"] = fd;
      j["listeners"].push_back(l);
    }
    try {
      write_file_atomic(fd_keeper_manifest(state_root), j.dump() + "\n", 0600);
    } catch (const std::exception& e) {
      spdlog::error("fd keeper: {}", e.what());
    }
  };
  write_manifest();
  for (;;) {
    if (capsad_gone && held.empty()) break;
    std::vector<pollfd> fds;
    if (!capsad_gone) fds.push_back({sock, POLLIN, 0});
    // Events 0: only POLLHUP, when the filter has no process left. A
    // pending notification (POLLIN) is for capsad to answer, not us.
    for (const auto& [fd, info] : held) fds.push_back({fd, 0, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("fd keeper: poll: {}", errno_text(errno));
      return 1;
    }
    bool changed = false;
    for (const auto& p : fds) {
      if (!p.revents) continue;
      if (p.fd == sock && !capsad_gone) {
        auto msg = container::recv_with_fd(sock);
        if (!msg) {
          capsad_gone = true;
          continue;
        }
        if (msg->msg == kPublish) {
          changed = true;
          continue;
        }
        if (!msg->fd) continue;
        try {
          held[msg->fd.get()] = listener_from_json(nlohmann::json::parse(msg->msg));
          msg->fd.release();
          changed = true;
        } catch (const std::exception& e) {
          spdlog::error("fd keeper: bad message from capsad: {}", e.what());
        }
        continue;
      }
      ::close(p.fd);
      held.erase(p.fd);
      changed = true;
    }
    if (changed) write_manifest();
  }
  // Only if the manifest is still ours: a new keeper may have replaced it.
  try {
    auto m = nlohmann::json::parse(read_file(fd_keeper_manifest(state_root)));
    if (m.value("pid", 0) == ::getpid()) ::unlink(fd_keeper_manifest(state_root).c_str());
  } catch (const std::exception&) {
  }
  return 0;
}

FdKeeper FdKeeper::spawn(const std::string& state_root, const std::string& pin_root) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw_sys("fd keeper: socketpair");
  UniqueFd ours(sv[0]), theirs(sv[1]);
  // Built before fork: the child only execs.
  std::string exe = "/proc/self/exe";
  std::vector<std::string> args = {"capsad", "--fd-keeper", "--root", state_root, "--bpf-pin-root", pin_root};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw_sys("fd keeper: fork");
  if (pid == 0) {
    // A session of its own, and a grandchild re-parented away from capsad:
    // neither capsad's death nor a signal to its process group ends it.
    ::setsid();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    pid_t again = ::fork();
    if (again != 0) ::_exit(again < 0 ? 1 : 0);
    // dup2 onto itself would keep close-on-exec.
    if (theirs.get() == 3) {
      if (::fcntl(3, F_SETFD, 0) != 0) ::_exit(1);
    } else if (::dup2(theirs.get(), 3) < 0) {
      ::_exit(1);
    }
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      if (null > 3) ::close(null);
    }
    ::syscall(SYS_close_range, 4, ~0U, 0);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Error("fd keeper: could not start it");
  return FdKeeper(state_root, std::move(ours));
}

PreviousListeners take_previous_listeners(const std::string& state_root) {
  PreviousListeners out;
  auto prev = find_keeper(state_root);
  if (!prev) return out;
  for (const auto& l : prev->manifest.value("listeners", nlohmann::json::array())) {
    int their_fd = l.value("fd", -1);
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_getfd, prev->pidfd.get(), their_fd, 0)));
    if (!fd) {
      // Dropped since the manifest was written (its processes are gone).
      spdlog::warn("fd keeper {}: fd {}: {}", prev->pid, their_fd, errno_text(errno));
      continue;
    }
    if (!is_seccomp_listener(fd.get())) {
      spdlog::warn("fd keeper {}: fd {} is not a seccomp listener; skipped", prev->pid, their_fd);
      continue;
    }
    try {
      out.listeners.push_back({std::move(fd), listener_from_json(l)});
    } catch (const nlohmann::json::exception& e) {
      spdlog::warn("{}: listener entry skipped: {}", fd_keeper_manifest(state_root), e.what());
    }
  }
  spdlog::info("fd keeper {}: took over {} seccomp listener(s)", prev->pid, out.listeners.size());
  out.keeper_pidfd = std::move(prev->pidfd);
  return out;
}

void FdKeeper::retire(UniqueFd previous) {
  if (!previous) return;
  if (::syscall(SYS_pidfd_send_signal, previous.get(), SIGKILL, nullptr, 0) != 0 && errno != ESRCH)
    spdlog::warn("fd keeper: cannot end the previous one: {}", errno_text(errno));
  // A pidfd polls readable once its process has exited.
  pollfd p{previous.get(), POLLIN, 0};
  ::poll(&p, 1, 5000);
  // Its last manifest may have been written after ours.
  publish();
}

void FdKeeper::hold(int fd, const ListenerInfo& info) {
  if (!container::send_with_fd(sock_.get(), to_json(info).dump(), fd))
    throw_sys("fd keeper: hand over the listener of container " + info.container_id);
}

bool FdKeeper::gone() const {
  // Its end of the socketpair closes with it.
  pollfd p{sock_.get(), POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

void FdKeeper::publish() {
  if (!container::sync_send(sock_.get(), kPublish)) spdlog::warn("fd keeper: gone: {}", errno_text(errno));
}

void stop_fd_keeper(const std::string& state_root, const std::string& pin_root) {
  auto prev = find_keeper(state_root);
  if (!prev) return;
  if (prev->manifest.value("pin_root", "") != pin_root) {
    spdlog::info("fd keeper {} serves pins under {}, not {}: left running", prev->pid,
                 prev->manifest.value("pin_root", ""), pin_root);
    return;
  }
  if (::syscall(SYS_pidfd_send_signal, prev->pidfd.get(), SIGKILL, nullptr, 0) != 0 && errno != ESRCH)
    throw_sys("end fd keeper " + std::to_string(prev->pid));
  pollfd p{prev->pidfd.get(), POLLIN, 0};
  ::poll(&p, 1, 5000);
  ::unlink(fd_keeper_manifest(state_root).c_str());
  spdlog::info("fd keeper {} ended", prev->pid);
}

}  // namespace capsa::daemon
