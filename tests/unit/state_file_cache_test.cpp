// capsad's cache of parsed state.json files: a file is parsed again exactly
// when it changed (new inode, mtime, size), and a deleted one is gone.
#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/file_util.h"
#include "daemon/state_file_cache.h"
#include "state/container_state.h"
#include "test_env.h"

namespace capsa::test {
namespace {

using daemon::StateFileCache;

class StateFileCacheTest : public ::testing::Test {
protected:
  std::string state_json(pid_t pid, const std::string& rootfs, nlohmann::json cgroup = nlohmann::json::object()) {
    state::ContainerState s;
    s.id = "c1";
    s.init_pid = pid;
    s.init_start_time = 7;
    s.bundle = "/b";
    s.rootfs = rootfs;
    s.created = "2026-01-02T03:04:05Z";
    s.cgroup = std::move(cgroup);
    s.cgroup_id = 99;
    return state::to_json(s).dump(2) + "\n";
  }
  void set_mtime(const std::string& path, time_t sec) {
    struct timespec times[2] = {{sec, 0}, {sec, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

  TempDir dir_{"capsa-state-cache"};
  std::string path_ = dir_.path() + "/state.json";
  StateFileCache cache_;
};

TEST_F(StateFileCacheTest, AnUnchangedFileIsParsedOnce) {
  write_file_atomic(path_, state_json(10, "/r1"));
  auto first = cache_.get("c1", path_);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->state.init_pid, 10);
  EXPECT_EQ(first->state.cgroup_id, 99u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cache_.get("c1", path_), first);
  EXPECT_EQ(cache_.parses(), 1u);
}

TEST_F(StateFileCacheTest, AFileReplacedByRenameIsParsedAgain) {
  write_file_atomic(path_, state_json(10, "/r1"));
  ASSERT_EQ(cache_.get("c1", path_)->state.init_pid, 10);
  write_file_atomic(path_, state_json(11, "/r1"));
  EXPECT_EQ(cache_.get("c1", path_)->state.init_pid, 11);
  EXPECT_EQ(cache_.parses(), 2u);
}

// Same inode, same size: only the modification time tells.
TEST_F(StateFileCacheTest, AFileRewrittenInPlaceWithANewMtimeIsParsedAgain) {
  write_file_atomic(path_, state_json(10, "/r1"));
  set_mtime(path_, 1000);
  ASSERT_EQ(cache_.get("c1", path_)->state.rootfs, "/r1");
  write_file(path_, state_json(10, "/r2"));
  set_mtime(path_, 2000);
  EXPECT_EQ(cache_.get("c1", path_)->state.rootfs, "/r2");
  EXPECT_EQ(cache_.parses(), 2u);
}

TEST_F(StateFileCacheTest, ADeletedFileIsGone) {
  write_file_atomic(path_, state_json(10, "/r1"));
  ASSERT_TRUE(cache_.get("c1", path_));
  ASSERT_EQ(::unlink(path_.c_str()), 0);
  EXPECT_EQ(cache_.get("c1", path_), nullptr);
  EXPECT_EQ(cache_.size(), 0u);
  // Created again (same path, e.g. the same container id): read afresh.
  write_file_atomic(path_, state_json(12, "/r1"));
  EXPECT_EQ(cache_.get("c1", path_)->state.init_pid, 12);
}

TEST_F(StateFileCacheTest, EntriesNotAskedForSinceTheLastSweepAreForgotten) {
  std::string other = dir_.path() + "/other.json";
  write_file_atomic(path_, state_json(10, "/r1"));
  write_file_atomic(other, state_json(20, "/r1"));
  cache_.get("c1", path_);
  cache_.get("c2", other);
  cache_.sweep();
  EXPECT_EQ(cache_.size(), 2u);
  cache_.get("c1", path_);
  cache_.sweep();
  EXPECT_EQ(cache_.size(), 1u);
  cache_.get("c2", other);
  EXPECT_EQ(cache_.parses(), 3u);  // c2 was forgotten, so parsed again
}

TEST_F(StateFileCacheTest, ACorruptFileThrowsNamingItAndIsReadAgainOnceFixed) {
  write_file_atomic(path_, "{\"id\": ");
  try {
    cache_.get("c1", path_);
    FAIL() << "no error for a corrupt state file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path_ + ": corrupt container state"), std::string::npos) << e.what();
  }
  write_file_atomic(path_, state_json(10, "/r1"));
  EXPECT_EQ(cache_.get("c1", path_)->state.init_pid, 10);
}

TEST_F(StateFileCacheTest, TheCgroupIsParsedWithTheStateWhenRecorded) {
  write_file_atomic(path_, state_json(10, "/r1"));
  EXPECT_FALSE(cache_.get("c1", path_)->cgroup.has_value());
  std::string cg = dir_.path() + "/cg";
  make_dirs(cg);
  write_file_atomic(path_, state_json(10, "/r1", {{"dirs", {{"unified", cg}}}, {"created", nlohmann::json::array()}}));
  auto p = cache_.get("c1", path_);
  ASSERT_TRUE(p->cgroup.has_value());
  EXPECT_EQ(p->cgroup->unified_dir(), cg);
  EXPECT_FALSE(p->freezer.has_value());  // no cgroup.freeze in a plain directory
}

}  // namespace
}  // namespace capsa::test
