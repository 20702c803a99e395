// The walk the policy enforcer and the telemetry make over the cgroups a
// container made beneath its own (cgroup/cgroups_beneath), on this host's
// real cgroup2 hierarchy.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bpf/cgroup_id.h"
#include "cgroup/cgroups_beneath.h"
#include "cgroup/layout.h"
#include "common/error.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class CgroupsBeneath : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    auto layout = cgroup::detect_layout();
    if (!layout.unified) GTEST_SKIP() << "needs a cgroup2 hierarchy; this host has none mounted";
    top_ = layout.unified->mount_point + "/capsa-walk-" + std::to_string(::getpid());
    if (::mkdir(top_.c_str(), 0755) != 0 && (errno == EROFS || errno == EACCES))
      GTEST_SKIP() << "cannot make a cgroup under " << layout.unified->mount_point << ": " << errno_text(errno);
    for (const char* d : {"/a", "/a/x", "/b", "/b/y", "/c", "/d"})
      ASSERT_EQ(::mkdir((top_ + d).c_str(), 0755), 0) << top_ + d << ": " << errno_text(errno);
  }
  void TearDown() override {
    if (top_.empty()) return;
    for (const char* d : {"/a/x", "/a", "/b/y", "/b", "/c", "/d", ""}) ::rmdir((top_ + d).c_str());
  }
  std::string rel(const std::string& path) const { return path.substr(top_.size() + 1); }

  std::string top_;
};

TEST_F(CgroupsBeneath, ParentsComeBeforeTheirChildrenAndFalseLeavesOutWhatIsBeneath) {
  std::vector<std::string> seen;
  cgroup::for_each_cgroup_beneath(top_, "test", [&](const std::string& path, uint64_t id) {
    EXPECT_EQ(id, bpf::cgroup_id_of(path)) << path;
    seen.push_back(rel(path));
    return rel(path) != "b";  // a nested container: its own
  });
  std::set<std::string> got(seen.begin(), seen.end());
  EXPECT_EQ(got, (std::set<std::string>{"a", "a/x", "b", "c", "d"}));
  EXPECT_EQ(seen.size(), got.size()) << "visited twice";
  auto at = [&](const std::string& s) { return std::find(seen.begin(), seen.end(), s) - seen.begin(); };
  EXPECT_LT(at("a"), at("a/x"));
}

// A container making and removing cgroups must not end the walk early:
// the first cgroup visited is removed before the walk goes beneath it.
TEST_F(CgroupsBeneath, ACgroupRemovedMidWalkIsSkippedAndTheRestAreVisited) {
  std::vector<std::string> seen;
  std::string removed;
  cgroup::for_each_cgroup_beneath(top_, "test", [&](const std::string& path, uint64_t) {
    seen.push_back(rel(path));
    if (removed.empty()) {
      removed = rel(path);
      for (const char* child : {"/x", "/y"}) ::rmdir((path + child).c_str());
      EXPECT_EQ(::rmdir(path.c_str()), 0) << path << ": " << errno_text(errno);
    }
    return true;
  });
  std::set<std::string> want{"a", "a/x", "b", "b/y", "c", "d"};
  for (auto it = want.begin(); it != want.end();)
    it = it->rfind(removed + "/", 0) == 0 ? want.erase(it) : std::next(it);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), want) << "removed " << removed;
}

}  // namespace
}  // namespace capsa::test
