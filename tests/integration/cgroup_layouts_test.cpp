// capsa on the cgroup layouts users have. This machine is hybrid; a pure v2
// host is emulated in a private mount namespace where /sys/fs/cgroup is the
// cgroup2 hierarchy alone (layout detection reads mountinfo, so capsa sees
// exactly what it would see there).
#include <unistd.h>

#include <gtest/gtest.h>

#include "cgroup/layout.h"
#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class CgroupLayouts : public ::testing::Test {
protected:
  void SetUp() override { CAPSA_REQUIRE_ROOT(); }

  std::string capsa_cmd() const { return std::string(CAPSA_BIN) + " --root " + root_.path(); }
  TempDir root_{"capsa-root"};
};

TEST_F(CgroupLayouts, PureV2ContainerGetsItsOwnCgroup2AndDeleteRemovesIt) {
  Bundle b({"/bin/sh", "-c",
            "grep '^0::' /proc/self/cgroup; test -f /sys/fs/cgroup/cgroup.controllers && echo v2-mounted; "
            "test -d /sys/fs/cgroup/memory || echo no-v1-dirs"});
  std::string id = unique_id("v2");
  auto r = on_pure_cgroup_v2(capsa_cmd() + " run --bundle " + b.path() + " " + id +
                      " && test ! -e /sys/fs/cgroup/capsa/" + id + " && echo cgroup-removed");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // The cgroup namespace roots the container at its own cgroup.
  EXPECT_EQ(r.out, "0::/\nv2-mounted\nno-v1-dirs\ncgroup-removed\n");
}

TEST_F(CgroupLayouts, PureV2LimitWithoutItsControllerFailsNamingTheFieldAndLeavesNothing) {
  auto layout = cgroup::detect_layout();
  if (!layout.unified || layout.unified->controllers.count("pids"))
    GTEST_SKIP() << "needs a host whose cgroup2 hierarchy lacks the pids controller (true on hybrid hosts)";
  Bundle b({"/bin/true"});
  b.config()["linux"]["resources"]["pids"] = {{"limit", 10}};
  b.save();
  std::string id = unique_id("v2lim");
  auto r = on_pure_cgroup_v2(capsa_cmd() + " run --bundle " + b.path() + " " + id + "; echo rc=$?; test -e /sys/fs/cgroup/capsa/" +
                      id + " && echo LEFTOVER; true");
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("LEFTOVER"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("linux.resources.pids.limit: no pids controller on this host"), std::string::npos) << r.err;
  EXPECT_FALSE(path_exists(root_.path() + "/" + id));
}

TEST_F(CgroupLayouts, HostLayoutIsRecognised) {
  auto layout = cgroup::detect_layout();
  EXPECT_NE(layout.kind(), cgroup::LayoutKind::None);
  if (layout.kind() == cgroup::LayoutKind::Hybrid) {
    EXPECT_NE(layout.v1_with("memory"), nullptr);
    EXPECT_NE(layout.v1_with("pids"), nullptr);
  }
}

TEST_F(CgroupLayouts, TheRuntimesParentCgroupGoesWithTheLastContainer) {
  auto layout = cgroup::detect_layout();
  Bundle b({"/bin/true"});
  for (int i = 0; i < 3; ++i) {
    std::string id = unique_id("parent");
    auto r = capsa(root_.path(), {"run", "--bundle", b.path(), id});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Other tests create and delete containers meanwhile, so a parent may be
  // there, in use, or empty for a moment; one left behind stays empty.
  std::vector<std::string> parents;
  for (const auto& h : layout.v1) parents.push_back(h.mount_point + "/capsa");
  if (layout.unified) parents.push_back(layout.unified->mount_point + "/capsa");
  std::string leaked;
  bool clean = eventually(
      [&] {
        for (const auto& p : parents) {
          if (!path_exists(p)) continue;
          auto children = run_command({"/bin/sh", "-c", "ls -d " + p + "/*/ 2>/dev/null"});
          if (children.out.empty()) {
            leaked = p;
            return false;
          }
        }
        return true;
      },
      3000);
  EXPECT_TRUE(clean) << "empty parent cgroup left behind: " << leaked;
}

}  // namespace
}  // namespace capsa::test
