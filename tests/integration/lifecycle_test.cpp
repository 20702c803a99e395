// The container lifecycle through the real capsa binary, against the real
// kernel: exit codes, state transitions, and that delete leaves no trace.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

// A container's pid 1 drops signals it has no handler for: wait until the
// shell has set its trap (it touches /ready) before signalling.
void wait_ready(const Bundle& b) {
  ASSERT_TRUE(eventually([&] { return path_exists(b.rootfs() + "/ready"); }));
  ::unlink((b.rootfs() + "/ready").c_str());
}

class Lifecycle : public ::testing::Test {
protected:
  void SetUp() override { CAPSA_REQUIRE_ROOT(); }
  TempDir root_{"capsa-root"};

  nlohmann::json state(const std::string& id) {
    auto r = capsa(root_.path(), {"state", id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }
  std::string status(const std::string& id) { return state(id).value("status", ""); }
};

TEST_F(Lifecycle, RunPassesTheExitCodeThrough) {
  Bundle b({"/bin/sh", "-c", "exit 7"});
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("exit7")});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  // run removes the container once its process has exited
  auto list = capsa(root_.path(), {"list", "-q"});
  EXPECT_EQ(list.out, "");
}

TEST_F(Lifecycle, RunReportsDeathBySignalAs128PlusSignal) {
  // A container's pid 1 ignores its own SIGKILL: the kill comes from outside.
  Bundle b({"/bin/sleep", "300"});
  std::string id = unique_id("sig");
  CommandResult r;
  std::thread run([&] { r = capsa(root_.path(), {"run", "--bundle", b.path(), id}); });
  bool running = eventually([&] {
    auto s = capsa(root_.path(), {"state", id});
    return s.exit_code == 0 && nlohmann::json::parse(s.out)["status"] == "running";
  });
  EXPECT_TRUE(running);
  EXPECT_EQ(capsa(root_.path(), {"kill", id, "KILL"}).exit_code, 0);
  run.join();
  EXPECT_EQ(r.exit_code, 137) << r.err;
}

TEST_F(Lifecycle, RunForwardsSignalsToTheContainer) {
  Bundle b({"/bin/sh", "-c", "trap 'exit 3' TERM; touch /ready; while true; do sleep 0.05; done"});
  b.config()["root"]["readonly"] = false;
  b.save();
  std::string id = unique_id("fwd");
  CommandResult r;
  std::thread run([&] { r = capsa(root_.path(), {"run", "--bundle", b.path(), id}); });
  wait_ready(b);
  // SIGTERM to the capsa run process itself, as a terminal or supervisor would send.
  auto pids = run_command({"/usr/bin/pgrep", "-f", "run --bundle " + b.path() + " " + id});
  ASSERT_EQ(pids.exit_code, 0);
  ::kill(std::stoi(pids.out), SIGTERM);
  run.join();
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

TEST_F(Lifecycle, StateMovesCreatedRunningStoppedAndDeleteRemovesEveryTrace) {
  Bundle b({"/bin/sleep", "300"});
  std::string id = unique_id("states");
  auto c = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  ASSERT_EQ(c.exit_code, 0) << c.err;

  auto s = state(id);
  EXPECT_EQ(s["status"], "created");
  EXPECT_EQ(s["id"], id);
  EXPECT_EQ(s["bundle"], b.path());
  EXPECT_EQ(s["rootfs"], b.rootfs());
  EXPECT_GT(s["pid"].get<int>(), 0);
  for (const char* key : {"ociVersion", "created", "owner"}) EXPECT_TRUE(s.contains(key)) << key;
  // The init exists but the user's program has not run yet.
  int pid = s["pid"];
  std::string comm = read_file("/proc/" + std::to_string(pid) + "/comm");
  EXPECT_NE(comm, "sleep\n");

  auto st = capsa(root_.path(), {"start", id});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  EXPECT_EQ(status(id), "running");
  EXPECT_TRUE(eventually([&] { return read_file("/proc/" + std::to_string(pid) + "/comm") == "sleep\n"; }));
  EXPECT_NE(capsa(root_.path(), {"start", id}).exit_code, 0) << "second start must fail";

  // Everything the container holds, recorded before it goes away.
  auto internal = nlohmann::json::parse(read_file(root_.path() + "/" + id + "/state.json"));
  std::vector<std::string> cgroup_dirs;
  for (auto& [hierarchy, dir] : internal["cgroup"]["dirs"].items()) cgroup_dirs.push_back(dir);
  ASSERT_FALSE(cgroup_dirs.empty()) << internal.dump(2);
  for (const auto& d : cgroup_dirs) EXPECT_TRUE(path_exists(d)) << d;

  auto del = capsa(root_.path(), {"delete", id});
  EXPECT_NE(del.exit_code, 0) << "delete of a running container needs --force";
  EXPECT_NE(del.err.find("not stopped"), std::string::npos) << del.err;

  ASSERT_EQ(capsa(root_.path(), {"kill", id, "KILL"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return status(id) == "stopped"; }));
  EXPECT_EQ(state(id)["pid"], 0);
  EXPECT_NE(capsa(root_.path(), {"kill", id}).exit_code, 0) << "kill of a stopped container fails";

  auto d = capsa(root_.path(), {"delete", id});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_FALSE(path_exists(root_.path() + "/" + id));
  for (const auto& dir : cgroup_dirs) EXPECT_FALSE(path_exists(dir)) << dir;
  EXPECT_TRUE(mounts_mentioning(b.path()).empty());
  auto gone = capsa(root_.path(), {"state", id});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_NE(gone.err.find("does not exist"), std::string::npos) << gone.err;
}

TEST_F(Lifecycle, DeleteForceKillsARunningContainer) {
  Bundle b({"/bin/sleep", "300"});
  std::string id = unique_id("force");
  ASSERT_EQ(capsa(root_.path(), {"run", "--detach", "--bundle", b.path(), id}).exit_code, 0);
  EXPECT_EQ(status(id), "running");
  auto d = capsa(root_.path(), {"delete", "--force", id});
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_FALSE(path_exists(root_.path() + "/" + id));
}

TEST_F(Lifecycle, DeleteOfACreatedContainerKillsItsInit) {
  Bundle b({"/bin/true"});
  std::string id = unique_id("created-del");
  ASSERT_EQ(capsa(root_.path(), {"create", "--bundle", b.path(), id}).exit_code, 0);
  int pid = state(id)["pid"];
  ASSERT_EQ(capsa(root_.path(), {"delete", id}).exit_code, 0);
  EXPECT_TRUE(eventually([&] {
    auto st = read_file("/proc/" + std::to_string(pid) + "/stat");
    return st.find(") Z") != std::string::npos;
  }) || !path_exists("/proc/" + std::to_string(pid)));
}

TEST_F(Lifecycle, KillAcceptsSignalNamesAndNumbers) {
  Bundle b({"/bin/sh", "-c", "trap 'exit 42' USR1; touch /ready; while true; do sleep 0.05; done"});
  b.config()["root"]["readonly"] = false;
  b.save();
  std::string id = unique_id("kill");
  ASSERT_EQ(capsa(root_.path(), {"run", "-d", "--bundle", b.path(), id}).exit_code, 0);
  wait_ready(b);
  EXPECT_NE(capsa(root_.path(), {"kill", id, "NOPE"}).exit_code, 0);
  ASSERT_EQ(capsa(root_.path(), {"kill", id, "SIGUSR1"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return status(id) == "stopped"; }));
  ASSERT_EQ(capsa(root_.path(), {"delete", id}).exit_code, 0);

  ASSERT_EQ(capsa(root_.path(), {"run", "-d", "--bundle", b.path(), id}).exit_code, 0);
  ASSERT_EQ(capsa(root_.path(), {"kill", id, "9"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return status(id) == "stopped"; }));
  ASSERT_EQ(capsa(root_.path(), {"delete", id}).exit_code, 0);
}

TEST_F(Lifecycle, CreateWritesThePidFile) {
  Bundle b({"/bin/true"});
  std::string id = unique_id("pidfile");
  std::string pid_file = b.path() + "/init.pid";
  ASSERT_EQ(capsa(root_.path(), {"create", "--bundle", b.path(), "--pid-file", pid_file, id}).exit_code, 0);
  EXPECT_EQ(read_file(pid_file), std::to_string(state(id)["pid"].get<int>()));
  EXPECT_EQ(capsa(root_.path(), {"delete", "--force", id}).exit_code, 0);
}

TEST_F(Lifecycle, ListShowsTableAndJson) {
  Bundle b({"/bin/sleep", "300"});
  std::string id = unique_id("list");
  ASSERT_EQ(capsa(root_.path(), {"create", "--bundle", b.path(), id}).exit_code, 0);
  auto table = capsa(root_.path(), {"list"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_EQ(table.out.rfind("ID ", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("PID"), std::string::npos);
  EXPECT_NE(table.out.find(id), std::string::npos);
  EXPECT_NE(table.out.find("created"), std::string::npos);
  auto js = capsa(root_.path(), {"list", "--format", "json"});
  ASSERT_EQ(js.exit_code, 0);
  auto arr = nlohmann::json::parse(js.out);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["id"], id);
  EXPECT_EQ(arr[0]["status"], "created");
  EXPECT_EQ(arr[0]["owner"], "root");
  EXPECT_EQ(capsa(root_.path(), {"delete", id}).exit_code, 0);
}

TEST_F(Lifecycle, ParallelCreatesOfOneIdLetExactlyOneWin) {
  Bundle b({"/bin/true"});
  std::string id = unique_id("race");
  std::vector<std::thread> threads;
  std::vector<int> codes(4, -1);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] { codes[i] = capsa(root_.path(), {"create", "--bundle", b.path(), id}).exit_code; });
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), 0), 1);
  EXPECT_EQ(status(id), "created");
  EXPECT_EQ(capsa(root_.path(), {"delete", id}).exit_code, 0);
}

TEST_F(Lifecycle, LogFileGetsJsonErrorLines) {
  std::string log = root_.path() + "/capsa.log";
  auto r = capsa(root_.path(), {"--log", log, "--log-format", "json", "state", "no-such-container"});
  EXPECT_EQ(r.exit_code, 1);
  auto line = nlohmann::json::parse(read_file(log).substr(0, read_file(log).find('\n')));
  EXPECT_EQ(line["level"], "error");
  EXPECT_NE(line["msg"].get<std::string>().find("does not exist"), std::string::npos);
  EXPECT_TRUE(line.contains("time"));
}

}  // namespace
}  // namespace capsa::test
