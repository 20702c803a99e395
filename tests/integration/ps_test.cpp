// capsa ps: the processes in a container's cgroup, as runc prints them
// (containerd's shim reads `ps --format json`).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_env.h"

namespace capsa::test {
namespace {

class Ps : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    // Two processes: the init (sh) and a child; `exec` adds a third later.
    bundle_.emplace(std::vector<std::string>{"/bin/sh", "-c", "sleep 300 & wait"});
    id_ = unique_id("ps");
    auto r = capsa(root_.path(), {"run", "-d", "--bundle", bundle_->path(), id_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void TearDown() override {
    if (bundle_) capsa(root_.path(), {"delete", "--force", id_});
  }
  int init_pid() {
    return nlohmann::json::parse(capsa(root_.path(), {"state", id_}).out)["pid"].get<int>();
  }
  TempDir root_{"capsa-root"};
  std::optional<Bundle> bundle_;
  std::string id_;
};

TEST_F(Ps, JsonIsTheHostPidsOfTheContainersCgroup) {
  std::vector<int> pids;
  ASSERT_TRUE(eventually(
      [&] {
        auto r = capsa(root_.path(), {"ps", "--format", "json", id_});
        if (r.exit_code != 0) return false;
        pids = nlohmann::json::parse(r.out).get<std::vector<int>>();
        return pids.size() == 2;
      },
      5000));
  EXPECT_NE(std::find(pids.begin(), pids.end(), init_pid()), pids.end());
  EXPECT_EQ(std::find(pids.begin(), pids.end(), static_cast<int>(::getpid())), pids.end());
}

TEST_F(Ps, TableKeepsTheHeaderAndOnlyTheContainersLinesAndPassesPsArguments) {
  ASSERT_TRUE(eventually([&] { return capsa(root_.path(), {"ps", id_}).out.find("sleep 300") != std::string::npos; },
                         5000));
  auto r = capsa(root_.path(), {"ps", id_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("UID", 0), 0u) << r.out;  // ps -ef's header
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
  // ps(1)'s own flags after the id are not capsa's.
  r = capsa(root_.path(), {"ps", id_, "-o", "pid,comm"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(std::to_string(init_pid()) + " sh"), std::string::npos) << r.out;
}

TEST_F(Ps, BadInputFailsWithAReason) {
  auto r = capsa(root_.path(), {"ps", "no-such-container"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("container does not exist: no-such-container"), std::string::npos) << r.err;
  r = capsa(root_.path(), {"ps", "--format", "json", id_, "aux"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("only go with --format table"), std::string::npos) << r.err;
  r = capsa(root_.path(), {"ps", "--format", "yaml", id_});
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace capsa::test
