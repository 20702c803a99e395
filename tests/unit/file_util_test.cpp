#include <sys/stat.h>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/file_util.h"
#include "test_env.h"

namespace capsa {
namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

mode_t current_umask() {
  mode_t m = ::umask(0);
  ::umask(m);
  return m;
}

TEST(MakeDirs, CreatesEveryMissingComponentWithTheMode) {
  test::TempDir dir{"capsa-mkdirs"};
  const std::string deep = dir.path() + "/a/b/c";
  make_dirs(deep, 0701);
  EXPECT_EQ(mode_of(dir.path() + "/a") & 0777, 0701 & ~current_umask());
  EXPECT_EQ(mode_of(deep) & 0777, 0701 & ~current_umask());
  // Existing directories, and a trailing slash, are fine.
  EXPECT_NO_THROW(make_dirs(deep));
  EXPECT_NO_THROW(make_dirs(dir.path() + "/a/b/d/"));
  EXPECT_TRUE(path_exists(dir.path() + "/a/b/d"));
  EXPECT_NO_THROW(make_dirs(dir.path() + "/x/y//"));
  EXPECT_TRUE(path_exists(dir.path() + "/x/y"));
  EXPECT_NO_THROW(make_dirs("/"));
  EXPECT_NO_THROW(make_dirs(""));
}

TEST(MakeDirs, AFileInTheWayIsAnErrorNamingThePath) {
  test::TempDir dir{"capsa-mkdirs"};
  replace_file(dir.path() + "/file", "");
  try {
    make_dirs(dir.path() + "/file/sub/dir");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mkdir " + dir.path() + "/file/sub"), std::string::npos) << e.what();
  }
}

TEST(DirIsEmptyOrAbsent, TellsAnEmptyOrMissingDirectoryFromOneWithEntries) {
  test::TempDir dir{"capsa-empty"};
  EXPECT_TRUE(dir_is_empty_or_absent(dir.path()));
  EXPECT_TRUE(dir_is_empty_or_absent(dir.path() + "/missing"));
  make_dirs(dir.path() + "/sub");
  EXPECT_FALSE(dir_is_empty_or_absent(dir.path()));
}

}  // namespace
}  // namespace capsa
