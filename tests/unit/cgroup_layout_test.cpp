#include <gtest/gtest.h>

#include "cgroup/container_cgroup.h"
#include "cgroup/layout.h"
#include "common/error.h"

namespace capsa::cgroup {
namespace {

std::string controllers_of(const std::string&) { return "cpuset cpu io memory hugetlb pids rdma misc\n"; }

constexpr const char* kPureV2 =
    "24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "29 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

// This machine: v1 controllers (cpu and cpuacct apart) plus cgroup2 at unified.
constexpr const char* kHybrid =
    "30 25 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "33 30 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "34 30 0:31 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "35 30 0:32 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "36 30 0:33 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "37 36 0:33 /some/child /mnt/bind rw,relatime - cgroup2 cgroup2 rw\n";

constexpr const char* kLegacy =
    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:2 - cgroup cgroup rw,cpu,cpuacct\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuset rw,relatime shared:3 - cgroup cgroup rw,cpuset,clone_children\n"
    "33 30 0:30 / /sys/fs/cgroup/with\\040space rw,relatime - cgroup cgroup rw,memory\n";

TEST(CgroupLayout, PureV2) {
  auto l = parse_layout(kPureV2, controllers_of);
  EXPECT_EQ(l.kind(), LayoutKind::Unified);
  ASSERT_TRUE(l.unified);
  EXPECT_EQ(l.unified->mount_point, "/sys/fs/cgroup");
  EXPECT_TRUE(l.v2_has("memory"));
  EXPECT_TRUE(l.v2_has("pids"));
  EXPECT_EQ(l.v1_with("memory"), nullptr);
}

TEST(CgroupLayout, HybridLikeThisMachine) {
  auto l = parse_layout(kHybrid, [](const std::string&) { return std::string("hugetlb\n"); });
  EXPECT_EQ(l.kind(), LayoutKind::Hybrid);
  EXPECT_EQ(l.unified->mount_point, "/sys/fs/cgroup/unified");
  EXPECT_FALSE(l.v2_has("memory"));
  EXPECT_TRUE(l.v2_has("hugetlb"));
  ASSERT_EQ(l.v1.size(), 5u);
  ASSERT_NE(l.v1_with("memory"), nullptr);
  EXPECT_EQ(l.v1_with("memory")->mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(l.v1_with("cpu")->mount_options, "cpu");
  EXPECT_EQ(l.v1[4].mount_options, "name=systemd");
  EXPECT_TRUE(l.v1[4].controllers.empty());
}

TEST(CgroupLayout, LegacyWithJoinedControllersAndEscapes) {
  auto l = parse_layout(kLegacy, controllers_of);
  EXPECT_EQ(l.kind(), LayoutKind::Legacy);
  EXPECT_EQ(l.v1_with("cpuacct")->mount_options, "cpu,cpuacct");
  EXPECT_EQ(l.v1_with("cpuset")->mount_options, "cpuset");
  EXPECT_EQ(l.v1_with("memory")->mount_point, "/sys/fs/cgroup/with space");
}

TEST(CgroupLayout, ProcSelfCgroup) {
  auto m = parse_proc_cgroup("9:name=systemd:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/user.slice\n");
  EXPECT_EQ(m.at("memory"), "/process_api/abc");
  EXPECT_EQ(m.at("cpu,cpuacct"), "/x");
  EXPECT_EQ(m.at("name=systemd"), "/");
  EXPECT_EQ(m.at(""), "/user.slice");
}

TEST(CgroupPath, DefaultAbsoluteRelativeAndEscapes) {
  std::map<std::string, std::string> self = {{"memory", "/process_api/abc"}, {"", "/"}};
  EXPECT_EQ(resolve_cgroup_path("", "c1", self, "memory"), "/capsa/c1");
  EXPECT_EQ(resolve_cgroup_path("/a/b/", "c1", self, "memory"), "/a/b");
  EXPECT_EQ(resolve_cgroup_path("k/c1", "c1", self, "memory"), "/process_api/abc/k/c1");
  EXPECT_EQ(resolve_cgroup_path("k/c1", "c1", self, ""), "/k/c1");
  EXPECT_THROW(resolve_cgroup_path("/a/../../etc", "c1", self, ""), Error);
  EXPECT_THROW(resolve_cgroup_path("/", "c1", self, ""), Error);
}

TEST(CgroupConvert, SharesToWeightMatchesRunc) {
  EXPECT_EQ(shares_to_weight(2), 1u);
  EXPECT_EQ(shares_to_weight(1024), 39u);
  EXPECT_EQ(shares_to_weight(262144), 10000u);
  EXPECT_EQ(shares_to_weight(0), 0u);
}

}  // namespace
}  // namespace capsa::cgroup
