// What a process inside a capsa container sees: its own pid 1, hostname,
// root file system, and the cgroup limits from config.json.
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "cgroup/layout.h"
#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class Isolation : public ::testing::Test {
protected:
  void SetUp() override { CAPSA_REQUIRE_ROOT(); }
  TempDir root_{"capsa-root"};

  // Runs `sh -c script` in a fresh container; returns its stdout.
  CommandResult sh(const std::string& script, const std::function<void(nlohmann::json&)>& edit = {}) {
    Bundle b({"/bin/sh", "-c", script});
    if (edit) {
      edit(b.config());
      b.save();
    }
    return capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("iso")});
  }
};

TEST_F(Isolation, TheProcessIsPid1) {
  // `read` is a builtin: /proc/self is the shell itself.
  auto r = sh("echo $$; read pid rest < /proc/self/stat; echo $pid");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n1\n");
}

TEST_F(Isolation, HostnameIsTheConfiguredOne) {
  auto r = sh("hostname", [](nlohmann::json& c) { c["hostname"] = "capsa-box-7"; });
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "capsa-box-7\n");
}

TEST_F(Isolation, RootIsTheBundleRootfsAndHostFilesAreUnreachable) {
  std::string secret = "/tmp/capsa-host-secret-" + std::to_string(::getpid());
  write_file_atomic(secret, "host only");
  Bundle b({"/bin/sh", "-c",
            "cat /bundle-marker; test -e " + secret + " && echo LEAK; "
            "ls /proc/1/root/ | grep -qx bundle-marker && echo own-root; "
            "test -e /proc/1/root/" + secret + " && echo LEAK2; "
            "awk '$5 == \"/\"' /proc/self/mountinfo | wc -l"});
  write_file_atomic(b.rootfs() + "/bundle-marker", "from the bundle\n");
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("root")});
  ::unlink(secret.c_str());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from the bundle\nown-root\n1\n");
}

TEST_F(Isolation, NoPivotMovesTheRootfsOverSlashAndChroots) {
  std::string secret = "/tmp/capsa-host-secret-np-" + std::to_string(::getpid());
  write_file_atomic(secret, "host only");
  Bundle b({"/bin/sh", "-c",
            "cat /bundle-marker; test -e " + secret + " && echo LEAK; "
            "ls /proc/1/root/ | grep -qx bundle-marker && echo own-root; echo done"});
  write_file_atomic(b.rootfs() + "/bundle-marker", "from the bundle\n");
  auto r = capsa(root_.path(), {"run", "--no-pivot", "--bundle", b.path(), unique_id("nopivot")});
  ::unlink(secret.c_str());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from the bundle\nown-root\ndone\n");
}

TEST_F(Isolation, ArgsEnvCwdAndUserAreApplied) {
  auto r = sh("echo \"$FOO\"; pwd; id -u; id -g", [](nlohmann::json& c) {
    c["process"]["env"].push_back("FOO=bar baz");
    c["process"]["cwd"] = "/tmp";
    c["process"]["user"] = {{"uid", 1234}, {"gid", 5678}};
  });
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "bar baz\n/tmp\n1234\n5678\n");
}

TEST_F(Isolation, SysIsReadOnlyAndDevHasTheStandardNodes) {
  auto r = sh("touch /sys/x 2>/dev/null && echo sys-writable; "
              "for d in null zero full random urandom tty; do test -c /dev/$d || echo missing-$d; done; "
              "test -d /dev/pts && test -d /dev/shm && test -d /dev/mqueue && echo dev-ok; "
              "echo hi > /dev/null && echo null-ok");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "dev-ok\nnull-ok\n");
}

TEST_F(Isolation, MemoryLimitIsVisibleInTheContainersCgroupFiles) {
  auto layout = cgroup::detect_layout();
  // On cgroup v2 the limit is memory.max; on v1 (and this hybrid host) memory.limit_in_bytes.
  bool v2_memory = layout.unified && layout.unified->controllers.count("memory");
  std::string file = v2_memory ? "/sys/fs/cgroup/memory.max"
                               : "/sys/fs/cgroup/memory/memory.limit_in_bytes";
  if (!v2_memory && layout.unified && !layout.v1.empty()) file = "/sys/fs/cgroup/memory/memory.limit_in_bytes";
  auto r = sh("cat " + file, [](nlohmann::json& c) {
    c["linux"]["resources"]["memory"] = {{"limit", 64 * 1024 * 1024}};
  });
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "67108864\n");
}

TEST_F(Isolation, ExceedingThePidsLimitFails) {
  auto r = sh("spawn_n 20", [](nlohmann::json& c) { c["linux"]["resources"]["pids"] = {{"limit", 8}}; });
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("Resource temporarily unavailable"), std::string::npos) << r.out;
  auto ok = sh("spawn_n 5", [](nlohmann::json& c) { c["linux"]["resources"]["pids"] = {{"limit", 8}}; });
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
}

TEST_F(Isolation, NetworkNamespaceHasOnlyLoopbackAndItIsUp) {
  // flags 0x9 = IFF_UP | IFF_LOOPBACK
  auto r = sh("ls /sys/class/net; cat /sys/class/net/lo/flags");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "lo\n0x9\n");
}

TEST_F(Isolation, CapabilitiesAreLimitedToTheConfiguredSets) {
  auto r = sh("grep CapEff /proc/self/status; grep CapBnd /proc/self/status", [](nlohmann::json& c) {
    c["process"]["capabilities"] = {{"bounding", {"CAP_KILL", "CAP_CHOWN"}},
                                    {"effective", {"CAP_KILL"}},
                                    {"permitted", {"CAP_KILL"}}};
  });
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // CAP_KILL is bit 5, CAP_CHOWN bit 0.
  EXPECT_EQ(r.out, "CapEff:\t0000000000000020\nCapBnd:\t0000000000000021\n");
}

}  // namespace
}  // namespace capsa::test
