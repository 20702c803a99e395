#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "cli.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "container/lifecycle.h"

namespace capsa::cli {

namespace {

// Signals a foreground `run` passes on to the container, as runc does.
constexpr int kForwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP, SIGALRM};

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

// Waits for the init (our child), forwarding signals; returns its exit code.
int wait_forwarding(pid_t init) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (int s : kForwarded) sigaddset(&set, s);
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC));
  if (!sfd) throw_sys("signalfd");
  for (;;) {
    int status;
    pid_t r = ::waitpid(init, &status, WNOHANG);
    if (r == init) return exit_code_of(status);
    if (r < 0 && errno != EINTR) throw_sys("wait for container init");
    struct signalfd_siginfo si;
    ssize_t n = ::read(sfd.get(), &si, sizeof si);
    if (n != sizeof si) {
      if (n < 0 && errno == EINTR) continue;
      throw_sys("read signalfd");
    }
    if (si.ssi_signo != SIGCHLD) {
      spdlog::debug("forwarding signal {} to {}", si.ssi_signo, init);
      ::kill(init, static_cast<int>(si.ssi_signo));
    }
  }
}

}  // namespace

void add_run(CLI::App& app, Context ctx) {
  struct Opts {
    CreateFlags flags;
    bool detach = false;
    std::string id;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("run", "create and start a container, and wait for it unless --detach");
  add_create_flags(*cmd, o->flags);
  cmd->add_flag("-d,--detach", o->detach, "detach from the container's process");
  cmd->add_option("container-id", o->id, "container id")->required();
  cmd->callback([o, ctx] {
    ctx.action = [o, g = &ctx.global] {
      check_create_flags(o->flags);
      // Blocked from here on so no signal is lost between create and wait;
      // the init unblocks everything before it execs.
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGCHLD);
      for (int s : kForwarded) sigaddset(&set, s);
      if (!o->detach) ::sigprocmask(SIG_BLOCK, &set, nullptr);

      auto store = g->store();
      auto st = container::create_container(store, {o->id, o->flags.bundle, o->flags.pid_file, g->bpf_pin_root});
      {
        auto dir = store.open(o->id, state::LockMode::Exclusive);
        try {
          container::start_container(dir, st);
        } catch (...) {
          container::destroy_container(dir, st, g->bpf_pin_root);
          throw;
        }
      }
      if (o->detach) return 0;
      int code = wait_forwarding(st.init_pid);
      auto dir = store.open(o->id, state::LockMode::Exclusive);
      container::destroy_container(dir, st, g->bpf_pin_root);
      return code;
    };
  });
}

}  // namespace capsa::cli
