// capsad's seccomp tier for policy syscall rules, on real containers: the
// runtime stacks a filter that sends candidate syscalls to capsad, which
// answers deny with EPERM (the process goes on), kills for kill, lets audit
// run and reports it; verdicts follow policy changes in running containers;
// after kill -9 capsad the calls wait in the kernel (the fd keeper holds the
// listeners) and a restarted capsad answers them.
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "daemon/fd_keeper.h"
#include "policy_fixture.h"
#include "state/process_probe.h"
#include "test_env.h"

namespace capsa::test {
namespace {

// personality(0xffffffff) only reads the persona: harmless when it runs.
const std::string kPersonality = "syscall_probe " + std::to_string(SYS_personality) + " 0xffffffff";

std::string syscall_rule(const std::string& name, const std::string& action) {
  return "  syscalls:\n    rules:\n      - name: " + name + "-" + action + "\n        names: [" + name +
         "]\n        action: " + action + "\n";
}

// "Seccomp_filters:" of /proc/<pid>/status: how many filters the task runs.
int seccomp_filters(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Seccomp_filters:", 0) == 0) return std::stoi(line.substr(16));
  return -1;
}

class SeccompNotify : public PolicyFixture {
protected:
  // Its /tmp written by the container and read or touched from the host.
  static void make_writable(Bundle& b) { b.config()["root"]["readonly"] = false; }
  // The fd keeper's manifest once it lists a listener: capsad hands the
  // listener over before answering the runtime, and the keeper writes its
  // manifest when it has read it, a moment later.
  nlohmann::json keeper_holding_one() {
    std::string manifest = daemon::fd_keeper_manifest(root_.path());
    nlohmann::json m = nlohmann::json::object();
    eventually([&] {
      m = nlohmann::json::parse(read_file_or_empty(manifest), nullptr, false);
      return m.is_object() && m.contains("listeners") && m["listeners"].size() == 1;
    }, 5000);
    return m.is_object() ? m : nlohmann::json::object();
  }
  pid_t init_pid(const std::string& id) {
    auto r = capsa(root_.path(), {"state", id});
    return nlohmann::json::parse(r.out).value("pid", -1);
  }
  // The container's syscall rules as `capsactl status` reports them.
  nlohmann::json syscalls_of(const std::string& id) {
    auto st = status();
    for (const auto& c : st["containers"])
      if (c["id"] == id) return c.value("syscalls", nlohmann::json::object());
    return nlohmann::json::object();
  }
  bool in_tier(const std::string& id, const std::string& tier, const std::string& name) {
    auto s = syscalls_of(id);
    if (!s.contains(tier)) return false;
    for (const auto& n : s[tier])
      if (n == name) return true;
    return false;
  }
};

TEST_F(SeccompNotify, DenyReturnsEpermAndTheProcessGoesOn) {
  write_policy("deny.yaml", policy_yaml("deny", syscall_rule("personality", "deny")));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "seccompdeny-deny");
  ASSERT_TRUE(bound(id));
  auto r = exec_in(id, kPersonality + "; echo rc=$?");
  EXPECT_EQ(r.out, "errno 1\nrc=0\n") << r.err;
  EXPECT_TRUE(in_tier(id, "seccomp-notify", "personality")) << status().dump();

  ASSERT_TRUE(eventually([&] { return events().find("\"syscall\":\"personality\"") != std::string::npos; }, 5000))
      << events();
  auto ev = events();
  EXPECT_NE(ev.find("\"action\":\"deny\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"enforced\":true"), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"container_id\":\"" + id + "\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"comm\":\"syscall_probe\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"binary\":\"/bin/syscall_probe\""), std::string::npos) << ev;
  EXPECT_GE(sample_value(capsad_->metrics(), "capsa_policy_verdicts_total",
                         "container_id=\"" + id + "\",policy=\"deny\",kind=\"syscalls\",rule=\"personality-deny\"")
                .value_or(0),
            1)
      << capsad_->metrics();
}

TEST_F(SeccompNotify, KillKillsBeforeTheCallRuns) {
  write_policy("kill.yaml", policy_yaml("kill", syscall_rule("unshare", "kill")));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "seccompdeny-kill");
  ASSERT_TRUE(bound(id));
  // unshare(0) would succeed; the probe never gets to print.
  auto r = exec_in(id, "syscall_probe " + std::to_string(SYS_unshare) + " 0; echo rc=$?");
  EXPECT_EQ(r.out, "rc=137\n") << r.err;
  EXPECT_TRUE(eventually([&] { return events().find("\"action\":\"kill\"") != std::string::npos; }, 5000)) << events();
  EXPECT_NE(events().find("\"syscall\":\"unshare\""), std::string::npos) << events();
}

TEST_F(SeccompNotify, AuditLetsTheCallRunAndReportsIt) {
  write_policy("audit.yaml", policy_yaml("audit", syscall_rule("personality", "audit")));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "seccompdeny-audit");
  ASSERT_TRUE(bound(id));
  auto r = exec_in(id, kPersonality + "; echo rc=$?");
  EXPECT_EQ(r.out.rfind("ok ", 0), 0u) << r.out << r.err;
  EXPECT_NE(r.out.find("rc=0"), std::string::npos) << r.out;
  ASSERT_TRUE(eventually([&] { return events().find("\"syscall\":\"personality\"") != std::string::npos; }, 5000))
      << events();
  EXPECT_NE(events().find("\"action\":\"audit\""), std::string::npos) << events();
  // Judged once: the tracepoint tier (attached for the rule) stands back for
  // the call capsad let run.
  ::usleep(300 * 1000);
  auto ev = events();
  size_t n = 0;
  for (size_t at = ev.find("\"syscall\":\"personality\""); at != std::string::npos;
       at = ev.find("\"syscall\":\"personality\"", at + 1))
    ++n;
  EXPECT_EQ(n, 1u) << ev;
}

// The container's own init (filtered at create) calls in a loop while the
// policy changes under it: allowed, then EPERM, then allowed again.
TEST_F(SeccompNotify, VerdictFollowsPolicyChangesInARunningContainer) {
  write_policy("flip.yaml", policy_yaml("flip", syscall_rule("personality", "audit")));
  start_capsad();
  Bundle b({"/bin/sh", "-c", "while true; do " + kPersonality + " > /tmp/out.new; mv /tmp/out.new /tmp/out; "
                             "sleep 0.05; done"});
  make_writable(b);
  std::string id = start_container(b, "seccompdeny-flip");
  ASSERT_TRUE(bound(id));
  auto last = [&] { return exec_in(id, "cat /tmp/out").out; };
  ASSERT_TRUE(eventually([&] { return last().rfind("ok ", 0) == 0; }, 5000)) << last();

  write_policy("flip.yaml", policy_yaml("flip", syscall_rule("personality", "deny")));
  EXPECT_TRUE(eventually([&] { return last() == "errno 1\n"; }, 5000)) << last();
  write_policy("flip.yaml", policy_yaml("flip", syscall_rule("personality", "audit")));
  EXPECT_TRUE(eventually([&] { return last().rfind("ok ", 0) == 0; }, 5000)) << last();
  // The init kept running throughout: no kill along the way.
  EXPECT_EQ(exec_in(id, "kill -0 1 && echo alive").out, "alive\n");
}

// A rule added later on a syscall outside the candidate set of a process
// already running: that process is under the tracepoint kill for it (status
// lists the syscall so for the container); a process started after the
// change sends it to capsad, which answers EPERM.
TEST_F(SeccompNotify, RuleOutsideTheCandidateSetKillsOlderProcesses) {
  write_policy("late.yaml", policy_yaml("late", syscall_rule("personality", "deny")));
  start_capsad();
  Bundle b({"/bin/sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; sync; echo rc=$? > /tmp/out; sleep 600"});
  make_writable(b);
  std::string id = start_container(b, "seccompdeny-late");
  ASSERT_TRUE(bound(id));
  write_policy("late.yaml", policy_yaml("late", "  syscalls:\n    rules:\n      - names: [personality]\n"
                                                "        action: deny\n      - names: [sync]\n        action: deny\n"));
  EXPECT_TRUE(eventually([&] { return in_tier(id, "tracepoint-kill", "sync"); }, 5000)) << status().dump();
  EXPECT_TRUE(in_tier(id, "seccomp-notify", "personality")) << status().dump();
  ASSERT_EQ(run_command({"/bin/sh", "-c", "touch " + b.rootfs() + "/tmp/go"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return read_file_or_empty(b.rootfs() + "/tmp/out") == "rc=137\n"; }, 5000))
      << read_file_or_empty(b.rootfs() + "/tmp/out");
  EXPECT_EQ(exec_in(id, "syscall_probe " + std::to_string(SYS_sync) + "; echo rc=$?").out, "errno 1\nrc=0\n");
  EXPECT_EQ(exec_in(id, kPersonality + "; echo rc=$?").out, "errno 1\nrc=0\n");
}

// A process without capsad's filter (it started while no capsad listened)
// installs a listener of its own and lets a denied call run from it: the
// tracepoint tier judges that call, although another process of the
// container carries capsad's filter, which routes the very syscall to capsad.
TEST_F(SeccompNotify, AListenerOfTheProcessesOwnDoesNotTurnTheKillAside) {
  Bundle b({"/bin/sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; own_listener " +
                                 std::to_string(SYS_sync) + " > /tmp/out; sleep 600"});
  make_writable(b);
  std::string id = start_container(b, "seccompdeny-own");
  write_policy("own.yaml", policy_yaml("own", syscall_rule("sync", "deny")));
  start_capsad();
  ASSERT_TRUE(bound(id));
  pid_t pid = init_pid(id);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(seccomp_filters(pid), 0);
  // A process carrying capsad's filter, which routes sync, stays.
  ASSERT_EQ(exec_in(id, "sleep 600 </dev/null >/dev/null 2>&1 &").exit_code, 0);
  ASSERT_TRUE(eventually([&] { return in_tier(id, "seccomp-notify", "sync"); }, 5000)) << status().dump();
  ASSERT_EQ(run_command({"/bin/sh", "-c", "touch " + b.rootfs() + "/tmp/go"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return read_file_or_empty(b.rootfs() + "/tmp/out") == "killed 9\n"; }, 5000))
      << read_file_or_empty(b.rootfs() + "/tmp/out");
  EXPECT_TRUE(eventually([&] { return events().find("\"syscall\":\"sync\"") != std::string::npos; }, 5000))
      << events();
}

TEST_F(SeccompNotify, KillNineCapsadKeepsTheListenersAndARestartAnswersWaitingCalls) {
  write_policy("keep.yaml", policy_yaml("keep", syscall_rule("personality", "deny")));
  start_capsad();
  // The init calls once /tmp/go exists, and again after /tmp/go2.
  Bundle b({"/bin/sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; " + kPersonality +
                                 " > /tmp/out; while [ ! -e /tmp/go2 ]; do sleep 0.05; done; " + kPersonality +
                                 " >> /tmp/out; sleep 600"});
  make_writable(b);
  std::string id = start_container(b, "seccompdeny-keep");
  ASSERT_TRUE(bound(id));
  auto keeper_before = keeper_holding_one();
  ASSERT_EQ(keeper_before["listeners"].size(), 1u) << keeper_before.dump();

  capsad_->kill_hard();
  ASSERT_TRUE(run_command({"/bin/sh", "-c", "touch " + b.rootfs() + "/tmp/go"}).exit_code == 0);
  // The call waits in the kernel: the probe sits in personality() and has
  // printed nothing.
  pid_t probe = -1;
  ASSERT_TRUE(eventually(
      [&] {
        auto r = run_command({"/bin/sh", "-c", "pgrep -f '^" + kPersonality + "$' | head -1"});
        if (r.out.empty()) return false;
        probe = std::stoi(r.out);
        return read_file_or_empty("/proc/" + std::to_string(probe) + "/syscall")
                   .rfind(std::to_string(SYS_personality) + " ", 0) == 0;
      },
      5000))
      << "no probe waiting in personality()";
  EXPECT_EQ(read_file_or_empty(b.rootfs() + "/tmp/out"), "");
  // A process started meanwhile has no filter (no capsad to hand it to):
  // the pinned tracepoint kill enforces the rule for it.
  EXPECT_EQ(exec_in(id, kPersonality + "; echo rc=$?").out, "rc=137\n");

  start_capsad();
  EXPECT_TRUE(eventually([&] { return read_file_or_empty(b.rootfs() + "/tmp/out") == "errno 1\n"; }, 5000))
      << read_file_or_empty(b.rootfs() + "/tmp/out");
  ASSERT_TRUE(run_command({"/bin/sh", "-c", "touch " + b.rootfs() + "/tmp/go2"}).exit_code == 0);
  EXPECT_TRUE(eventually([&] { return read_file_or_empty(b.rootfs() + "/tmp/out") == "errno 1\nerrno 1\n"; }, 5000))
      << read_file_or_empty(b.rootfs() + "/tmp/out");
  // The new capsad's keeper holds the listener; the old keeper is gone.
  auto keeper_after = keeper_holding_one();
  EXPECT_NE(keeper_after["pid"], keeper_before["pid"]);
  EXPECT_EQ(keeper_after["listeners"].size(), 1u) << keeper_after.dump();
  EXPECT_FALSE(state::process_alive(keeper_before["pid"].get<pid_t>(), keeper_before["start_time"].get<uint64_t>()));
  // Processes exec'd now are filtered and answered again.
  EXPECT_EQ(exec_in(id, kPersonality + "; echo rc=$?").out, "errno 1\nrc=0\n");
}

// A keeper that dies while capsad runs is replaced, and the new one holds
// the listeners: a later `kill -9 capsad` still leaves the calls waiting
// (not failing with ENOSYS) for the next capsad to answer.
TEST_F(SeccompNotify, AKeeperThatDiesIsReplacedAndTheListenersOutliveCapsadAgain) {
  write_policy("keep.yaml", policy_yaml("keep", syscall_rule("personality", "deny")));
  start_capsad();
  Bundle b({"/bin/sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; " + kPersonality + " > /tmp/out; sleep 600"});
  make_writable(b);
  std::string id = start_container(b, "seccompdeny-keeper");
  ASSERT_TRUE(bound(id));
  std::string manifest = daemon::fd_keeper_manifest(root_.path());
  auto first = keeper_holding_one();
  ASSERT_EQ(first["listeners"].size(), 1u) << first.dump();
  ASSERT_EQ(::kill(first["pid"].get<pid_t>(), SIGKILL), 0);

  nlohmann::json second;
  ASSERT_TRUE(eventually(
      [&] {
        second = nlohmann::json::parse(read_file_or_empty(manifest).empty() ? "{}" : read_file(manifest));
        return second.value("pid", 0) != 0 && second["pid"] != first["pid"] && second["listeners"].size() == 1u;
      },
      5000))
      << second.dump() << "\n" << read_file_or_empty(capsad_->log_path());
  EXPECT_TRUE(state::process_alive(second["pid"].get<pid_t>(), second["start_time"].get<uint64_t>()));

  capsad_->kill_hard();
  ASSERT_TRUE(run_command({"/bin/sh", "-c", "touch " + b.rootfs() + "/tmp/go"}).exit_code == 0);
  ASSERT_TRUE(eventually(
      [&] {
        auto r = run_command({"/bin/sh", "-c", "pgrep -f '^" + kPersonality + "$' | head -1"});
        return !r.out.empty() && read_file_or_empty("/proc/" + std::to_string(std::stoi(r.out)) + "/syscall")
                                         .rfind(std::to_string(SYS_personality) + " ", 0) == 0;
      },
      5000))
      << "no probe waiting in personality(); out: " << read_file_or_empty(b.rootfs() + "/tmp/out");
  start_capsad();
  EXPECT_TRUE(eventually([&] { return read_file_or_empty(b.rootfs() + "/tmp/out") == "errno 1\n"; }, 5000))
      << read_file_or_empty(b.rootfs() + "/tmp/out");
}

TEST_F(SeccompNotify, WithoutCapsadNoFilterIsInstalled) {
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "seccompdeny-nocapsad");
  pid_t pid = init_pid(id);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(seccomp_filters(pid), 0);
  auto r = exec_in(id, kPersonality + "; echo rc=$?");
  EXPECT_EQ(r.out.rfind("ok ", 0), 0u) << r.out << r.err;
}

TEST_F(SeccompNotify, WithoutAPolicyEverythingRuns) {
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "seccompdeny-nopolicy");
  pid_t pid = init_pid(id);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(seccomp_filters(pid), 1);  // capsad's, whose candidates have no rule
  auto r = exec_in(id, kPersonality + "; echo rc=$?");
  EXPECT_EQ(r.out.rfind("ok ", 0), 0u) << r.out << r.err;
  EXPECT_EQ(exec_in(id, "syscall_probe " + std::to_string(SYS_unshare) + " 0; echo rc=$?").out, "ok 0\nrc=0\n");
}

}  // namespace
}  // namespace capsa::test
