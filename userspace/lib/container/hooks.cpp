#include "container/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/unique_fd.h"
#include "container/process_setup.h"

namespace capsa::container {

namespace {

// What a hook may write to stdout/stderr that ends up in an error message.
constexpr size_t kOutputCap = 16384;

struct Pipe {
  UniqueFd read, write;
};

Pipe make_pipe(const std::string& what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_sys(what + ": pipe");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

[[noreturn]] void exec_hook(const spec::Hook& h, int in, int out, int err) noexcept {
  // The runtime may block signals (a foreground run does); the hook must not inherit that.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  // Its own process group, so a timeout also kills whatever the hook spawned.
  ::setpgid(0, 0);
  // Above 2 first: with a closed stdin in the runtime a pipe end may be fd 0..2.
  int fds[3] = {::fcntl(in, F_DUPFD, 3), ::fcntl(out, F_DUPFD, 3), ::fcntl(err, F_DUPFD, 3)};
  for (int i = 0; i < 3; ++i)
    if (fds[i] < 0 || ::dup2(fds[i], i) < 0) ::_exit(126);
  ::syscall(SYS_close_range, 3U, ~0U, 0U);

  std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
  auto argv = exec_vector(args), envp = exec_vector(h.env);
  // runc (Go's exec.Cmd with a nil Env) hands a hook without env its own.
  ::execve(h.path.c_str(), argv.data(), h.env.empty() ? environ : envp.data());
  std::fprintf(stderr, "exec %s: %s", h.path.c_str(), std::strerror(errno));
  ::_exit(127);
}

// A hook that exits without reading its stdin must not kill us with SIGPIPE.
ssize_t write_without_sigpipe(int fd, const char* data, size_t len) {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  ssize_t n = ::write(fd, data, len);
  int err = errno;
  if (n < 0 && err == EPIPE && !sigismember(&old, SIGPIPE)) {
    struct timespec zero {};
    ::sigtimedwait(&pipe_only, nullptr, &zero);
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return n;
}

// Appends what is readable now; false at EOF or error.
bool drain(int fd, std::string& out) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) return false;
    if (out.size() < kOutputCap) out.append(buf, std::min(static_cast<size_t>(n), kOutputCap - out.size()));
  }
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Kills and reaps the hook if we leave before it was reaped.
struct HookChild {
  pid_t pid = -1;
  ~HookChild() {
    if (pid <= 0) return;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  int reap() {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    return status;
  }
};

void run_hook(const spec::Hook& h, const std::string& name, const std::string& input) {
  Pipe in = make_pipe(name), out = make_pipe(name), err = make_pipe(name);
  HookChild child;
  child.pid = ::fork();
  if (child.pid < 0) throw_sys(name + ": fork");
  if (child.pid == 0) exec_hook(h, in.read.get(), out.write.get(), err.write.get());
  ::setpgid(child.pid, child.pid);  // either side may win the race; both set the same
  in.read.reset();
  out.write.reset();
  err.write.reset();
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child.pid, 0)));
  if (!pidfd) throw_sys(name + ": pidfd_open");
  for (int fd : {in.write.get(), out.read.get(), err.read.get()}) set_nonblocking(fd);

  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> deadline;
  if (h.timeout) deadline = Clock::now() + std::chrono::seconds(*h.timeout);
  size_t written = 0;
  std::string stdout_text, stderr_text;
  bool out_open = true, err_open = true;
  if (input.empty()) in.write.reset();
  for (;;) {
    struct pollfd p[4] = {{pidfd.get(), POLLIN, 0},
                          {in.write ? in.write.get() : -1, POLLOUT, 0},
                          {out_open ? out.read.get() : -1, POLLIN, 0},
                          {err_open ? err.read.get() : -1, POLLIN, 0}};
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) throw Error(name + ": timed out after " + std::to_string(*h.timeout) + "s");
      wait_ms = static_cast<int>(left);
    }
    int n = ::poll(p, 4, wait_ms);
    if (n < 0 && errno != EINTR) throw_sys(name + ": poll");
    if (n <= 0) continue;
    if (p[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t w = write_without_sigpipe(in.write.get(), input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      // A hook need not read its stdin: EPIPE just ends the input.
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) in.write.reset();
    }
    if (p[2].revents) out_open = drain(out.read.get(), stdout_text);
    if (p[3].revents) err_open = drain(err.read.get(), stderr_text);
    if (p[0].revents & POLLIN) break;
  }
  // What the hook left in the pipes; children it left running may keep them
  // open, so no waiting for EOF.
  drain(out.read.get(), stdout_text);
  drain(err.read.get(), stderr_text);
  int status = child.reap();
  std::string why;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  if (WIFEXITED(status))
    why = "exited with status " + std::to_string(WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    why = std::string("killed by signal ") + ::sigabbrev_np(WTERMSIG(status));
  else
    why = "ended with wait status " + std::to_string(status);
  stderr_text = trimmed(stderr_text);
  stdout_text = trimmed(stdout_text);
  if (!stderr_text.empty()) why += ", stderr: " + stderr_text;
  if (!stdout_text.empty()) why += ", stdout: " + stdout_text;
  throw Error(name + ": " + why);
}

std::string hook_name(const std::string& kind, size_t i, const spec::Hook& h) {
  return "hooks." + kind + "[" + std::to_string(i) + "] " + h.path;
}

nlohmann::json hook_json(const spec::Hook& h) {
  nlohmann::json j = {{"path", h.path}, {"args", h.args}, {"env", h.env}};
  if (h.timeout) j["timeout"] = *h.timeout;
  return j;
}

}  // namespace

const std::vector<std::string>& hook_kinds() {
  static const std::vector<std::string> kinds = {"prestart",       "createRuntime", "createContainer",
                                                 "startContainer", "poststart",     "poststop"};
  return kinds;
}

void run_hooks(const std::vector<spec::Hook>& hooks, const std::string& kind, const nlohmann::json& state) {
  if (hooks.empty()) return;
  std::string input = state.dump();
  for (size_t i = 0; i < hooks.size(); ++i) run_hook(hooks[i], hook_name(kind, i, hooks[i]), input);
}

void run_hooks_warning_only(const std::vector<spec::Hook>& hooks, const std::string& kind,
                            const nlohmann::json& state) {
  if (hooks.empty()) return;
  std::string input = state.dump();
  for (size_t i = 0; i < hooks.size(); ++i) {
    try {
      run_hook(hooks[i], hook_name(kind, i, hooks[i]), input);
    } catch (const std::exception& e) {
      spdlog::warn("container {}: {}", state.value("id", ""), e.what());
    }
  }
}

nlohmann::json hooks_to_save(const spec::Hooks& hooks) {
  nlohmann::json j = nlohmann::json::object();
  auto save = [&](const char* kind, const std::vector<spec::Hook>& list) {
    if (list.empty()) return;
    for (const auto& h : list) j[kind].push_back(hook_json(h));
  };
  save("poststart", hooks.poststart);
  save("poststop", hooks.poststop);
  return j;
}

std::vector<spec::Hook> saved_hooks(const nlohmann::json& saved, const std::string& kind) {
  std::vector<spec::Hook> out;
  if (!saved.is_object() || !saved.contains(kind)) return out;
  try {
    for (const auto& j : saved.at(kind)) {
      spec::Hook h;
      h.path = j.at("path").get<std::string>();
      h.args = j.value("args", std::vector<std::string>{});
      h.env = j.value("env", std::vector<std::string>{});
      if (j.contains("timeout")) h.timeout = j.at("timeout").get<int>();
      out.push_back(std::move(h));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error("container state: hooks." + kind + ": corrupt: " + e.what());
  }
  return out;
}

}  // namespace capsa::container
