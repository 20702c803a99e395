// On a pure cgroup v2 host a container's device access has two cgroup/dev
// programs: its own (linux.resources.devices, on its cgroup) and capsad's
// policy (on the root). Both run and both must allow. The v2 host is
// emulated in a private mount namespace; its cgroup2 hierarchy is the one
// capsad attached to, so capsad's program sees the container too.
#include <gtest/gtest.h>

#include "policy_fixture.h"

namespace capsa::test {
namespace {

class OciDevicesWithPolicy : public PolicyFixture {};

TEST_F(OciDevicesWithPolicy, PureV2BothProgramsMustAllow) {
  write_policy("dev.yaml", policy_yaml("dev", "  devices:\n    rules:\n      - type: c\n        major: 1\n"
                                              "        minor: 8\n        access: r\n        action: deny\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  for (const char* set : {"bounding", "effective", "permitted"})
    b.config()["process"]["capabilities"][set].push_back("CAP_MKNOD");
  b.save();
  std::string id = unique_id("devpol");
  std::string capsa_cmd = std::string(CAPSA_BIN) + " --root " + root_.path() + " --bpf-pin-root " + pin_root_;
  std::string exec = capsa_cmd + " exec " + id + " /bin/sh -c ";
  auto r = on_pure_cgroup_v2(
       capsa_cmd + " run -d --bundle " +
           b.path() + " " + id + " || exit 1\n" +
           // random: the OCI rules allow it, capsad's policy denies it.
           exec + "'head -c 1 /dev/random >/dev/null' 2>&1 | grep -q 'not permitted' && echo random-denied\n" +
           exec + "'head -c 1 /dev/urandom | wc -c'\n" +
           // loop1: capsad has no rule for it, the OCI rules deny it.
           exec + "'mknod /dev/loop1 b 7 1 && head -c 1 /dev/loop1' 2>&1 | grep -q 'not permitted' && echo loop1-denied\n" +
           capsa_cmd + " delete --force " + id + "\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "random-denied\n1\nloop1-denied\n") << r.err;
}

}  // namespace
}  // namespace capsa::test
