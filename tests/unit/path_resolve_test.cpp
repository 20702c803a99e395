#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/file_util.h"
#include "container/path_resolve.h"
#include "test_env.h"

namespace capsa::container {
namespace {

class SecureJoin : public ::testing::Test {
protected:
  test::TempDir dir_{"capsa-join"};
  std::string root() const { return dir_.path(); }
  void link(const std::string& target, const std::string& at) {
    make_dirs((root() + at).substr(0, (root() + at).rfind('/')));
    ASSERT_EQ(::symlink(target.c_str(), (root() + at).c_str()), 0);
  }
};

TEST_F(SecureJoin, PlainPathsStayBelowTheRoot) {
  EXPECT_EQ(secure_join(root(), "/a/b"), root() + "/a/b");
  EXPECT_EQ(secure_join(root(), "a//./b/"), root() + "/a/b");
}

TEST_F(SecureJoin, DotDotCannotClimbOutOfTheRoot) {
  EXPECT_EQ(secure_join(root(), "/../../etc/passwd"), root() + "/etc/passwd");
  EXPECT_EQ(secure_join(root(), "/a/../../b"), root() + "/b");
}

TEST_F(SecureJoin, AbsoluteSymlinksAreResolvedInsideTheRoot) {
  make_dirs(root() + "/real");
  link("/etc", "/evil");
  EXPECT_EQ(secure_join(root(), "/evil/passwd"), root() + "/etc/passwd");
  link("/real", "/good");
  EXPECT_EQ(secure_join(root(), "/good/x"), root() + "/real/x");
}

TEST_F(SecureJoin, RelativeSymlinksWithDotDotAreClamped) {
  link("../../../../../../etc", "/a/up");
  EXPECT_EQ(secure_join(root(), "/a/up/shadow"), root() + "/etc/shadow");
}

TEST_F(SecureJoin, SymlinkLoopsFail) {
  link("/loop2", "/loop1");
  link("/loop1", "/loop2");
  EXPECT_THROW(secure_join(root(), "/loop1/x"), Error);
}

TEST_F(SecureJoin, MountTargetsAreCreatedAndMustStayInside) {
  auto fd = open_mount_target(root(), root() + "/new/dir", false);
  EXPECT_TRUE(fd);
  struct stat st;
  ASSERT_EQ(::stat((root() + "/new/dir").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  auto file = open_mount_target(root(), root() + "/etc/resolv.conf", true);
  ASSERT_EQ(::stat((root() + "/etc/resolv.conf").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_THROW(open_mount_target(root() + "/new", root() + "/etc", false), Error);
}

}  // namespace
}  // namespace capsa::container
