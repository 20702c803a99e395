// Reading a container's usage from fake cgroup trees laid out as on a pure
// cgroup v2 host and on a hybrid one (v1 controllers, cgroup2 beside them).
#include <gtest/gtest.h>

#include "cgroup/container_cgroup.h"
#include "cgroup/layout.h"
#include "cgroup/usage.h"
#include "common/error.h"
#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

using cgroup::ContainerCgroup;
using cgroup::Hierarchy;
using cgroup::Layout;

class CgroupUsage : public ::testing::Test {
protected:
  // <tmp>/<hierarchy>/capsa/c1, with the given control files.
  std::string leaf(const std::string& hierarchy, const std::map<std::string, std::string>& files) {
    std::string dir = tmp_.path() + "/" + hierarchy + "/capsa/c1";
    make_dirs(dir);
    for (const auto& [name, text] : files) write_file_atomic(dir + "/" + name, text);
    return dir;
  }
  std::string mount(const std::string& hierarchy) const { return tmp_.path() + "/" + hierarchy; }
  TempDir tmp_{"capsa-cgroup-usage"};
};

TEST_F(CgroupUsage, PureV2ReadsCpuStatMemoryCurrentAndPidsCurrent) {
  Layout layout;
  layout.unified = Hierarchy{mount("unified"), {"cpu", "memory", "pids"}, ""};
  std::string dir = leaf("unified", {{"cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n"},
                                     {"memory.current", "1048576\n"},
                                     {"pids.current", "3\n"}});
  auto cg = ContainerCgroup::from_json({{"dirs", {{"unified", dir}}}, {"created", nlohmann::json::array()}});
  auto u = cgroup::read_usage(layout, cg);
  EXPECT_EQ(u.cpu_seconds, 2.5);
  EXPECT_EQ(u.memory_bytes, 1048576);
  EXPECT_EQ(u.pids, 3);
}

TEST_F(CgroupUsage, HybridReadsTheV1Controllers) {
  Layout layout;
  layout.unified = Hierarchy{mount("unified"), {}, ""};
  layout.v1 = {Hierarchy{mount("cpuacct"), {"cpuacct"}, "cpuacct"}, Hierarchy{mount("memory"), {"memory"}, "memory"},
               Hierarchy{mount("pids"), {"pids"}, "pids"}};
  auto cg = ContainerCgroup::from_json(
      {{"dirs",
        {{"unified", leaf("unified", {{"cpu.stat", "usage_usec 1\n"}})},
         {"cpuacct", leaf("cpuacct", {{"cpuacct.usage", "1500000000\n"}})},
         {"memory", leaf("memory", {{"memory.usage_in_bytes", "4096\n"}})},
         {"pids", leaf("pids", {{"pids.current", "1\n"}})}}},
       {"created", nlohmann::json::array()}});
  auto u = cgroup::read_usage(layout, cg);
  EXPECT_EQ(u.cpu_seconds, 1.5);
  EXPECT_EQ(u.memory_bytes, 4096);
  EXPECT_EQ(u.pids, 1);
}

TEST_F(CgroupUsage, V2WithoutMemoryAndPidsControllersStillHasCpu) {
  Layout layout;
  layout.unified = Hierarchy{mount("unified"), {}, ""};
  std::string dir = leaf("unified", {{"cpu.stat", "usage_usec 7000\n"}});
  auto cg = ContainerCgroup::from_json({{"dirs", {{"unified", dir}}}, {"created", nlohmann::json::array()}});
  auto u = cgroup::read_usage(layout, cg);
  EXPECT_EQ(u.cpu_seconds, 0.007);
  EXPECT_FALSE(u.memory_bytes);
  EXPECT_FALSE(u.pids);
}

TEST_F(CgroupUsage, ARemovedCgroupHasNoValues) {
  Layout layout;
  layout.unified = Hierarchy{mount("unified"), {"cpu", "memory", "pids"}, ""};
  auto cg = ContainerCgroup::from_json(
      {{"dirs", {{"unified", tmp_.path() + "/unified/capsa/gone"}}}, {"created", nlohmann::json::array()}});
  auto u = cgroup::read_usage(layout, cg);
  EXPECT_FALSE(u.cpu_seconds);
  EXPECT_FALSE(u.memory_bytes);
  EXPECT_FALSE(u.pids);
}

TEST_F(CgroupUsage, GarbageInAControlFileIsAnErrorNamingTheFile) {
  Layout layout;
  layout.unified = Hierarchy{mount("unified"), {"memory"}, ""};
  std::string dir = leaf("unified", {{"cpu.stat", "usage_usec 1\n"}, {"memory.current", "lots\n"}});
  auto cg = ContainerCgroup::from_json({{"dirs", {{"unified", dir}}}, {"created", nlohmann::json::array()}});
  try {
    cgroup::read_usage(layout, cg);
    FAIL() << "garbage was read as a number";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/memory.current"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace capsa::test
