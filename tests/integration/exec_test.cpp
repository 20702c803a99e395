// capsa exec: a new process in a running container's namespaces and cgroups.
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class Exec : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    bundle_.emplace(std::vector<std::string>{"/bin/sleep", "300"});
    bundle_->config()["hostname"] = "exec-box";
    bundle_->save();
    id_ = unique_id("exec");
    auto r = capsa(root_.path(), {"run", "-d", "--bundle", bundle_->path(), id_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void TearDown() override {
    if (bundle_) capsa(root_.path(), {"delete", "--force", id_});
  }
  CommandResult exec(std::vector<std::string> args) {
    args.insert(args.begin(), "exec");
    return capsa(root_.path(), args);
  }
  TempDir root_{"capsa-root"};
  std::optional<Bundle> bundle_;
  std::string id_;
};

TEST_F(Exec, RunsInTheContainersNamespacesAndCgroupAndPassesTheExitCode) {
  auto r = exec({id_, "sh", "-c", "hostname; grep '^0::' /proc/self/cgroup; cat /proc/1/comm; test $$ -ne 1 && echo not-init; exit 5"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_EQ(r.out, "exec-box\n0::/\nsleep\nnot-init\n");
}

TEST_F(Exec, FlagsOverrideTheContainersProcessAndTheCommandKeepsItsOwnFlags) {
  auto r = exec({"--user", "1000:1001", "--cwd", "/tmp", "-e", "FOO=bar", "-e", "PATH=/bin", "--additional-gids", "7",
                 id_, "sh", "-c", "echo $(id -u):$(id -g) $(id -G) $(pwd) $FOO $PATH", "-e", "ignored"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1000:1001 1001 7 /tmp bar /bin\n");
}

TEST_F(Exec, CapabilitiesComeFromTheConfigPlusCap) {
  auto r = exec({"--cap", "CAP_NET_ADMIN", id_, "grep", "CapEff", "/proc/self/status"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The config's AUDIT_WRITE (29), KILL (5), NET_BIND_SERVICE (10) and NET_ADMIN (12).
  EXPECT_EQ(r.out, "CapEff:\t0000000020001420\n");
}

TEST_F(Exec, AMissingBinaryFailsBeforeAnythingRuns) {
  auto r = exec({id_, "/bin/no-such-thing"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("exec: \"/bin/no-such-thing\""), std::string::npos) << r.err;
  auto cwd = exec({"--cwd", "/nowhere", id_, "true"});
  EXPECT_EQ(cwd.exit_code, 1);
  EXPECT_NE(cwd.err.find("process.cwd: chdir /nowhere"), std::string::npos) << cwd.err;
}

TEST_F(Exec, ProcessFileIsTheOciProcessObject) {
  std::string file = root_.path() + "/process.json";
  write_file_atomic(file, R"({"args": ["/bin/sh", "-c", "echo $X; pwd"], "env": ["X=from-file"], "cwd": "/etc"})");
  auto r = exec({"--process", file, id_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from-file\n/etc\n");
  write_file_atomic(file, R"({"args": []})");
  auto bad = exec({"--process", file, id_});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find(file + ": args: must not be empty"), std::string::npos) << bad.err;
}

TEST_F(Exec, TtyGivesATerminal) {
  auto r = exec({"-t", id_, "sh", "-c", "tty; test -t 0 && echo tty-in"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("/dev/pts/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tty-in\r\n"), std::string::npos) << r.out;
}

TEST_F(Exec, DetachWritesThePidOfAProcessInTheContainersCgroup) {
  std::string pid_file = root_.path() + "/exec.pid";
  auto r = exec({"-d", "--pid-file", pid_file, id_, "sleep", "30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string pid = read_file(pid_file);
  std::string cg = read_file_or_empty("/proc/" + pid + "/cgroup");
  EXPECT_NE(cg.find("/capsa/" + id_), std::string::npos) << cg;
  auto ps = exec({id_, "ps", "-o", "comm"});
  EXPECT_NE(ps.out.find("sleep\nsleep\n"), std::string::npos) << ps.out;
}

TEST_F(Exec, AStoppedContainerRefuses) {
  ASSERT_EQ(capsa(root_.path(), {"kill", id_, "KILL"}).exit_code, 0);
  ASSERT_TRUE(eventually([&] {
    auto s = capsa(root_.path(), {"state", id_});
    return nlohmann::json::parse(s.out)["status"] == "stopped";
  }));
  auto r = exec({id_, "true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot exec in a stopped container"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace capsa::test
