// capsad as Prometheus sees it: its exposition passes `promtool check
// metrics` while a container exercises every family.
#include <unistd.h>

#include <memory>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "policy_fixture.h"
#include "test_env.h"

namespace capsa::test {
namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";

class PrometheusCheck : public PolicyFixture {
protected:
  // capsad with a policy killing `sync`, and a container that execs, forks,
  // exits, makes system calls, uses CPU and memory, and breaks that rule
  // every round (the killed `sh -c sync` is a child: the loop goes on).
  std::string start_workload() {
    write_policy("nosync.yaml",
                 policy_yaml("nosync", "  syscalls:\n    rules:\n      - name: no-sync\n        names: [sync]\n"
                                       "        action: kill\n"));
    start_capsad();
    if (HasFatalFailure()) return "";
    bundle_ = std::make_unique<Bundle>(
        std::vector<std::string>{"/bin/sh", "-c", "while true; do syscall_loop 2000; sh -c sync; sleep 0.2; done"});
    std::string id = start_container(*bundle_, "prom");
    EXPECT_TRUE(eventually(
        [&] {
          return sample_value(capsad_->metrics(), "capsa_policy_verdicts_total", "container_id=\"" + id + "\"")
              .has_value();
        },
        10000))
        << capsad_->metrics();
    return id;
  }
  std::unique_ptr<Bundle> bundle_;
};

TEST_F(PrometheusCheck, PromtoolAcceptsCapsadsExposition) {
  ASSERT_TRUE(path_exists(kPromtool)) << kPromtool << " missing: tools/install-deps.sh installs Debian's prometheus";
  std::string id = start_workload();
  ASSERT_FALSE(id.empty());
  TempDir tmp("capsa-promtool");
  std::string text = capsad_->metrics();
  write_file_atomic(tmp.path() + "/metrics.txt", text);
  auto r = run_command({"/bin/sh", "-c", std::string(kPromtool) + " check metrics < " + tmp.path() + "/metrics.txt"});
  // promtool prints lint findings and exits non-zero on any.
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << "\n" << text;
  EXPECT_EQ(r.out + r.err, "") << text;
}

}  // namespace
}  // namespace capsa::test
