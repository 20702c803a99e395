// Cgroups a container makes beneath its own. With a writable cgroup2 mount
// (as systemd in a container wants) a container can make them and move its
// tasks there; each is governed as the container, whether it was made while
// capsad watched or before, and one past the quota is no way out: what
// enters it is killed. `capsa delete` removes them with the container.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "cgroup/layout.h"
#include "common/file_util.h"
#include "policy.h"
#include "policy_fixture.h"
#include "test_env.h"

namespace capsa::test {
namespace {

// Where the container's cgroup2 hierarchy is mounted, inside it.
const std::string kCg2 = "d=/sys/fs/cgroup/unified; [ -e $d/cgroup.procs ] || d=/sys/fs/cgroup; ";

class SubCgroups : public PolicyFixture {
protected:
  // A container of `sleep 600` whose /secret/token is denied to readers and
  // whose cgroup2 mount is writable.
  std::string writable_cgroup_container(const std::string& prefix) {
    Bundle& b = kept_bundles_.emplace_back(std::vector<std::string>{"/bin/sleep", "600"});
    with_secret_token(b);
    for (auto& m : b.config()["mounts"])
      if (m["destination"] == "/sys/fs/cgroup") {
        nlohmann::json opts = nlohmann::json::array();
        for (const auto& o : m["options"])
          if (o != "ro") opts.push_back(o);
        m["options"] = opts;
      }
    return start_container(b, prefix);
  }
  // The container's cgroup2 directory as the host sees it.
  std::string host_cgroup_dir(const std::string& id) {
    auto st = capsa(root_.path(), {"state", id});
    pid_t init = nlohmann::json::parse(st.out).value("pid", 0);
    std::ifstream in("/proc/" + std::to_string(init) + "/cgroup");
    for (std::string line; std::getline(in, line);)
      if (line.rfind("0::", 0) == 0) return cgroup::detect_layout().unified->mount_point + line.substr(3);
    return "";
  }
  // What a denied `cat /secret/token; echo rc=$?` prints: BPF-LSM refuses
  // the open, the tracepoint tier kills the reader.
  std::string denied() {
    return status()["tiers"]["files"].get<std::string>().rfind("bpf-lsm", 0) == 0 ? "rc=1\n" : "rc=137\n";
  }
  void skip_without_writable_cgroups(const std::string& id) {
    auto made = exec_in(id, kCg2 + "mkdir $d/probe && echo $$ > $d/probe/cgroup.procs && grep -c probe /proc/self/cgroup");
    if (made.out != "1\n") GTEST_SKIP() << "SKIP: this host does not let a container make cgroups of its own: " << made.err;
  }
};

TEST_F(SubCgroups, ATaskMovedIntoACgroupTheContainerMadeIsGovernedAsTheContainer) {
  deny_secret_reads();
  start_capsad();
  std::string id = writable_cgroup_container("subcg");
  ASSERT_TRUE(bound(id)) << status().dump(2);
  skip_without_writable_cgroups(id);
  EXPECT_EQ(exec_in(id, kCg2 + "mkdir $d/sub && echo $$ > $d/sub/cgroup.procs && cat /secret/token; echo rc=$?").out,
            denied());
  EXPECT_EQ(exec_in(id, kCg2 + "echo $$ > $d/sub/cgroup.procs && cat /etc/passwd >/dev/null; echo rc=$?").out,
            "rc=0\n");
  // Deeper, made and entered in one go.
  EXPECT_EQ(exec_in(id, kCg2 + "mkdir -p $d/a/b/c && echo $$ > $d/a/b/c/cgroup.procs && cat /secret/token; echo rc=$?")
                .out,
            denied());
  // Its tasks are the container's for task confinement too: a signal from
  // there to the container's init passes.
  EXPECT_EQ(exec_in(id, kCg2 + "echo $$ > $d/sub/cgroup.procs && kill -CONT 1; echo rc=$?").out, "rc=0\n");
  // The events name the container, not the sub-cgroup.
  EXPECT_TRUE(eventually([&] { return events().find("\"container_id\":\"" + id + "\",\"enforced\"") != std::string::npos; }, 3000))
      << events();
  // capsa delete removes the cgroups the container made.
  std::string dir = host_cgroup_dir(id);
  ASSERT_FALSE(dir.empty());
  ASSERT_TRUE(std::filesystem::exists(dir + "/a/b/c"));
  auto del = capsa(root_.path(), {"--bpf-pin-root", pin_root_, "delete", "--force", id});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST_F(SubCgroups, ACgroupMadeBeforeCapsadBoundTheContainerIsGovernedFromTheBinding) {
  deny_secret_reads();
  std::string id = writable_cgroup_container("early");
  skip_without_writable_cgroups(id);
  // A task already in it when capsad starts, which never moves again: it
  // reads once it is told to.
  auto bg = exec_in(id, kCg2 + "mkdir $d/early && sh -c 'echo $$ > '$d'/early/cgroup.procs; "
                               "while [ ! -e /go ]; do sleep 0.1; done; cat /secret/token > /got' "
                               ">/dev/null 2>&1 & sleep 0.3; grep -l early /proc/[0-9]*/cgroup >/dev/null && "
                               "echo started");
  ASSERT_EQ(bg.out, "started\n") << bg.err;
  start_capsad();
  ASSERT_TRUE(bound(id)) << status().dump(2);
  exec_in(id, "touch /go");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(exec_in(id, "cat /got 2>/dev/null; echo end").out, "end\n") << "the reader read the secret";
}

TEST_F(SubCgroups, ACgroupPastTheQuotaKillsWhatEntersIt) {
  start_capsad();
  std::string id = writable_cgroup_container("quota");
  ASSERT_TRUE(bound(id)) << status().dump(2);
  skip_without_writable_cgroups(id);
  // The probe cgroup holds one copy: the quota's last is made as q(N-1).
  const int quota = CAPSA_POLICY_COPIES_PER_CONTAINER;
  auto made = exec_in(id, kCg2 + "i=0; while [ $i -lt " + std::to_string(quota + 10) +
                              " ]; do i=$((i+1)); mkdir $d/q$i || break; done; echo made=$i");
  // The mkdir past the quota made its cgroup but was killed doing so.
  EXPECT_EQ(made.out, "made=" + std::to_string(quota) + "\n") << made.err;
  const std::string past = "q" + std::to_string(quota);
  // A container task that moves itself there dies before its next call.
  auto self = exec_in(id, kCg2 + "echo $$ > $d/" + past + "/cgroup.procs; echo alive");
  EXPECT_EQ(self.out, "");
  EXPECT_EQ(self.exit_code, 137);
  // A task moved there by another (here the host) is killed by capsad.
  pid_t victim = host_sleeper();
  std::string dir = host_cgroup_dir(id);
  ASSERT_FALSE(dir.empty());
  write_file(dir + "/" + past + "/cgroup.procs", std::to_string(victim));
  int ws = 0;
  EXPECT_TRUE(eventually([&] { return ::waitpid(victim, &ws, WNOHANG) == victim; }, 3000));
  EXPECT_TRUE(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL) << "wait status " << ws;
  EXPECT_TRUE(eventually([&] { return events().find("\"cgroup-quota\"") != std::string::npos; }, 3000)) << events();
  // Within the quota, after the others are gone, cgroups are bound again.
  EXPECT_EQ(exec_in(id, kCg2 + "i=1; while [ $i -lt " + std::to_string(quota) +
                             " ]; do rmdir $d/q$i; i=$((i+1)); done; mkdir $d/again && "
                             "echo $$ > $d/again/cgroup.procs && echo alive")
                .out,
            "alive\n");
}

}  // namespace
}  // namespace capsa::test
