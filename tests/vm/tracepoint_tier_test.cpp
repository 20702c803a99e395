// The tracepoint tier on an older kernel: capsad --no-lsm in the VM (Debian's
// 6.1, which has BPF-LSM but neither bpf_rdonly_cast() nor the sk_data_ready
// tracepoint). So the open exits run their probe-read build, and unix
// connects are judged at connect's own syscall exit: the builds the 6.18
// host never runs. Forbidden opens and connects are killed as the call
// returns; an earlier capsad's LSM links are taken down once the tracepoint
// tier is in.
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/file_util.h"
#include "policy_fixture.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class TracepointTier : public PolicyFixture {
protected:
  std::vector<std::string> capsad_args() const override { return {"--no-lsm"}; }
  bool pinned(const std::string& link) { return ::access((pin_root_ + "/links/" + link).c_str(), F_OK) == 0; }
};

TEST_F(TracepointTier, OpensAndUnixConnectsAreKilledAtTheirSyscallExits) {
  LeakedHostDir leak;
  ASSERT_TRUE(leak.sock.ok()) << errno_text(errno);
  auto base = run_leaking_dir(leak.bundle, leak.dir.path(), "tp-leak-base");
  ASSERT_EQ(base.out, LeakedHostDir::kOpen) << base.err << " : the escape route does not exist here";

  // An earlier capsad on the BPF-LSM tier, killed: its links stay pinned.
  capsad_.emplace(root_.path(), pin_root_, std::vector<std::string>{"--require-lsm"});
  start_capsad();
  ASSERT_TRUE(pinned("capsa_lsm_file_open"));
  capsad_->kill_hard();

  capsad_.emplace(root_.path(), pin_root_, capsad_args());
  deny_secret_reads();
  start_capsad();
  auto tiers = status()["tiers"];
  for (const char* kind : {"files", "root-confinement"})
    EXPECT_EQ(tiers[kind].get<std::string>().rfind("tracepoint-kill", 0), 0u) << kind << ": " << tiers.dump(2);
  EXPECT_NE(tiers.dump().find("capsad --no-lsm"), std::string::npos) << tiers.dump(2);
  EXPECT_FALSE(pinned("capsa_lsm_file_open")) << "the earlier capsad's LSM hooks would go on deciding";
  EXPECT_TRUE(pinned("capsa_exit_connect")) << "no sk_data_ready here: connects are judged at their exit";
  EXPECT_FALSE(pinned("capsa_unix_datagram"));

  Bundle b({"/bin/sleep", "600"});
  with_secret_token(b);
  std::string id = start_container(b, "tp-files");
  ASSERT_TRUE(bound(id)) << status().dump(2);
  EXPECT_TRUE(pinned("capsa_exit_openat")) << "a governed container's files need the open exits";
  EXPECT_EQ(exec_in(id, "cat /secret/token; echo rc=$?").out, "rc=137\n");
  EXPECT_EQ(exec_in(id, "cat /etc/passwd >/dev/null; echo rc=$?").out, "rc=0\n");

  auto r = run_leaking_dir(leak.bundle, leak.dir.path(), "tp-leak");
  EXPECT_EQ(r.out, "rc=137\nrc=137\n") << r.err;
  ASSERT_TRUE(eventually([&] { return events().find("/proc/self/fd/3/host.sock") != std::string::npos; }, 5000))
      << events();
  EXPECT_NE(events().find("\"rule\":\"no-secrets\""), std::string::npos) << events();
}

}  // namespace
}  // namespace capsa::test
