// Task confinement without BPF-LSM, for containers that share capsad's pid
// namespace (where BPF-LSM is loaded, its task_kill and ptrace hooks do
// this instead). A container with a pid namespace of its own cannot name a
// task outside it and needs nothing. For one that shares the host's, the
// runtime routes the calls that signal, trace or read another task to
// capsad's seccomp supervisor (seccomp_supervisor.h), which refuses with
// EPERM, before the call runs, those that would reach a task outside the
// caller's cgroup, as the LSM hooks do.
//
// Callers in a pid namespace other than capsad's (joined with setns) have
// pids capsad cannot map: only their calls aimed at their own process pass.
// kill(-1) is refused whole, as it would reach every host task, and so is a
// signal to a process group with a member outside.
//
// Setting a descriptor's owner (fcntl F_SETOWN / F_SETOWN_EX, ioctl
// FIOSETOWN / SIOCSPGRP) names the task SIGIO will reach later: those calls
// are routed too, by argument, and judged like a kill of that owner.
// Turning O_ASYNC on (F_SETFL, FIOASYNC) or picking the signal (F_SETSIG)
// sends signals to an owner the caller did not name: one a host process
// set before handing the descriptor over, or a terminal's foreground
// process group, which the kernel makes the owner (tty_fasync). Those are
// routed for every container, its own pid namespace or not (the owner is
// read by capsad through a copy of the descriptor), and refused with EPERM
// when that owner is outside the caller's cgroup.
//
// What it cannot do: targets are named by pid or descriptor, resolved when
// capsad looks, not when the kernel acts (a target that exits and whose pid
// is reused in between, or a descriptor another thread swaps with dup2, is
// judged as what it was); an owner passed by pointer is read once, and
// another thread of the caller may rewrite it before the kernel reads it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "container/seccomp_arg_route.h"

namespace capsa::daemon {

// The syscalls routed for it whole (native numbers), and those routed only
// for some arguments (the owner-setting fcntl and ioctl commands).
std::set<uint32_t> task_confinement_syscalls();
std::vector<container::SeccompArgRoute> task_confinement_arg_routes();
// The part of those routed for every container, whatever its pid
// namespace: turning O_ASYNC on (fcntl F_SETFL, ioctl FIOASYNC) and picking
// the signal (F_SETSIG) of a descriptor whose owner, set by someone else or
// made by the kernel (a terminal's foreground process group), is outside.
std::vector<container::SeccompArgRoute> signal_owner_arg_routes();
// Every syscall task_escape() judges: both of the above.
std::set<uint32_t> task_confinement_judged();

struct TaskEscape {
  pid_t target = 0;  // 0: every task (kill(-1))
  uint8_t op = 0;    // CAPSA_TASK_SIGNAL or CAPSA_TASK_PTRACE
  int signal = 0;    // SIGIO for an owner (F_SETSIG may pick another later)
};

// Whether two tasks' cgroup2 paths (as /proc/PID/cgroup gives them) are one
// container's; unset: the same path only.
using SameContainer = std::function<bool(const std::string& own, const std::string& theirs)>;

// The first task outside the caller's container that the call `nr` of
// thread `caller`, with these arguments, would signal or trace; nullopt
// when it reaches none (or is not one of task_confinement_syscalls()).
std::optional<TaskEscape> task_escape(pid_t caller, int nr, const uint64_t (&args)[6],
                                      const SameContainer& same = {});

// The same for a caller in another pid namespace (one that joined it with
// setns), whose pid arguments capsad cannot map: only calls aimed at the
// caller's own process pass.
std::optional<TaskEscape> task_escape_elsewhere(pid_t caller, int nr, const uint64_t (&args)[6],
                                                const SameContainer& same = {});

// The task's cgroup v2 path as capsad sees it ("" once it has exited).
std::string cgroup2_path(pid_t pid);
// The task behind `holder`'s descriptor `fd` (fdinfo's "Pid:", in capsad's
// pid namespace; -1 once it has exited). nullopt when fdinfo names none
// (not a pidfd: pidfd_send_signal also takes a /proc/PID directory, which
// cannot be told apart reliably, so that is refused).
std::optional<pid_t> pidfd_target(pid_t holder, uint64_t fd);

// The process a thread belongs to (events name processes, as BPF-LSM's do).
pid_t thread_group_of(pid_t tid);
// A pidfd of thread `tid` (PIDFD_THREAD, Linux 6.9), else of its thread
// group (older kernels open none for a thread that is not the leader);
// -1 with errno when neither opens.
int thread_pidfd(pid_t tid);

// Whether `pid` runs in capsad's own pid namespace (its pid arguments then
// name the tasks capsad sees under those numbers).
bool in_our_pid_namespace(pid_t pid);

}  // namespace capsa::daemon
