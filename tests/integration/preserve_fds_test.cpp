// --preserve-fds N (create, run, exec): the caller's fds 3 .. 3+N-1 reach the
// container's process, and nothing else does.
#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class PreserveFds : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    write_file_atomic(files_.path() + "/a", "first\n");
    write_file_atomic(files_.path() + "/b", "second\n");
  }
  // capsa with fds 3 and 4 open on the two files and 5-9 closed.
  CommandResult capsa_with_fds(const std::string& args) {
    return run_command({"/bin/sh", "-c", "exec 3<" + files_.path() + "/a 4<" + files_.path() +
                                             "/b 5<&- 6<&- 7<&- 8<&- 9<&-; exec " + CAPSA_BIN + " --root " +
                                             root_.path() + " " + args});
  }
  TempDir root_{"capsa-root"};
  TempDir files_{"capsa-fds"};
};

TEST_F(PreserveFds, RunPassesExactlyTheGivenFds) {
  Bundle b({"/bin/sh", "-c", "cat <&3; cat <&4 2>/dev/null || echo no-fd4"});
  auto one = capsa_with_fds("run --preserve-fds 1 --bundle " + b.path() + " " + unique_id("pfd"));
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, "first\nno-fd4\n");
  auto two = capsa_with_fds("run --preserve-fds 2 --bundle " + b.path() + " " + unique_id("pfd"));
  EXPECT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(two.out, "first\nsecond\n");
}

TEST_F(PreserveFds, ExecPassesThem) {
  Bundle b({"/bin/sleep", "1000"});
  std::string id = unique_id("pfd-exec");
  ASSERT_EQ(capsa(root_.path(), {"run", "--detach", "--bundle", b.path(), id}).exit_code, 0);
  auto e = capsa_with_fds("exec --preserve-fds 2 " + id + " /bin/sh -c 'cat <&4; cat <&3'");
  EXPECT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.out, "second\nfirst\n");
  EXPECT_EQ(capsa(root_.path(), {"delete", "--force", id}).exit_code, 0);
}

TEST_F(PreserveFds, AFdThatIsNotOpenFailsCreateAndLeavesNothing) {
  Bundle b({"/bin/true"});
  auto r = capsa_with_fds("create --preserve-fds 4 --bundle " + b.path() + " " + unique_id("pfd-bad"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--preserve-fds 4: fd 5 is not open"), std::string::npos) << r.err;
  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");
}

}  // namespace
}  // namespace capsa::test
