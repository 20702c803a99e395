// The BPF-LSM tier, run inside a VM whose kernel offers BPF-LSM
// (tools/vmtest, see tests/vm/run_in_vm.sh). capsad runs with --require-lsm:
// if the LSM programs do not load, capsad does not start and every test
// fails. Here a forbidden open, exec, create or unlink is refused with EPERM
// before it happens: the process lives on and sees the error.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "policy_fixture.h"

namespace capsa::test {
namespace {

class LsmTier : public PolicyFixture {
protected:
  std::vector<std::string> capsad_args() const override { return {"--require-lsm"}; }
};

TEST_F(LsmTier, StatusReportsBpfLsmForFilesExecAndConfinement) {
  start_capsad();
  auto tiers = status()["tiers"];
  for (const char* kind : {"files", "exec", "root-confinement"})
    EXPECT_EQ(tiers[kind].get<std::string>().rfind("bpf-lsm", 0), 0u) << kind << ": " << tiers.dump(2);
  EXPECT_EQ(sample_value(capsad_->metrics(), "capsa_policy_enforcement_tier", "kind=\"files\",tier=\"bpf-lsm\""),
            1.0)
      << capsad_->metrics();
}

TEST_F(LsmTier, FileReadIsRefusedWithEpermAndTheProcessLivesOn) {
  write_policy("files.yaml", policy_yaml("files", "  files:\n    rules:\n      - name: no-secrets\n"
                                                  "        paths: [/secret/]\n        access: [read]\n"
                                                  "        action: deny\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  b.config()["root"]["readonly"] = false;
  ASSERT_EQ(run_command({"/bin/sh", "-c", "mkdir -p " + b.rootfs() + "/secret && echo TOKEN > " + b.rootfs() +
                                              "/secret/token"})
                .exit_code,
            0);
  std::string id = start_container(b, "lsm-files");
  auto r = exec_in(id, "cat /secret/token; echo rc=$?");
  EXPECT_EQ(r.out, "rc=1\n") << r.out;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
  EXPECT_EQ(exec_in(id, "echo more >> /secret/token; echo rc=$?").out, "rc=0\n");  // write is not in the rule
  ASSERT_TRUE(eventually([&] { return events().find("\"kind\":\"file\"") != std::string::npos; }, 5000)) << events();
  EXPECT_NE(events().find("\"rule\":\"no-secrets\""), std::string::npos) << events();
}

TEST_F(LsmTier, ForbiddenExecIsRefusedBeforeItRuns) {
  write_policy("exec.yaml", policy_yaml("exec", "  exec:\n    rules:\n      - paths: [/bin/forbidden]\n"
                                                "        action: deny\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  ASSERT_EQ(run_command({"/bin/sh", "-c", "cp " + b.rootfs() + "/bin/syscall_loop " + b.rootfs() + "/bin/forbidden"})
                .exit_code,
            0);
  std::string id = start_container(b, "lsm-exec");
  auto r = exec_in(id, "/bin/forbidden 1; echo rc=$?");
  EXPECT_EQ(r.out, "rc=126\n") << r.out << r.err;
  EXPECT_EQ(exec_in(id, "/bin/syscall_loop 1 >/dev/null; echo rc=$?").out, "rc=0\n");
}

TEST_F(LsmTier, CreateAndUnlinkRulesAreEnforced) {
  write_policy("dirs.yaml", policy_yaml("dirs", "  files:\n    rules:\n"
                                                "      - {name: no-create, paths: [/data/], access: [create]}\n"
                                                "      - {name: keep, paths: [/keep/], access: [unlink]}\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  b.config()["root"]["readonly"] = false;
  ASSERT_EQ(run_command({"/bin/sh", "-c", "mkdir -p " + b.rootfs() + "/data " + b.rootfs() + "/keep && touch " +
                                              b.rootfs() + "/data/old " + b.rootfs() + "/keep/file"})
                .exit_code,
            0);
  std::string id = start_container(b, "lsm-dirs");
  EXPECT_EQ(exec_in(id, "touch /data/new; echo rc=$?").out, "rc=1\n");
  EXPECT_EQ(exec_in(id, "echo x > /data/old; echo rc=$?").out, "rc=0\n");  // an existing file is not created
  EXPECT_EQ(exec_in(id, "rm /keep/file; echo rc=$?").out, "rc=1\n");
  EXPECT_EQ(exec_in(id, "test -f /keep/file; echo rc=$?").out, "rc=0\n");
  EXPECT_EQ(exec_in(id, "touch /keep/other && echo ok").out, "ok\n");
}

TEST_F(LsmTier, ReachingTheHostThroughProcRootIsRefused) {
  Bundle b({"/bin/sleep", "600"});
  share_host_pids(b);
  std::string id = start_container(b, "lsm-escape");
  pid_t host = host_sleeper();
  ASSERT_GT(host, 0);
  // The VM's own root has /init.
  const std::string probe = "cat /proc/" + std::to_string(host) + "/root/init >/dev/null; echo rc=$?";
  auto base = exec_in(id, probe);
  ASSERT_EQ(base.out, "rc=0\n") << base.err << " : the escape route does not exist here; the test proves nothing";

  start_capsad();  // no policy: confinement is always on
  ASSERT_TRUE(bound(id)) << status().dump(2);
  auto r = exec_in(id, probe);
  EXPECT_EQ(r.out, "rc=1\n") << r.err;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
  EXPECT_EQ(exec_in(id, "cat /etc/passwd >/dev/null; echo rc=$?").out, "rc=0\n");
  EXPECT_TRUE(eventually([&] { return events().find("\"kind\":\"root-escape\"") != std::string::npos; }, 5000))
      << events();
}

}  // namespace
}  // namespace capsa::test
