#include "container/foreground.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>

#include <optional>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/unique_fd.h"

namespace capsa::container {

namespace {

constexpr int kForwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCONT, SIGTSTP, SIGALRM};

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

// Puts a terminal in raw mode for the lifetime of the object.
class RawMode {
public:
  explicit RawMode(int fd) : fd_(fd) {
    if (!::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }

private:
  int fd_;
  struct termios saved_ {};
  bool active_ = false;
};

void copy_window_size(int from, int to) {
  struct winsize ws;
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

// False at EOF or error of `from`.
bool pump(int from, int to) {
  char buf[16384];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += w;
  }
  return true;
}

}  // namespace

sigset_t foreground_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGWINCH);
  for (int s : kForwarded) sigaddset(&set, s);
  return set;
}

int wait_foreground(pid_t init, int pty_master) {
  sigset_t set = foreground_signals();
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC));
  if (!sfd) throw_sys("signalfd");
  RawMode raw(pty_master >= 0 ? STDIN_FILENO : -1);
  if (pty_master >= 0) copy_window_size(STDIN_FILENO, pty_master);
  bool stdin_open = pty_master >= 0;
  bool master_open = pty_master >= 0;
  std::optional<int> code;
  while (!code || master_open) {
    int status;
    pid_t r = ::waitpid(init, &status, WNOHANG);
    if (r == init) {
      code = exit_code_of(status);
      if (!master_open) break;
    } else if (r < 0 && errno != EINTR && !code) {
      throw_sys("wait for container init");
    }
    struct pollfd fds[3] = {{sfd.get(), POLLIN, 0}, {master_open ? pty_master : -1, POLLIN, 0},
                            {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
    // Once the init is gone only leftover output is drained: do not block.
    int n = ::poll(fds, 3, code ? 0 : -1);
    if (n < 0 && errno != EINTR) throw_sys("poll");
    if (n == 0 && code) break;
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) master_open = pump(pty_master, STDOUT_FILENO);
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) stdin_open = pump(STDIN_FILENO, pty_master);
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (::read(sfd.get(), &si, sizeof si) != sizeof si) continue;
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGWINCH) {
        if (pty_master >= 0) copy_window_size(STDIN_FILENO, pty_master);
      } else if (sig != SIGCHLD) {
        spdlog::debug("forwarding signal {} to {}", sig, init);
        ::kill(init, sig);
      }
    }
  }
  return *code;
}

}  // namespace capsa::container
