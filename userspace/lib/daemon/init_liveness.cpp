#include "daemon/init_liveness.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "daemon/fd_budget.h"
#include "daemon/mark_sweep.h"
#include "state/process_probe.h"

namespace capsa::daemon {

namespace {

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

bool InitLiveness::alive(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  auto [it, fresh] = procs_.try_emplace({pid, start_time});
  Entry& e = it->second;
  e.used = true;
  if (e.dead) return false;
  if (!fresh) {
    if (e.pidfd) return true;  // refresh() found it running
    e.dead = !state::process_alive(pid, start_time);
    return !e.dead;
  }
  // The pidfd first, then the start time: if the pid was reused in between,
  // the start time read is the newcomer's and the check fails, as it should.
  UniqueFd fd(pidfd_open(pid));
  if (!state::process_alive(pid, start_time)) {
    e.dead = true;
    return false;
  }
  // Without one (no pidfd support, descriptors running short) /proc it is.
  if (fd && may_keep_fd(fd.get())) e.pidfd = std::move(fd);
  return true;
}

void InitLiveness::refresh() {
  polled_.clear();
  for (const auto& [key, e] : procs_)
    if (e.pidfd) polled_.push_back({e.pidfd.get(), POLLIN, 0});
  if (polled_.empty()) return;
  int n;
  while ((n = ::poll(polled_.data(), polled_.size(), 0)) < 0 && errno == EINTR) {
  }
  if (n == 0) return;
  // A pidfd polls readable once its process has exited (zombie or reaped);
  // an error on our own descriptor is taken as gone too.
  size_t i = 0;  // polled_ holds the pidfds in procs_'s order
  for (auto& [key, e] : procs_) {
    if (!e.pidfd) continue;
    if (n < 0 || polled_[i++].revents != 0) {
      e.pidfd.reset();
      e.dead = true;
    }
  }
}

void InitLiveness::sweep() { sweep_unused(procs_); }

}  // namespace capsa::daemon
