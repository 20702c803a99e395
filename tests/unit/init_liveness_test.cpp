// capsad's liveness checks of container inits: alive while the process runs
// with the recorded start time; dead once it exits (zombie or reaped), and
// for a start time that is not its own (a reused pid).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "daemon/init_liveness.h"
#include "state/process_probe.h"

namespace capsa::test {
namespace {

using daemon::InitLiveness;

class InitLivenessTest : public ::testing::Test {
protected:
  void SetUp() override {
    child_ = ::fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      ::pause();
      ::_exit(0);
    }
    auto st = state::read_proc_stat(child_);
    ASSERT_TRUE(st.has_value());
    start_ = st->start_time;
  }
  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
  }
  // Killed and a zombie (not reaped) when this returns.
  void kill_child() {
    ASSERT_EQ(::kill(child_, SIGKILL), 0);
    siginfo_t info{};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child_), &info, WEXITED | WNOWAIT), 0);
  }

  pid_t child_ = -1;
  uint64_t start_ = 0;
  InitLiveness inits_;
};

TEST_F(InitLivenessTest, ARunningProcessIsAliveUntilItExits) {
  EXPECT_TRUE(inits_.alive(child_, start_));
  inits_.refresh();
  EXPECT_TRUE(inits_.alive(child_, start_));
  kill_child();
  inits_.refresh();
  EXPECT_FALSE(inits_.alive(child_, start_));  // a zombie
  pid_t pid = child_;
  ::waitpid(child_, nullptr, 0);
  child_ = -1;
  EXPECT_FALSE(inits_.alive(pid, start_));
}

TEST_F(InitLivenessTest, AZombieFirstSeenIsNotAlive) {
  kill_child();
  EXPECT_FALSE(inits_.alive(child_, start_));
}

TEST_F(InitLivenessTest, AnotherStartTimeIsAnotherProcess) {
  EXPECT_FALSE(inits_.alive(child_, start_ + 1));
  EXPECT_TRUE(inits_.alive(child_, start_));
}

TEST_F(InitLivenessTest, NoPidIsNotAlive) {
  EXPECT_FALSE(inits_.alive(0, 0));
  EXPECT_FALSE(inits_.alive(-1, 0));
}

TEST_F(InitLivenessTest, ProcessesNotAskedAboutSinceTheLastSweepAreForgotten) {
  inits_.alive(child_, start_);
  inits_.alive(child_, start_ + 1);
  inits_.sweep();
  EXPECT_EQ(inits_.tracked(), 2u);
  inits_.alive(child_, start_);
  inits_.sweep();
  EXPECT_EQ(inits_.tracked(), 1u);
}

}  // namespace
}  // namespace capsa::test
