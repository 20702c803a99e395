// linux.resources.devices on a real kernel: the same rules give the same
// verdicts through v1's devices controller (this hybrid host) and through
// the per-container cgroup/dev program (a pure v2 host, emulated in a private
// mount namespace as in cgroup_layouts_test.cpp).
#include <gtest/gtest.h>

#include "cgroup/layout.h"
#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

// Opens each device for reading or writing and prints "<path> <r|w> ok" or
// the errno text; the nodes the rules are about are made with mknod first
// (allowed by the default "c *:* m" and "b *:* m").
const char* kProbe = R"SH(
v() { case "$1" in *"not permitted"*) echo EPERM;; *) echo "$1";; esac; }
rd() { if m=$( (exec 3<"$1") 2>&1 ); then echo "$1 r ok"; else echo "$1 r $(v "$m")"; fi; }
wr() { if m=$( (exec 3>"$1") 2>&1 ); then echo "$1 w ok"; else echo "$1 w $(v "$m")"; fi; }
mknod /dev/loop0 b 7 0 && mknod /dev/loop1 b 7 1 && mknod /dev/loop-control c 10 237 || echo mknod-failed
echo "zero $(head -c 4 /dev/zero | wc -c)"
wr /dev/null; rd /dev/zero; rd /dev/urandom
rd /dev/fuse; wr /dev/fuse
rd /dev/loop0; wr /dev/loop0
rd /dev/loop1
rd /dev/loop-control
)SH";

const char* kVerdicts =
    "zero 4\n"
    "/dev/null w ok\n/dev/zero r ok\n/dev/urandom r ok\n"  // runc's defaults
    "/dev/fuse r ok\n/dev/fuse w ok\n"                      // linux.devices: usable
    "/dev/loop0 r ok\n/dev/loop0 w EPERM\n"                 // allowed for r only
    "/dev/loop1 r EPERM\n"                                  // never allowed
    "/dev/loop-control r EPERM\n";                          // allowed, then denied: the deny wins

// The list v1's devices.list shows for that config: deny all, then these
// exceptions (the reduced rules, sorted).
const char* kDevicesList =
    "b *:* m\nb 7:0 r\nc *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 5:2 rwm\n"
    "c 10:229 rwm\nc 136:* rwm\n";

class Devices : public ::testing::Test {
protected:
  void SetUp() override { CAPSA_REQUIRE_ROOT(); }

  // A bundle with the rules of kVerdicts, running `args`.
  static void configure(Bundle& b) {
    auto& c = b.config();
    for (const char* set : {"bounding", "effective", "permitted"})
      c["process"]["capabilities"][set].push_back("CAP_MKNOD");
    c["linux"]["devices"] = {{{"path", "/dev/fuse"}, {"type", "c"}, {"major", 10}, {"minor", 229}, {"fileMode", 0666}}};
    auto& d = c["linux"]["resources"]["devices"];
    ASSERT_EQ(d.size(), 1u);  // capsa spec's deny-all
    d.push_back({{"allow", true}, {"type", "b"}, {"major", 7}, {"minor", 0}, {"access", "r"}});
    d.push_back({{"allow", true}, {"type", "c"}, {"major", 10}, {"minor", 237}, {"access", "rwm"}});
    d.push_back({{"allow", false}, {"type", "c"}, {"major", 10}, {"minor", 237}, {"access", "rwm"}});
    b.save();
  }

  std::string capsa_cmd() const { return std::string(CAPSA_BIN) + " --root " + root_.path(); }
  TempDir root_{"capsa-root"};
};

TEST_F(Devices, HostLayoutEnforcesTheRulesInOrder) {
  Bundle b({"/bin/sh", "-c", kProbe});
  configure(b);
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("dev")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kVerdicts) << r.err;
}

TEST_F(Devices, V1DevicesListHoldsTheReducedRules) {
  auto layout = cgroup::detect_layout();
  auto* h = layout.v1_with("devices");
  if (!h) GTEST_SKIP() << "no v1 devices hierarchy on this host";
  Bundle b({"/bin/sleep", "100"});
  configure(b);
  std::string id = unique_id("devlist");
  auto c = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  std::string dir = h->mount_point + "/capsa/" + id;
  EXPECT_EQ(read_file_or_empty(dir + "/devices.list"), kDevicesList);
  auto d = capsa(root_.path(), {"delete", "--force", id});
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_FALSE(path_exists(dir));
}

TEST_F(Devices, PureV2EnforcesTheSameRulesWithABpfProgram) {
  Bundle b({"/bin/sh", "-c", kProbe});
  configure(b);
  std::string id = unique_id("devv2");
  auto r = on_pure_cgroup_v2(capsa_cmd() + " run --bundle " + b.path() + " " + id);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kVerdicts) << r.err;
}

TEST_F(Devices, PureV2ProgramIsAttachedToTheContainerCgroupAndGoesWithIt) {
  Bundle b({"/bin/sleep", "100"});
  configure(b);
  std::string id = unique_id("devprog");
  std::string dir = "/sys/fs/cgroup/capsa/" + id;
  auto r = on_pure_cgroup_v2(
      capsa_cmd() + " create --bundle " + b.path() + " " + id + " >/dev/null || exit 1\n" +
      "bpftool cgroup list " + dir + " | tail -n +2\n" +
      "prog=$(bpftool -j cgroup list " + dir + " | sed -n 's/.*\"id\":\\([0-9]*\\).*/\\1/p')\n" +
      "test -n \"$prog\" || { echo no-program; exit 1; }\n" +
      capsa_cmd() + " delete --force " + id + " || exit 1\n" +
      "test -e " + dir + " && echo cgroup-left\n" +
      // The kernel frees a removed cgroup's programs from a workqueue.
      "for i in $(seq 100); do bpftool prog show id $prog >/dev/null 2>&1 || { echo program-freed; exit 0; }; "
      "sleep 0.1; done; echo program-left; exit 1\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("cgroup_device"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("multi"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("capsa_oci_dev"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("cgroup-left"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("program-freed"), std::string::npos) << r.out;
}

TEST_F(Devices, PureV2BadRuleFailsCreateNamingTheFieldAndLeavesNothing) {
  Bundle b({"/bin/true"});
  auto& d = b.config()["linux"]["resources"]["devices"];
  d.push_back({{"allow", true}, {"type", "c"}, {"major", 10}, {"access", "rw"}});
  d.push_back({{"allow", false}, {"type", "c"}, {"major", 10}, {"minor", 229}, {"access", "w"}});
  b.save();
  std::string id = unique_id("devbad");
  auto r = on_pure_cgroup_v2(capsa_cmd() + " create --bundle " + b.path() + " " + id +
                      "; echo rc=$?; test -e /sys/fs/cgroup/capsa/" + id + " && echo LEFTOVER; true");
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("LEFTOVER"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("linux.resources.devices[2]: denying c 10:229 w"), std::string::npos) << r.err;
  EXPECT_FALSE(path_exists(root_.path() + "/" + id));
}

// 246 rules + the 10 defaults fill the map exactly: the verifier must accept
// the loop at its bound.
TEST_F(Devices, PureV2LoadsAFullRuleMap) {
  Bundle b({"/bin/sh", "-c", "head -c 1 /dev/zero | wc -c"});
  auto& d = b.config()["linux"]["resources"]["devices"];
  for (int i = 0; i < 246; ++i) d.push_back({{"allow", true}, {"type", "c"}, {"major", 240}, {"minor", i}, {"access", "r"}});
  b.save();
  auto r = on_pure_cgroup_v2(capsa_cmd() + " run --bundle " + b.path() + " " + unique_id("devfull"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n") << r.err;
}

TEST_F(Devices, UpdateIgnoresDeviceRulesWithAWarningAsRuncDoes) {
  Bundle b({"/bin/sleep", "100"});
  std::string id = unique_id("devupd");
  auto c = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  TempDir tmp;
  write_file_atomic(tmp.path() + "/r.json", R"({"devices": [{"allow": true, "access": "rwm"}], "pids": {"limit": 50}})");
  auto u = capsa(root_.path(), {"update", "-r", tmp.path() + "/r.json", id});
  EXPECT_EQ(u.exit_code, 0) << u.err;
  EXPECT_NE(u.err.find("devices: ignored, as by runc"), std::string::npos) << u.err;
  auto d = capsa(root_.path(), {"delete", "--force", id});
  EXPECT_EQ(d.exit_code, 0) << d.err;
}

}  // namespace
}  // namespace capsa::test
