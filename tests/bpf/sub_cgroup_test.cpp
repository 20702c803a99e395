// Cgroups a container makes beneath its own. With a writable cgroup2 mount
// (as systemd in a container wants) a container can make them and move its
// tasks there; each is governed as the container, and counted as it in the
// metrics, whether it was made while capsad watched or before, and one past
// the quota is no way out: what enters it is killed. `capsa delete` removes
// them with the container.
#include <bpf/bpf.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "capsad_process.h"
#include "bpf/cgroup_id.h"
#include "cgroup/layout.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "policy.h"
#include "policy_fixture.h"
#include "test_env.h"

namespace capsa::test {
namespace {

// Where the container's cgroup2 hierarchy is mounted, inside it.
const std::string kCg2 = "d=/sys/fs/cgroup/unified; [ -e $d/cgroup.procs ] || d=/sys/fs/cgroup; ";

// Prints "started" once a task is in a cgroup named early (up to 5 s).
const std::string kWaitForEarly =
    "i=0; until grep -qs early /proc/[0-9]*/cgroup || [ $i -gt 50 ]; do i=$((i+1)); sleep 0.1; done; "
    "grep -qs early /proc/[0-9]*/cgroup && echo started";

class SubCgroups : public PolicyFixture {
protected:
  // A container of `sleep 600` with /secret/token in its root and a
  // writable cgroup2 mount; `adjust` changes its bundle further.
  std::string writable_cgroup_container(const std::string& prefix, const std::function<void(Bundle&)>& adjust = {}) {
    Bundle& b = kept_bundles_.emplace_back(std::vector<std::string>{"/bin/sleep", "600"});
    with_secret_token(b);
    if (adjust) adjust(b);
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
  // The container's count in capsad's metrics, -1 while it has none.
  double metric(const std::string& family, const std::string& id) {
    return sample_value(capsad_->metrics(), family, "container_id=\"" + id + "\"").value_or(-1);
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
  // The events name the container, not the sub-cgroup.
  EXPECT_TRUE(eventually([&] { return events().find("\"container_id\":\"" + id + "\",\"enforced\"") != std::string::npos; }, 3000))
      << events();
}

TEST_F(SubCgroups, DeleteRemovesTheCgroupsTheContainerMadeAndNoOneElses) {
  start_capsad();
  // Sharing the host's pid namespace: its processes outlive its init.
  std::string id = writable_cgroup_container("gone", share_host_pids);
  std::string sibling = writable_cgroup_container("kept");
  ASSERT_TRUE(bound(id) && bound(sibling)) << status().dump(2);
  skip_without_writable_cgroups(id);
  ASSERT_EQ(exec_in(sibling, kCg2 + "mkdir $d/mine && echo ok").out, "ok\n");
  // A process in a nested one, and a threaded one (whose cgroup.procs
  // cannot be read).
  ASSERT_EQ(exec_in(id, kCg2 + "mkdir -p $d/a/b/c && sh -c 'echo $$ > '$d'/a/b/c/cgroup.procs; exec sleep 600' "
                               ">/dev/null 2>&1 & echo ok").out,
            "ok\n");
  auto threaded = exec_in(id, kCg2 + "mkdir -p $d/tp/t && echo threaded > $d/tp/t/cgroup.type && cat $d/tp/t/cgroup.type");
  std::string dir = host_cgroup_dir(id), kept = host_cgroup_dir(sibling);
  ASSERT_FALSE(dir.empty() || kept.empty());
  ASSERT_TRUE(eventually([&] { return !read_file_or_empty(dir + "/a/b/c/cgroup.procs").empty(); }, 3000));
  EXPECT_EQ(threaded.out, "threaded\n") << threaded.err;
  // The telemetry and the policy count the copies the container holds.
  const uint64_t cgid = bpf::cgroup_id_of(dir);
  std::vector<std::pair<std::string, UniqueFd>> counts;
  for (const char* name : {"copy_counts", "pol_copy_counts"}) {
    counts.emplace_back(name, UniqueFd(bpf_obj_get((pin_root_ + "/maps/" + name).c_str())));
    ASSERT_TRUE(counts.back().second) << "no pinned " << name << " map under " << pin_root_;
  }
  int64_t held = 0;
  for (const auto& [name, fd] : counts)
    EXPECT_TRUE(eventually([&] { return bpf_map_lookup_elem(fd.get(), &cgid, &held) == 0 && held >= 5; }, 3000))
        << name << ": copies counted: " << held;
  auto del = capsa(root_.path(), {"--bpf-pin-root", pin_root_, "delete", "--force", id});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_TRUE(std::filesystem::exists(kept + "/mine")) << "delete removed another container's cgroup";
  // capsad's sweeps drop the deleted container's counts.
  for (const auto& [name, fd] : counts)
    EXPECT_TRUE(eventually([&] { return bpf_map_lookup_elem(fd.get(), &cgid, &held) != 0 && errno == ENOENT; }, 5000))
        << name << ": count left behind: " << held;
}

// Task confinement judges by container: from a cgroup it made, a container
// that shares the host's pid namespace signals its own init (in its own
// cgroup) but not a host task.
TEST_F(SubCgroups, ASignalFromACgroupTheContainerMadeReachesItsOwnTasksOnly) {
  start_capsad();
  std::string id = writable_cgroup_container("sig", [](Bundle& b) {
    share_host_pids(b);
    add_caps(b, {"CAP_KILL"});
  });
  ASSERT_TRUE(bound(id)) << status().dump(2);
  skip_without_writable_cgroups(id);
  pid_t init = nlohmann::json::parse(capsa(root_.path(), {"state", id}).out).value("pid", 0);
  pid_t host = host_sleeper();
  ASSERT_GT(init, 0);
  const std::string in_sub = kCg2 + "mkdir -p $d/sub && echo $$ > $d/sub/cgroup.procs && ";
  EXPECT_EQ(exec_in(id, in_sub + "kill -CONT " + std::to_string(init) + "; echo rc=$?").out, "rc=0\n");
  EXPECT_EQ(exec_in(id, in_sub + "kill -CONT " + std::to_string(host) + " 2>/dev/null; echo rc=$?").out, "rc=1\n");
}

TEST_F(SubCgroups, ACgroupMadeBeforeCapsadBoundTheContainerIsGovernedFromTheBinding) {
  deny_secret_reads();
  std::string id = writable_cgroup_container("early");
  skip_without_writable_cgroups(id);
  // A task already in it when capsad starts, which never moves again: it
  // reads once it is told to.
  auto bg = exec_in(id, kCg2 + "mkdir $d/early && sh -c 'echo $$ > '$d'/early/cgroup.procs; "
                               "while [ ! -e /go ]; do sleep 0.1; done; cat /secret/token > /got' "
                               ">/dev/null 2>&1 & " + kWaitForEarly);
  ASSERT_EQ(bg.out, "started\n") << bg.err;
  start_capsad();
  ASSERT_TRUE(bound(id)) << status().dump(2);
  exec_in(id, "touch /go");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // /got is made by the reader's redirection, before its cat is refused.
  EXPECT_EQ(exec_in(id, "[ -e /got ] && echo made; cat /got; echo end").out, "made\nend\n")
      << "the reader read the secret, or never got to read";
}

TEST_F(SubCgroups, ACgroupPastTheQuotaKillsWhatEntersItHoweverDeep) {
  deny_secret_reads();
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
  // Nor does the telemetry count it as the container's.
  EXPECT_GE(sample_value(capsad_->metrics(), "capsa_bpf_cgroups_uncounted_total", "").value_or(0), 1);
  const std::string past = "q" + std::to_string(quota);
  // A container task that moves itself there dies before its next call.
  auto self = exec_in(id, kCg2 + "echo $$ > $d/" + past + "/cgroup.procs; echo alive");
  EXPECT_EQ(self.out, "");
  EXPECT_EQ(self.exit_code, 137);
  // However deep beneath it (made by the host, which is not killed for it).
  std::string dir = host_cgroup_dir(id);
  ASSERT_FALSE(dir.empty());
  std::filesystem::create_directories(dir + "/" + past + "/a/b/c/d/e/f/g/h/i/j");
  auto deep = exec_in(id, kCg2 + "echo $$ > $d/" + past + "/a/b/c/d/e/f/g/h/i/j/cgroup.procs; echo alive");
  EXPECT_EQ(deep.out, "");
  EXPECT_EQ(deep.exit_code, 137) << events();
  // A task moved there by another (here the host) is killed by capsad.
  pid_t victim = host_sleeper();
  write_file(dir + "/" + past + "/cgroup.procs", std::to_string(victim));
  int ws = 0;
  EXPECT_TRUE(eventually([&] { return ::waitpid(victim, &ws, WNOHANG) == victim; }, 3000));
  EXPECT_TRUE(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL) << "wait status " << ws;
  EXPECT_TRUE(eventually([&] { return events().find("\"cgroup-quota\"") != std::string::npos; }, 3000)) << events();
  // Within the quota, after the others are gone, cgroups are bound again.
  EXPECT_EQ(exec_in(id, kCg2 + "i=1; while [ $i -lt " + std::to_string(quota) +
                             " ]; do rmdir $d/q$i; i=$((i+1)); done; mkdir $d/again && "
                             "echo $$ > $d/again/cgroup.procs && cat /secret/token; echo rc=$?")
                .out,
            denied());
}

// What tasks in the cgroups it made do is the container's in the metrics:
// their system calls, execs and forks.
TEST_F(SubCgroups, WhatATaskDoesInACgroupTheContainerMadeIsCountedAsTheContainer) {
  constexpr long kCalls = 100000;
  constexpr int kExecs = 50;
  start_capsad();
  std::string id = writable_cgroup_container("tally");
  skip_without_writable_cgroups(id);
  ASSERT_TRUE(eventually([&] { return metric("capsa_container_execs_total", id) >= 0; }, 5000)) << capsad_->metrics();
  double syscalls = metric("capsa_container_syscalls_total", id), execs = metric("capsa_container_execs_total", id);
  // Made, entered and worked in, two levels down.
  auto r = exec_in(id, kCg2 + "mkdir -p $d/a/b && echo $$ > $d/a/b/cgroup.procs && i=0; while [ $i -lt " +
                           std::to_string(kExecs) + " ]; do /bin/true; i=$((i+1)); done; /bin/syscall_loop " +
                           std::to_string(kCalls) + " && grep -c a/b /proc/self/cgroup");
  ASSERT_EQ(r.out, "done " + std::to_string(kCalls) + "\n1\n") << r.err;
  double now = 0;
  EXPECT_TRUE(eventually([&] { return (now = metric("capsa_container_syscalls_total", id)) - syscalls >= kCalls; }, 5000))
      << "syscalls counted: " << now - syscalls;
  EXPECT_GE(metric("capsa_container_execs_total", id) - execs, kExecs + 1);
}

// A cgroup made before capsad registered the container counts from capsad's
// first pass (the one that shows the container in the metrics), and so does
// one made beneath it afterwards.
TEST_F(SubCgroups, ACgroupMadeBeforeCapsadIsCountedFromItsFirstPass) {
  constexpr long kCalls = 100000;
  std::string id = writable_cgroup_container("tallyearly");
  skip_without_writable_cgroups(id);
  // Then in one the kernel copies as it is made beneath capsad's copy.
  const std::string loop = "/bin/syscall_loop " + std::to_string(kCalls);
  auto bg = exec_in(id, kCg2 + "mkdir $d/early && sh -c 'echo $$ > '$d'/early/cgroup.procs; "
                               "while [ ! -e /go ]; do sleep 0.1; done; " + loop + " > /done; mkdir '$d'/early/sub && "
                               "echo $$ > '$d'/early/sub/cgroup.procs && " + loop + " >> /done' >/dev/null 2>&1 & " +
                               kWaitForEarly);
  ASSERT_EQ(bg.out, "started\n") << bg.err;
  start_capsad();
  double syscalls = -1;
  ASSERT_TRUE(eventually([&] { return (syscalls = metric("capsa_container_syscalls_total", id)) >= 0; }, 5000))
      << capsad_->metrics();
  exec_in(id, "touch /go");
  const std::string done = "done " + std::to_string(kCalls) + "\n";
  ASSERT_TRUE(eventually([&] { return exec_in(id, "cat /done").out == done + done; }, 10000))
      << exec_in(id, "cat /done").out;
  double now = 0;
  EXPECT_TRUE(eventually([&] { return (now = metric("capsa_container_syscalls_total", id)) - syscalls >= 2 * kCalls; },
                         5000))
      << "syscalls counted: " << now - syscalls;
}

}  // namespace
}  // namespace capsa::test
