// The Landlock tier for file rules (spec.files.landlock: true), on real
// containers with a running capsad: the runtime installs a ruleset in the
// init and in every `capsa exec`'d process, so a denied read or create fails
// with EACCES and the process goes on; siblings of the denied paths stay
// usable; audit mode and policies without the flag install nothing (the
// tracepoint kill still applies); a ruleset the kernel refuses fails create
// and leaves nothing behind; a later policy version cannot relax a ruleset
// already installed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "cgroup/layout.h"
#include "common/file_util.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "container/clone_into_cgroup.h"
#include "daemon/landlock_audit.h"
#include "policy_fixture.h"
#include "test_env.h"

namespace capsa::test {
namespace {

// With write among the accesses, the init's own open of its exec fifo (outside
// the container's root, after the ruleset is in force) must be granted.
std::string secret_rule(const std::string& head, const std::string& action = "deny") {
  return "  files:\n" + head +
         "    rules:\n      - name: no-secrets\n        paths: [/secret/, /etc/shadow]\n"
         "        access: [read, write, create]\n        action: " + action + "\n";
}

class LandlockTier : public PolicyFixture {
protected:
  // /secret/deep/token, and the container's own root writable.
  static void with_secret(Bundle& b) {
    b.config()["root"]["readonly"] = false;
    ASSERT_EQ(run_command({"/bin/sh", "-c",
                           "mkdir -p " + b.rootfs() + "/secret/deep " + b.rootfs() + "/data && echo TOKEN > " +
                               b.rootfs() + "/secret/deep/token && echo x > " + b.rootfs() + "/etc/shadow"})
                  .exit_code,
              0);
  }
  // Writes policy `name` (its spec lines), starts capsad and waits until the
  // policy's file rule is in force.
  bool capsad_with_policy(const std::string& name, const std::string& spec) {
    write_policy(name + ".yaml", policy_yaml(name, spec));
    start_capsad();
    return file_rules_in_force(name, 1);
  }
  // Waits until capsad has `name` in force with `n` file rules.
  bool file_rules_in_force(const std::string& name, size_t n) {
    return eventually(
        [&] {
          auto st = status();
          for (const auto& p : st["policies"]) {
            if (p["name"] != name) continue;
            size_t files = 0;
            for (const auto& r : p["rules"]) files += r["kind"] == "files";
            if (files == n) return true;
          }
          return false;
        },
        5000);
  }
  // Whether capsad has the open exits attached (their links pinned).
  bool exits_attached() { return std::filesystem::exists(pin_root_ + "/links/capsa_exit_openat"); }
  nlohmann::json container_status(const std::string& id) {
    auto st = status();
    for (const auto& c : st["containers"])
      if (c["id"] == id) return c;
    return nullptr;
  }
};

TEST_F(LandlockTier, DeniedReadAndCreateFailWithEaccesAndTheProcessLivesOn) {
  ASSERT_TRUE(capsad_with_policy("ll", secret_rule("    landlock: true\n")));
  // The init itself runs under the ruleset: it reports what it could read.
  Bundle b({"/bin/sh", "-c", "cat /secret/deep/token >/data/init-read 2>&1; echo rc=$? >>/data/init-read; exec sleep 600"});
  with_secret(b);
  std::string id = start_container(b, "ll");
  ASSERT_TRUE(eventually([&] { return read_file_or_empty(b.rootfs() + "/data/init-read").find("rc=") != std::string::npos; }))
      << read_file_or_empty(b.rootfs() + "/data/init-read");
  std::string init_read = read_file_or_empty(b.rootfs() + "/data/init-read");
  EXPECT_NE(init_read.find("Permission denied"), std::string::npos) << init_read;
  EXPECT_NE(init_read.find("rc=1"), std::string::npos) << init_read;

  // `capsa exec` gets the same ruleset: EACCES, and the shell goes on.
  auto r = exec_in(id, "cat /secret/deep/token; echo rc=$?; cat /etc/shadow; echo rc=$?");
  EXPECT_EQ(r.out, "rc=1\nrc=1\n") << r.err;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  r = exec_in(id, "touch /secret/new; echo rc=$?; mkdir /secret/deep/d; echo rc=$?; echo y >/secret/deep/token; echo rc=$?");
  EXPECT_EQ(r.out, "rc=1\nrc=1\nrc=1\n") << r.err;
  EXPECT_EQ(read_file_or_empty(b.rootfs() + "/secret/deep/token"), "TOKEN\n");
  EXPECT_FALSE(std::filesystem::exists(b.rootfs() + "/secret/new"));
  EXPECT_FALSE(std::filesystem::exists(b.rootfs() + "/secret/deep/d"));
  // Siblings along the route stay usable, for every access.
  r = exec_in(id,
              "cat /etc/passwd >/dev/null; echo rc=$?; ls /etc >/dev/null; echo rc=$?; "
              "echo hi >/data/f && cat /data/f && rm /data/f; echo rc=$?; mkdir -p /tmp/a/b; echo rc=$?");
  EXPECT_EQ(r.out, "rc=0\nrc=0\nhi\nrc=0\nrc=0\n") << r.err;
  // The documented cost: creating directly in a route directory (here / and
  // /etc) is refused too; renames across siblings still work.
  EXPECT_EQ(exec_in(id, "touch /new-at-root; echo rc=$?; touch /etc/new; echo rc=$?; ls / >/dev/null; echo rc=$?").out,
            "rc=1\nrc=1\nrc=1\n");
  EXPECT_EQ(exec_in(id, "echo m >/data/m && mv /data/m /tmp/m && cat /tmp/m; echo rc=$?").out, "m\nrc=0\n");
  // Nothing was killed: no BPF kill raced Landlock's refusal.
  EXPECT_TRUE(capsa(root_.path(), {"state", id}).out.find("\"running\"") != std::string::npos);

  auto c = container_status(id);
  ASSERT_TRUE(c.is_object()) << status().dump(2);
  ASSERT_TRUE(c["landlock"].is_object()) << c.dump(2);
  EXPECT_EQ(c["landlock"]["versions"][0]["policy"], "ll");
  EXPECT_EQ(c["landlock"]["rules"], 2);
  EXPECT_EQ(status()["policies"][0]["files_landlock"], true);
  auto show = run_command({CAPSACTL_BIN, "--root", root_.path(), "policy", "show", "ll"});
  EXPECT_NE(show.out.find("Landlock:   yes (deny and kill file rules"), std::string::npos) << show.out << show.err;
  auto table = run_command({CAPSACTL_BIN, "--root", root_.path(), "status"});
  EXPECT_NE(table.out.find("FILES BY LANDLOCK"), std::string::npos) << table.out << table.err;
  EXPECT_NE(table.out.find("ll#"), std::string::npos) << table.out;
  EXPECT_EQ(status()["tiers"]["files"].get<std::string>().rfind("landlock", 0), 0u) << status()["tiers"].dump(2);
  EXPECT_EQ(sample_value(capsad_->metrics(), "capsa_policy_enforcement_tier", "kind=\"files\",tier=\"landlock\""), 1);
}

// capsad --landlock-events: each refusal is an event (kind file, action
// deny, "enforcer":"landlock", the policy's rule, the path the container
// sees, the accesses refused) and a rule hit, read from the audit records
// Landlock writes; capsad puts the audit state it changed back at exit.
class LandlockEvents : public LandlockTier {
protected:
  std::vector<std::string> capsad_args() const override { return {"--landlock-events"}; }
};

// One test for both, as capsad's audit registration is machine-wide: where
// no audit daemon runs, capsad is it while it runs, and puts audit back as it
// found it when it stops, even when a capsad before it was killed with -9
// (it had noted what it found in the state directory).
TEST_F(LandlockEvents, RefusalsAreEventsAndAuditIsPutBackAfterAKillNineAndAStop) {
  auto found = daemon::read_audit_state();
  ASSERT_TRUE(capsad_with_policy("ll", secret_rule("    landlock: true\n")));
  Bundle b({"/bin/sleep", "600"});
  with_secret(b);
  std::string id = start_container(b, "llev");
  auto r = exec_in(id, "cat /secret/deep/token; echo rc=$?; touch /secret/new; echo rc=$?");
  ASSERT_EQ(r.out, "rc=1\nrc=1\n") << r.err;
  // The kernel drops audit records rather than wait for a slow reader (by
  // design, see README), which a loaded machine running tests side by side
  // can be: the refusals are made again until their events are seen.
  auto seen_after_retries = [&](const std::string& needle, const std::string& again) {
    for (int i = 0; i < 5; ++i) {
      if (eventually([&] { return events().find(needle) != std::string::npos; }, 2000)) return true;
      exec_in(id, again);
    }
    return false;
  };
  ASSERT_TRUE(seen_after_retries("\"enforcer\":\"landlock\"", "cat /secret/deep/token"))
      << "no Landlock event: " << events() << read_file_or_empty(capsad_->log_path());
  // A create is refused on the directory it would create in.
  ASSERT_TRUE(seen_after_retries("\"access\":[\"create\"]", "touch /secret/new")) << events();
  ASSERT_TRUE(seen_after_retries("\"path\":\"/secret/deep/token\"", "cat /secret/deep/token")) << events();
  auto ev = events();
  EXPECT_NE(ev.find("\"path\":\"/secret\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"path\":\"/secret/deep/token\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"access\":[\"read\"]"), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"access\":[\"create\"]"), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"rule\":\"no-secrets\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"policy\":\"ll\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"container_id\":\"" + id + "\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"action\":\"deny\""), std::string::npos) << ev;
  auto metrics = capsad_->metrics();
  auto hits = sample_value(metrics, "capsa_policy_verdicts_total", "container_id=\"" + id + "\"");
  ASSERT_TRUE(hits) << metrics;
  EXPECT_GE(*hits, 2.0) << metrics;

  if (found.pid) GTEST_SKIP() << "an audit daemon (pid " << found.pid << ") runs here: capsad read beside it, and "
                              << "the put-back half of this test does not apply";
  auto running = daemon::read_audit_state();
  EXPECT_EQ(running.pid, static_cast<uint32_t>(capsad_->pid())) << "capsad is the audit daemon";
  EXPECT_GE(running.enabled, 1u);
  EXPECT_EQ(running.backlog_wait_time, 0u) << "a slow capsad must never stall a task that logs";
  capsad_->kill_hard();
  start_capsad();
  EXPECT_EQ(daemon::read_audit_state().pid, static_cast<uint32_t>(capsad_->pid()));
  capsad_.reset();  // a normal stop
  auto after = daemon::read_audit_state();
  EXPECT_EQ(after.pid, 0u);
  EXPECT_EQ(after.enabled, found.enabled);
  EXPECT_EQ(after.backlog_limit, found.backlog_limit);
  EXPECT_EQ(after.backlog_wait_time, found.backlog_wait_time);
  EXPECT_FALSE(std::filesystem::exists(root_.path() + "/audit-restore.json"));
  capsad_.emplace(root_.path(), pin_root_, capsad_args());  // for TearDown
}

TEST_F(LandlockTier, ALaterPolicyVersionCannotRelaxAnInstalledRuleset) {
  ASSERT_TRUE(capsad_with_policy("ll", secret_rule("    landlock: true\n")));
  Bundle b({"/bin/sh", "-c",
            "while true; do cat /secret/deep/token >/dev/null 2>&1; echo $? >/data/init-rc.new; mv /data/init-rc.new "
            "/data/init-rc; sleep 0.1; done"});
  with_secret(b);
  std::string id = start_container(b, "ll-relax");
  ASSERT_TRUE(eventually([&] { return read_file_or_empty(b.rootfs() + "/data/init-rc") == "1\n"; }));
  // The next version drops the rule: new processes read, the init still cannot.
  write_policy("ll.yaml", policy_yaml("ll", "  files:\n    landlock: true\n"));
  ASSERT_TRUE(file_rules_in_force("ll", 0));
  EXPECT_EQ(exec_in(id, "cat /secret/deep/token; echo rc=$?").out, "TOKEN\nrc=0\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(read_file_or_empty(b.rootfs() + "/data/init-rc"), "1\n");
}

TEST_F(LandlockTier, WithoutTheFlagADeniedReadIsStillKilled) {
  ASSERT_TRUE(capsad_with_policy("plain", secret_rule("")));
  Bundle b({"/bin/sleep", "600"});
  with_secret(b);
  std::string id = start_container(b, "ll-off");
  EXPECT_EQ(exec_in(id, "cat /secret/deep/token; echo rc=$?").out, "rc=137\n");
  // Create rules need BPF-LSM without Landlock: a mkdir (no open) goes through.
  EXPECT_EQ(exec_in(id, "mkdir /secret/new; echo rc=$?").out, "rc=0\n");
  auto c = container_status(id);
  ASSERT_TRUE(c.is_object());
  EXPECT_TRUE(c["landlock"].is_null()) << c.dump(2);
}

// Audit mode never blocks a rule: the ruleset holds root confinement alone,
// and the open exits stay, as the audit rules must see the opens.
TEST_F(LandlockTier, AuditModeInstallsRootConfinementOnly) {
  ASSERT_TRUE(capsad_with_policy("audit", "  mode: audit\n" + secret_rule("    landlock: true\n", "kill")));
  Bundle b({"/bin/sleep", "600"});
  with_secret(b);
  std::string id = start_container(b, "ll-audit");
  EXPECT_EQ(exec_in(id, "cat /secret/deep/token; echo rc=$?; touch /secret/new; echo rc=$?").out,
            "TOKEN\nrc=0\nrc=0\n");
  auto c = container_status(id);
  ASSERT_TRUE(c.is_object());
  ASSERT_TRUE(c["landlock"].is_object()) << c.dump(2);
  EXPECT_EQ(c["landlock"]["rules"], 0) << c.dump(2);
  EXPECT_EQ(c["files_by"], "tracepoint-kill") << c.dump(2);
  EXPECT_TRUE(exits_attached());
}

// files.landlock: true confines each process to the container's root with
// Landlock too: a host file reached through a leaked directory fd is refused
// with EACCES before the open (the process goes on; without capsad the read
// works, so the route is real). Once every governed container's processes
// hold the complete ruleset of its policy, the open exits are detached: the
// host's opens pay for no program. A container they must decide for (its
// policy did not opt in), or a policy version with a rule the installed
// rulesets lack, has them attached again before it is bound to it; unix
// sockets outside the root are killed at sk_data_ready either way.
TEST_F(LandlockTier, RootConfinementByLandlockLetsTheOpenExitsGoUntilAContainerNeedsThem) {
  LeakedHostDir leaked;
  ASSERT_TRUE(leaked.sock.ok()) << errno_text(errno);
  Bundle& leak = leaked.bundle;
  const std::string host_dir = leaked.dir.path();
  with_secret(leak);  // every rule path in its root: its ruleset is complete
  leak.save();
  auto base = run_leaking_dir(leak, host_dir, "ll-leak-base");
  ASSERT_EQ(base.out, LeakedHostDir::kOpen) << base.err << " : the escape route does not exist here";

  write_policy("plain.yaml", policy_yaml("plain", "  selector:\n    containers: [\"plain-*\"]\n", false));
  ASSERT_TRUE(capsad_with_policy("ll", secret_rule("    landlock: true\n")));
  Bundle b({"/bin/sleep", "600"});
  with_secret(b);
  std::string id = start_container(b, "ll-root");
  ASSERT_TRUE(eventually([&] { return !exits_attached(); }, 5000)) << status().dump(2);
  EXPECT_EQ(container_status(id)["files_by"], "landlock") << status().dump(2);
  EXPECT_EQ(status()["tiers"]["files"].get<std::string>().rfind("landlock (every governed", 0), 0u)
      << status()["tiers"].dump(2);
  // Landlock refuses the host file; the socket is killed at sk_data_ready.
  auto r = run_leaking_dir(leak, host_dir, "ll-leak");
  EXPECT_EQ(r.out, "rc=1\nrc=137\n") << r.err;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  ASSERT_TRUE(eventually([&] { return events().find("/proc/self/fd/3/host.sock") != std::string::npos; }, 5000))
      << events();
  // Its own files, and the denied ones, as before.
  EXPECT_EQ(exec_in(id, "cat /etc/passwd >/dev/null; echo rc=$?; cat /secret/deep/token; echo rc=$?").out,
            "rc=0\nrc=1\n");
  EXPECT_FALSE(exits_attached()) << "an exec'd process that reported its ruleset keeps them detached";

  // A container whose policy did not opt in is decided on the exits again:
  // the leaked fd's read is killed.
  r = run_leaking_dir(leak, host_dir, "plain-leak");
  EXPECT_EQ(r.out, "rc=137\nrc=137\n") << r.err;
  ASSERT_TRUE(eventually([&] { return !exits_attached(); }, 5000)) << "gone with it";

  // A rule the init's ruleset lacks: the exits come back, and decide it there.
  write_policy("ll.yaml", policy_yaml("ll", "  files:\n    landlock: true\n    rules:\n"
                                            "      - {paths: [/secret/, /etc/shadow], access: [read, write, create]}\n"
                                            "      - {paths: [/etc/hostname], access: [read]}\n"));
  ASSERT_TRUE(file_rules_in_force("ll", 2));
  ASSERT_TRUE(eventually([&] { return exits_attached(); }, 5000)) << status().dump(2);
  EXPECT_EQ(container_status(id)["files_by"], "tracepoint-kill");
  // Back to rules every ruleset holds (the exec'd process's, from the
  // version between, holds more: it refuses more, never less): Landlock
  // decides alone again.
  EXPECT_EQ(exec_in(id, "cat /etc/hostname; echo rc=$?").out, "rc=1\n");
  write_policy("ll.yaml", policy_yaml("ll", secret_rule("    landlock: true\n")));
  ASSERT_TRUE(file_rules_in_force("ll", 1));
  ASSERT_TRUE(eventually([&] { return !exits_attached(); }, 5000)) << status().dump(2);
  EXPECT_EQ(sample_value(capsad_->metrics(), "capsa_container_policy_info",
                         "container_id=\"" + id + "\",policy=\"ll\",files_by=\"landlock\""),
            1)
      << capsad_->metrics();

  // kill -9: the processes keep their rulesets, so the exits need not come
  // back while no capsad runs. A capsad started over the pins does not
  // know what the processes hold: it attaches the exits as it binds them.
  capsad_->kill_hard();
  EXPECT_FALSE(exits_attached());
  EXPECT_EQ(run_leaking_dir(leak, host_dir, "ll-leak-nocapsad").out, LeakedHostDir::kOpen)
      << "a container created while no capsad runs gets no ruleset (and no policy)";
  EXPECT_EQ(exec_in(id, "cat /secret/deep/token; echo rc=$?").out, "rc=1\n");
  start_capsad();
  ASSERT_TRUE(bound(id));
  EXPECT_TRUE(eventually([&] { return exits_attached(); }, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(exits_attached());
  EXPECT_EQ(container_status(id)["files_by"], "tracepoint-kill");
}

// A createContainer hook runs before the init has its ruleset: a child it
// leaves in the container never gets one, so the exits stay attached for it.
TEST_F(LandlockTier, AChildACreateContainerHookLeftBehindKeepsTheOpenExits) {
  ASSERT_TRUE(capsad_with_policy("ll", secret_rule("    landlock: true\n")));
  Bundle quiet({"/bin/sleep", "600"});
  with_secret(quiet);
  std::string quiet_id = start_container(quiet, "ll-quiet");
  ASSERT_TRUE(eventually([&] { return !exits_attached(); }, 5000)) << status().dump(2);

  Bundle b({"/bin/sleep", "600"});
  with_secret(b);
  b.config()["hooks"]["createContainer"] = {
      {{"path", "/bin/sh"}, {"args", {"sh", "-c", "sleep 600 </dev/null >/dev/null 2>&1 &"}}}};
  std::string id = start_container(b, "ll-stray");
  ASSERT_TRUE(eventually([&] { return exits_attached(); }, 5000)) << status().dump(2);
  EXPECT_EQ(container_status(id)["files_by"], "tracepoint-kill") << status().dump(2);
  EXPECT_EQ(container_status(quiet_id)["files_by"], "landlock") << status().dump(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(exits_attached()) << "the stray is still there";

  // Gone with its container: the exits go again.
  ASSERT_EQ(capsa(root_.path(), {"--bpf-pin-root", pin_root_, "delete", "--force", id}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return !exits_attached(); }, 5000)) << status().dump(2);
}

// A task that enters the container's cgroup from outside holds no ruleset:
// capsad sees it (tp_btf/cgroup_attach_task, tp_btf/sched_process_fork) and
// the exits come back, whether a host tool writes another task's pid into
// cgroup.procs, a host shell moves itself, or a host process starts a child
// there with CLONE_INTO_CGROUP. capsa exec's own move of the process it
// starts is matched with that process's report, and keeps them detached.
TEST_F(LandlockTier, ATaskThatEntersFromTheHostBringsTheOpenExitsBack) {
  ASSERT_TRUE(capsad_with_policy("ll", secret_rule("    landlock: true\n")));
  auto layout = cgroup::detect_layout();
  ASSERT_TRUE(layout.unified.has_value());
  auto cgroup_dir = [&](const std::string& id) {
    int init = nlohmann::json::parse(capsa(root_.path(), {"state", id}).out)["pid"];
    std::string path, line;
    std::istringstream lines(read_file("/proc/" + std::to_string(init) + "/cgroup"));
    while (std::getline(lines, line))
      if (line.rfind("0::", 0) == 0) path = line.substr(3);
    return layout.unified->mount_point + path;
  };
  auto sleeper = [&] {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::execl("/bin/sleep", "sleep", "600", nullptr);
      ::_exit(127);
    }
    host_pids_.push_back(pid);
    return pid;
  };
  const std::vector<std::pair<std::string, std::function<void(const std::string&)>>> routes = {
      {"moved by another task",
       [&](const std::string& dir) { write_file(dir + "/cgroup.procs", std::to_string(sleeper())); }},
      {"moving itself",
       [&](const std::string& dir) {
         ASSERT_EQ(run_command({"/bin/sh", "-c", "echo $$ > " + dir + "/cgroup.procs && (sleep 600 &) && echo in"})
                       .out,
                   "in\n");
       }},
      {"born there (CLONE_INTO_CGROUP)",
       [&](const std::string& dir) {
         UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
         ASSERT_TRUE(fd) << errno_text(errno);
         bool into = false;
         long pid = container::clone_child(0, fd.get(), &into);
         if (pid == 0) {
           ::execl("/bin/sleep", "sleep", "600", nullptr);
           ::_exit(127);
         }
         ASSERT_GT(pid, 0) << errno_text(errno);
         host_pids_.push_back(static_cast<pid_t>(pid));
         ASSERT_TRUE(into) << "the kernel did not clone into the cgroup";
       }},
  };
  for (const auto& [how, enter] : routes) {
    SCOPED_TRACE(how);
    Bundle b({"/bin/sleep", "600"});
    with_secret(b);
    std::string id = start_container(b, "ll-entered");
    ASSERT_TRUE(eventually([&] { return !exits_attached(); }, 5000)) << status().dump(2);
    EXPECT_EQ(exec_in(id, "cat /secret/deep/token; echo rc=$?").out, "rc=1\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past capsad's next sweep
    ASSERT_FALSE(exits_attached()) << "capsa exec's process reported its ruleset";
    enter(cgroup_dir(id));
    ASSERT_TRUE(eventually([&] { return exits_attached(); }, 5000)) << status().dump(2);
    EXPECT_EQ(container_status(id)["files_by"], "tracepoint-kill") << status().dump(2);
    ASSERT_EQ(capsa(root_.path(), {"--bpf-pin-root", pin_root_, "delete", "--force", id}).exit_code, 0);
  }
}

TEST_F(LandlockTier, APathMissingFromTheRootIsSkippedAndReported) {
  ASSERT_TRUE(capsad_with_policy("ll", "  files:\n    landlock: true\n    rules:\n"
                                       "      - {paths: [/secret/, /not-there/], access: [read]}\n"));
  Bundle b({"/bin/sleep", "600"});
  with_secret(b);
  b.save();
  std::string id = unique_id("ll-miss");
  ids_.push_back(id);
  auto r = capsa(root_.path(), {"--bpf-pin-root", pin_root_, "run", "-d", "--bundle", b.path(), id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("/not-there/ does not exist in the container's root"), std::string::npos) << r.err;
  EXPECT_EQ(exec_in(id, "cat /secret/deep/token; echo rc=$?").out, "rc=1\n");
  // /not-there/ is the BPF tier's: the open exits stay for this container.
  EXPECT_TRUE(exits_attached());
  EXPECT_EQ(container_status(id)["files_by"], "tracepoint-kill");
}

// At the kernel's limit of 16 stacked Landlock layers the init's ruleset is
// refused: create fails naming Landlock and the errno, and neither the
// container's state nor its cgroup is left.
TEST_F(LandlockTier, ARulesetTheKernelRefusesFailsCreateAndLeavesNothing) {
  ASSERT_TRUE(capsad_with_policy("ll", secret_rule("    landlock: true\n")));
  Bundle b({"/bin/sleep", "600"});
  with_secret(b);
  b.save();
  std::string id = unique_id("ll-refused");
  ids_.push_back(id);
  auto r = run_command({std::string(CAPSA_HELPER_DIR) + "/landlock_layers", "16", CAPSA_BIN, "--root", root_.path(),
                        "--bpf-pin-root", pin_root_, "create", "--bundle", b.path(), id});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Landlock ruleset of policy ll: landlock_restrict_self"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Argument list too long"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(root_.path() + "/" + id));
  EXPECT_NE(capsa(root_.path(), {"state", id}).exit_code, 0);
  auto left = run_command({"/bin/sh", "-c", "find /sys/fs/cgroup -name '*" + id + "*' 2>/dev/null"});
  EXPECT_EQ(left.out, "") << left.out;
}

}  // namespace
}  // namespace capsa::test
