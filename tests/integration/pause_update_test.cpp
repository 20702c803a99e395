// capsa pause / resume (cgroup freezer) and capsa update (cgroup resources)
// on running containers, checked through the kernel's own files.
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class RunningContainer : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    // A counter the host can read in the rootfs: it stands still only if
    // every process of the container is frozen.
    bundle_.emplace(std::vector<std::string>{"/bin/sh", "-c",
                                             "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.02; done"});
    bundle_->config()["root"]["readonly"] = false;
    bundle_->save();
    id_ = unique_id("pause");
    auto r = capsa(root_.path(), {"run", "-d", "--bundle", bundle_->path(), id_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void TearDown() override {
    if (bundle_) capsa(root_.path(), {"delete", "--force", id_});
  }
  std::string status() {
    auto r = capsa(root_.path(), {"state", id_});
    if (r.exit_code != 0) return "error: " + r.err;
    return nlohmann::json::parse(r.out)["status"];
  }
  std::string count() { return read_file_or_empty(bundle_->rootfs() + "/tmp/count"); }
  // The container's directory of a controller, from the state capsa keeps.
  std::string cgroup_file(const std::string& v1_key, const std::string& v1_file, const std::string& v2_file) {
    auto st = nlohmann::json::parse(read_file(root_.path() + "/" + id_ + "/state.json"));
    auto dirs = st["cgroup"]["dirs"];
    for (auto& [key, dir] : dirs.items()) {
      if (key == "unified") continue;
      std::string d = dir;
      if (key.find(v1_key) != std::string::npos && path_exists(d + "/" + v1_file)) return d + "/" + v1_file;
    }
    return dirs["unified"].get<std::string>() + "/" + v2_file;
  }
  TempDir root_{"capsa-root"};
  std::optional<Bundle> bundle_;
  std::string id_;
};

TEST_F(RunningContainer, PauseFreezesEveryProcessAndResumeThawsThem) {
  ASSERT_TRUE(eventually([&] { return !count().empty(); }));
  auto p = capsa(root_.path(), {"pause", id_});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(status(), "paused");
  auto list = capsa(root_.path(), {"list", "--format", "json"});
  EXPECT_NE(list.out.find("\"paused\""), std::string::npos) << list.out;
  std::string frozen_at = count();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(count(), frozen_at);

  // runc's refusals for the wrong status.
  auto again = capsa(root_.path(), {"pause", id_});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already paused"), std::string::npos) << again.err;
  auto exec = capsa(root_.path(), {"exec", id_, "true"});
  EXPECT_EQ(exec.exit_code, 1);
  EXPECT_NE(exec.err.find("cannot exec in a paused container"), std::string::npos) << exec.err;
  auto del = capsa(root_.path(), {"delete", id_});
  EXPECT_EQ(del.exit_code, 1);
  EXPECT_NE(del.err.find("that is not stopped: paused"), std::string::npos) << del.err;

  auto r = capsa(root_.path(), {"resume", id_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(status(), "running");
  EXPECT_TRUE(eventually([&] { return count() != frozen_at; }));
  auto not_paused = capsa(root_.path(), {"resume", id_});
  EXPECT_EQ(not_paused.exit_code, 1);
  EXPECT_NE(not_paused.err.find("container not paused"), std::string::npos) << not_paused.err;
}

TEST_F(RunningContainer, DeleteForceRemovesAPausedContainer) {
  ASSERT_EQ(capsa(root_.path(), {"pause", id_}).exit_code, 0);
  std::string cg = cgroup_file("pids", "pids.max", "cgroup.procs");
  auto del = capsa(root_.path(), {"delete", "--force", id_});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_FALSE(path_exists(cg));
  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");
  bundle_.reset();
}

TEST_F(RunningContainer, UpdateFromFlagsWritesTheCgroupFiles) {
  auto r = capsa(root_.path(), {"update", "--memory", "64m", "--pids-limit", "50", "--cpu-quota", "50000",
                                "--cpu-period", "100000", id_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string mem = cgroup_file("memory", "memory.limit_in_bytes", "memory.max");
  EXPECT_EQ(read_file(mem), "67108864\n") << mem;
  EXPECT_EQ(read_file(cgroup_file("pids", "pids.max", "pids.max")), "50\n");
  std::string quota = cgroup_file("cpu", "cpu.cfs_quota_us", "cpu.max");
  EXPECT_EQ(read_file(quota), quota.find("cpu.max") != std::string::npos ? "50000 100000\n" : "50000\n");

  auto unlimited = capsa(root_.path(), {"update", "--pids-limit", "-1", id_});
  EXPECT_EQ(unlimited.exit_code, 0) << unlimited.err;
  EXPECT_EQ(read_file(cgroup_file("pids", "pids.max", "pids.max")), "max\n");
}

TEST_F(RunningContainer, UpdateFromAResourcesFileAndItsErrors) {
  TempDir dir("capsa-update");
  std::string file = dir.path() + "/resources.json";
  write_file_atomic(file, R"({"pids": {"limit": 77}, "memory": {"limit": 33554432}})", 0644);
  auto r = capsa(root_.path(), {"update", "-r", file, id_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(cgroup_file("pids", "pids.max", "pids.max")), "77\n");
  EXPECT_EQ(read_file(cgroup_file("memory", "memory.limit_in_bytes", "memory.max")), "33554432\n");

  write_file_atomic(file, R"({"pids": {"limit": "lots"}})", 0644);
  auto bad = capsa(root_.path(), {"update", "-r", file, id_});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find(file + ": pids.limit: expected integer, got string"), std::string::npos) << bad.err;
  auto size = capsa(root_.path(), {"update", "--memory", "lots", id_});
  EXPECT_EQ(size.exit_code, 1);
  EXPECT_NE(size.err.find("--memory: invalid size \"lots\""), std::string::npos) << size.err;
  auto rdt = capsa(root_.path(), {"update", "--l3-cache-schema", "L3:0=f", id_});
  EXPECT_EQ(rdt.exit_code, 1);
  EXPECT_NE(rdt.err.find("--l3-cache-schema: Intel RDT is not supported"), std::string::npos) << rdt.err;
  // A failed update changes nothing.
  EXPECT_EQ(read_file(cgroup_file("pids", "pids.max", "pids.max")), "77\n");
}

}  // namespace
}  // namespace capsa::test
