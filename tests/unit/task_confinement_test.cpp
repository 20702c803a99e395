// Which routed calls task_escape() judges, and on which argument: checked
// on this test's own process (its tasks share its cgroup) and a child it
// forks, so no second cgroup is needed. The refusal of a task in another
// cgroup is checked end to end in tests/bpf (policy_enforcement_test).
#include "daemon/task_confinement.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "policy.h"

namespace capsa::daemon {
namespace {

std::optional<TaskEscape> judge(int nr, std::initializer_list<int64_t> a) {
  uint64_t args[6] = {};
  int i = 0;
  for (int64_t v : a) args[i++] = static_cast<uint64_t>(v);
  return task_escape(::getpid(), nr, args);
}

// A child of this test, in its cgroup, killed at the end of the scope.
struct PausedChild {
  pid_t pid = ::fork();
  PausedChild() {
    if (pid == 0) {
      ::pause();
      ::_exit(0);
    }
  }
  ~PausedChild() {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

TEST(TaskConfinement, TheSignalAndTraceCallsAreRouted) {
  auto set = task_confinement_syscalls();
  for (long nr : {SYS_kill, SYS_tkill, SYS_tgkill, SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo, SYS_pidfd_send_signal,
                  SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev, SYS_pidfd_getfd})
    EXPECT_TRUE(set.contains(static_cast<uint32_t>(nr))) << nr;
  EXPECT_FALSE(set.contains(SYS_getpid));
}

TEST(TaskConfinement, TasksOfTheSameCgroupAreFairGame) {
  // A group of our own: the one ctest -j2 started us in also holds other
  // tests' processes, in other cgroups, and kill(0) would reach them.
  ASSERT_EQ(::setpgid(0, 0), 0);
  PausedChild c;
  pid_t child = c.pid;
  ASSERT_GT(child, 0);
  EXPECT_FALSE(judge(SYS_kill, {child, SIGTERM}));
  EXPECT_FALSE(judge(SYS_kill, {0, SIGTERM})) << "our own process group";
  EXPECT_FALSE(judge(SYS_tgkill, {child, child, SIGTERM}));
  EXPECT_FALSE(judge(SYS_ptrace, {0x4206, child, 0, 0}));
  EXPECT_FALSE(judge(SYS_process_vm_readv, {child, 0, 0, 0, 0, 0}));
}

TEST(TaskConfinement, APidfdIsJudgedByItsTaskAnythingElseIsRefused) {
  PausedChild c;
  pid_t child = c.pid;
  ASSERT_GT(child, 0);
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
  ASSERT_GE(pidfd, 0);
  EXPECT_FALSE(judge(SYS_pidfd_send_signal, {pidfd, SIGTERM, 0, 0}));
  // pidfd_send_signal takes a /proc/PID directory too: its fdinfo names no
  // task, so capsad cannot judge it and refuses.
  int dir = ::open(("/proc/" + std::to_string(child)).c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dir, 0);
  auto e = judge(SYS_pidfd_send_signal, {dir, SIGTERM, 0, 0});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->target, 0);
  ::close(dir);
  ::close(pidfd);
}

TEST(TaskConfinement, KillOfEveryTaskIsAnEscapeWhole) {
  auto e = judge(SYS_kill, {-1, SIGKILL});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->target, 0);
  EXPECT_EQ(e->op, CAPSA_TASK_SIGNAL);
  EXPECT_EQ(e->signal, SIGKILL);
}

TEST(TaskConfinement, WhatNamesNoOtherTaskIsNotJudged) {
  EXPECT_FALSE(judge(SYS_ptrace, {3 /* PTRACE_PEEKDATA */, 1, 0, 0})) << "a tracee is attached already";
  EXPECT_FALSE(judge(SYS_getpid, {}));
  EXPECT_FALSE(judge(SYS_kill, {2147483000, 0})) << "a pid nobody has";
  EXPECT_FALSE(judge(SYS_kill, {INT32_MIN, 0})) << "the kernel answers ESRCH";
  EXPECT_TRUE(in_our_pid_namespace(::getpid()));
}

TEST(TaskConfinement, OwnerSettingFcntlAndIoctlAreRoutedByCommandOnly) {
  auto routes = task_confinement_arg_routes();
  auto find = [&](const std::string& name) -> const container::SeccompArgRoute* {
    for (const auto& r : routes)
      if (r.syscall == name) return &r;
    return nullptr;
  };
  for (const char* name : {"fcntl", "fcntl64"}) {
    auto* r = find(name);
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->arg, 1u);
    EXPECT_EQ(r->values, (std::vector<uint32_t>{F_SETOWN, F_SETOWN_EX})) << name;
  }
  auto* io = find("ioctl");
  ASSERT_TRUE(io);
  EXPECT_EQ(io->values, (std::vector<uint32_t>{FIOSETOWN, SIOCSPGRP}));
  EXPECT_FALSE(task_confinement_syscalls().contains(SYS_fcntl)) << "every fcntl would wait on capsad";
  EXPECT_TRUE(task_confinement_judged().contains(SYS_fcntl));
  EXPECT_TRUE(task_confinement_judged().contains(SYS_ioctl));
}

TEST(TaskConfinement, AnOwnerIsJudgedByValueOrThroughThePointer) {
  PausedChild c;
  pid_t child = c.pid;
  ASSERT_GT(child, 0);
  f_owner_ex owner{F_OWNER_PID, child};
  int who = child;
  EXPECT_FALSE(judge(SYS_fcntl, {0, F_SETOWN, child}));
  EXPECT_FALSE(judge(SYS_fcntl, {0, F_SETOWN, 0})) << "no owner";
  EXPECT_FALSE(judge(SYS_fcntl, {0, F_SETOWN_EX, reinterpret_cast<int64_t>(&owner)}));
  EXPECT_FALSE(judge(SYS_ioctl, {0, FIOSETOWN, reinterpret_cast<int64_t>(&who)}));
  EXPECT_FALSE(judge(SYS_ioctl, {0, SIOCSPGRP, reinterpret_cast<int64_t>(&who)}));
  EXPECT_FALSE(judge(SYS_fcntl, {0, F_GETOWN, 0}));
  EXPECT_FALSE(judge(SYS_ioctl, {0, FIONREAD, 1})) << "other commands are not looked at";
  // An owner capsad cannot read (the kernel would fail with EFAULT) is
  // refused rather than guessed.
  for (auto e : {judge(SYS_fcntl, {0, F_SETOWN_EX, 8}), judge(SYS_ioctl, {0, FIOSETOWN, 8})}) {
    ASSERT_TRUE(e);
    EXPECT_EQ(e->target, 0);
    EXPECT_EQ(e->op, CAPSA_TASK_SIGNAL);
    EXPECT_EQ(e->signal, SIGIO);
  }
}

}  // namespace
}  // namespace capsa::daemon
