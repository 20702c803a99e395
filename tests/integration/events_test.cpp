// capsa events: runc's JSON lines, stats from the container's cgroup and
// "oom" when the kernel's OOM killer acts inside it.
#include <sstream>

#include <gtest/gtest.h>

#include "test_env.h"

namespace capsa::test {
namespace {

std::vector<nlohmann::json> lines(const std::string& out) {
  std::vector<nlohmann::json> v;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) v.push_back(nlohmann::json::parse(l));
  return v;
}

class Events : public ::testing::Test {
protected:
  void SetUp() override { CAPSA_REQUIRE_ROOT(); }
  TempDir root_{"capsa-root"};
};

TEST_F(Events, StatsOnceReportsTheContainersCgroup) {
  Bundle b({"/bin/sleep", "300"});
  b.config()["linux"]["resources"] = {{"pids", {{"limit", 123}}}, {"memory", {{"limit", 268435456}}}};
  b.save();
  std::string id = unique_id("events");
  ASSERT_EQ(capsa(root_.path(), {"run", "-d", "--bundle", b.path(), id}).exit_code, 0);
  auto r = capsa(root_.path(), {"events", "--stats", id});
  capsa(root_.path(), {"delete", "--force", id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ev = lines(r.out);
  ASSERT_EQ(ev.size(), 1u) << r.out;
  EXPECT_EQ(ev[0]["type"], "stats");
  EXPECT_EQ(ev[0]["id"], id);
  const auto& d = ev[0]["data"];
  EXPECT_GE(d["pids"]["current"].get<uint64_t>(), 1u);
  EXPECT_EQ(d["pids"]["limit"], 123);
  EXPECT_GT(d["memory"]["usage"]["usage"].get<uint64_t>(), 0u);
  EXPECT_EQ(d["memory"]["usage"]["limit"], 268435456);
  EXPECT_GT(d["cpu"]["usage"]["total"].get<uint64_t>(), 0u);
}

TEST_F(Events, TheStreamReportsAnOomKillAndEndsWithTheContainer) {
  // dd's 64 MiB buffer cannot fit under a 16 MiB limit: the OOM killer takes
  // dd, the shell lives on for a moment, then the container ends.
  Bundle b({"/bin/sh", "-c", "sleep 0.5; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 0.5"});
  b.config()["linux"]["resources"] = {{"memory", {{"limit", 16777216}, {"swap", 16777216}}}};
  b.save();
  std::string id = unique_id("events-oom");
  auto run = capsa(root_.path(), {"run", "-d", "--bundle", b.path(), id});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto r = capsa(root_.path(), {"events", "--interval", "100ms", id});
  capsa(root_.path(), {"delete", "--force", id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ev = lines(r.out);
  size_t stats = 0, ooms = 0;
  for (const auto& e : ev) {
    EXPECT_EQ(e["id"], id);
    stats += e["type"] == "stats";
    ooms += e["type"] == "oom";
  }
  EXPECT_GE(stats, 3u) << r.out;
  EXPECT_EQ(ooms, 1u) << r.out;
}

TEST_F(Events, BadIntervalAndUnknownContainerFailClearly) {
  auto bad = capsa(root_.path(), {"events", "--interval", "soon", "x"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--interval: expected a duration"), std::string::npos) << bad.err;
  auto missing = capsa(root_.path(), {"events", "--stats", "no-such"});
  EXPECT_EQ(missing.exit_code, 1);
}

}  // namespace
}  // namespace capsa::test
