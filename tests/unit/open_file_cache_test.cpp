// capsad's open cgroup files: re-read with pread, so a change of content is
// seen; a removed cgroup's file reads as nothing, and one re-created under
// the same name is found; files not read since the last sweep are closed.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "common/error.h"
#include "cgroup/layout.h"
#include "common/file_util.h"
#include "daemon/open_file_cache.h"
#include "test_env.h"

namespace capsa::test {
namespace {

using daemon::OpenFileCache;

class OpenFileCacheTest : public ::testing::Test {
protected:
  TempDir dir_{"capsa-open-files"};
  std::string path_ = dir_.path() + "/memory.current";
  OpenFileCache files_;
};

TEST_F(OpenFileCacheTest, ContentChangedInPlaceIsReadThroughTheOpenFile) {
  write_file_atomic(path_, "4096\n");
  EXPECT_EQ(files_.read(path_), "4096\n");
  write_file(path_, "8192\n");
  EXPECT_EQ(files_.read(path_), "8192\n");
  // Shorter than before: nothing of the old text is left over.
  write_file(path_, "1\n");
  ASSERT_EQ(::truncate(path_.c_str(), 2), 0);
  EXPECT_EQ(files_.read(path_), "1\n");
  EXPECT_EQ(files_.open_count(), 1u);
}

TEST_F(OpenFileCacheTest, AMissingFileReadsAsNothingUntilItExists) {
  EXPECT_EQ(files_.read(path_), std::nullopt);
  EXPECT_EQ(files_.open_count(), 0u);
  write_file_atomic(path_, "1\n");
  EXPECT_EQ(files_.read(path_), "1\n");
}

// The real thing: a cgroup2 directory of the test's own.
TEST_F(OpenFileCacheTest, ARemovedCgroupsFileReadsAsNothingAndARecreatedOneIsFound) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to make a cgroup";
  auto layout = cgroup::detect_layout();
  if (!layout.unified) GTEST_SKIP() << "no cgroup2 hierarchy";
  std::string cg = layout.unified->mount_point + "/capsa-open-files-test-" + std::to_string(::getpid());
  if (::mkdir(cg.c_str(), 0755) != 0) GTEST_SKIP() << "cannot make a cgroup: " << errno;
  struct Remove {
    std::string dir;
    ~Remove() { ::rmdir(dir.c_str()); }
  } remove{cg};
  std::string events = cg + "/cgroup.events";
  auto first = files_.read(events);
  ASSERT_TRUE(first.has_value());
  EXPECT_NE(first->find("populated 0"), std::string::npos) << *first;
  ASSERT_EQ(::rmdir(cg.c_str()), 0);
  EXPECT_EQ(files_.read(events), std::nullopt);
  ASSERT_EQ(::mkdir(cg.c_str(), 0755), 0);
  EXPECT_EQ(files_.read(events), first);
}

TEST_F(OpenFileCacheTest, LargeFilesAreReadWhole) {
  std::string big(10000, 'x');
  write_file_atomic(path_, big);
  EXPECT_EQ(files_.read(path_), big);
  EXPECT_EQ(files_.read(path_), big);
}

TEST_F(OpenFileCacheTest, FilesNotReadSinceTheLastSweepAreClosed) {
  std::string other = dir_.path() + "/pids.current";
  write_file_atomic(path_, "1\n");
  write_file_atomic(other, "2\n");
  files_.read(path_);
  files_.read(other);
  files_.sweep();
  EXPECT_EQ(files_.open_count(), 2u);
  files_.read(path_);
  files_.sweep();
  EXPECT_EQ(files_.open_count(), 1u);
  EXPECT_EQ(files_.read(other), "2\n");
}

TEST_F(OpenFileCacheTest, OtherFailuresNameThePath) {
  std::string sub = dir_.path() + "/a-directory";
  make_dirs(sub);
  try {
    files_.read(sub);
    FAIL() << "reading a directory did not fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(sub), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace capsa::test
