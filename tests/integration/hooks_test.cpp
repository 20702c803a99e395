// config.json hooks, run by the real capsa against real containers: shell
// hooks record the state JSON on their stdin, their argv, env and mount
// namespace, so each kind is checked for its moment, status and namespace.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <sstream>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

// Records what a hook sees into <out>/<kind>.*; $1 is the kind, $2 the
// output directory. Also notes the order of hooks sharing an output dir.
constexpr const char* kRecorder =
    "k=$1; o=$2; cat > $o/$k.state; readlink /proc/self/ns/mnt > $o/$k.mntns; "
    "tr '\\0' ' ' < /proc/$$/cmdline > $o/$k.argv; echo \"$HOOK_VAR\" > $o/$k.env; echo $k >> $o/order; "
    "pid=$(sed -n 's/.*\"pid\":\\([0-9]*\\).*/\\1/p' $o/$k.state); "
    "[ \"$pid\" != 0 ] && cat /proc/$pid/cgroup > $o/$k.cgroup; true";

// argv0: busybox (the container's /bin/sh) picks its applet by argv[0].
nlohmann::json hook(const std::string& kind, const std::string& script, const std::string& out,
                    std::optional<int> timeout = std::nullopt, const std::string& argv0 = "") {
  nlohmann::json h = {{"path", "/bin/sh"},
                      {"args", {argv0.empty() ? "hook-argv0-" + kind : argv0, "-c", script, "sh", kind, out}},
                      {"env", {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOOK_VAR=env-of-" + kind}}};
  if (timeout) h["timeout"] = *timeout;
  return h;
}

std::string ns_of(const std::string& pid) {
  char buf[64] = {};
  ssize_t n = ::readlink(("/proc/" + pid + "/ns/mnt").c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) + "\n" : "";
}

nlohmann::json state_file(const std::string& path) {
  auto text = read_file_or_empty(path);
  if (text.empty()) return nlohmann::json::object();
  return nlohmann::json::parse(text);
}

// The container's cgroup directories, from a /proc/<pid>/cgroup copy: those
// lines whose path differs from ours (so the runtime made them).
std::vector<std::string> container_cgroup_dirs(const std::string& proc_cgroup) {
  std::map<std::string, std::string> mine;
  std::istringstream own(read_file_or_empty("/proc/self/cgroup"));
  for (std::string line; std::getline(own, line);) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    mine[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
  }
  std::vector<std::string> dirs;
  std::istringstream in(proc_cgroup);
  for (std::string line; std::getline(in, line);) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (path == mine[ctrls]) continue;
    std::string mount = "/sys/fs/cgroup";
    if (ctrls.empty()) {
      if (path_exists("/sys/fs/cgroup/unified")) mount += "/unified";
    } else {
      mount += "/" + (ctrls.rfind("name=", 0) == 0 ? ctrls.substr(5) : ctrls);
    }
    dirs.push_back(mount + path);
  }
  return dirs;
}

// Exited, even if nobody reaped it yet.
bool gone(const std::string& pid) {
  std::string stat = read_file_or_empty("/proc/" + pid + "/stat");
  auto paren = stat.rfind(") ");
  return paren == std::string::npos || stat[paren + 2] == 'Z' || stat[paren + 2] == 'X';
}

class Hooks : public ::testing::Test {
protected:
  void SetUp() override { CAPSA_REQUIRE_ROOT(); }
  TempDir root_{"capsa-root"};
  TempDir out_{"capsa-hooks"};

  std::string status(const std::string& id) {
    auto r = capsa(root_.path(), {"state", id});
    return r.exit_code == 0 ? nlohmann::json::parse(r.out).value("status", "") : "";
  }
  std::string out(const std::string& name) { return read_file_or_empty(out_.path() + "/" + name); }
};

TEST_F(Hooks, EveryKindRunsAtItsMomentWithTheStateOfThatMoment) {
  // The program proves startContainer ran before it: the hook's file is there.
  Bundle b({"/bin/sh", "-c", "test -e /startContainer.state && touch /program-saw-start-hook; sleep 300"});
  b.config()["root"]["readonly"] = false;
  b.config()["annotations"] = {{"org.example.hooks", "yes"}};
  auto& h = b.config()["hooks"];
  for (const char* kind : {"prestart", "createRuntime", "createContainer", "poststart", "poststop"})
    h[kind] = {hook(kind, kRecorder, out_.path())};
  // Resolved and run inside the container: it records into the container's "/".
  h["startContainer"] = {hook("startContainer", kRecorder, "/", std::nullopt, "sh")};
  b.save();
  std::string id = unique_id("hooks");
  std::string host_ns = ns_of("self");

  auto c = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto st = nlohmann::json::parse(capsa(root_.path(), {"state", id}).out);
  int pid = st["pid"];
  std::string container_ns = ns_of(std::to_string(pid));
  ASSERT_NE(container_ns, host_ns);

  EXPECT_EQ(out("order"), "prestart\ncreateRuntime\ncreateContainer\n") << "start-time hooks ran at create";
  for (const char* kind : {"prestart", "createRuntime", "createContainer"}) {
    SCOPED_TRACE(kind);
    auto s = state_file(out_.path() + "/" + kind + ".state");
    EXPECT_EQ(s["status"], "creating");
    EXPECT_EQ(s["id"], id);
    EXPECT_EQ(s["pid"], pid);
    EXPECT_EQ(s["bundle"], b.path());
    EXPECT_EQ(s["annotations"]["org.example.hooks"], "yes");
    EXPECT_EQ(s["ociVersion"], "1.2.0");
    EXPECT_EQ(out(std::string(kind) + ".env"), "env-of-" + std::string(kind) + "\n");
  }
  // createContainer's $$ is in the container's pid namespace while /proc is
  // still the host's: its argv cannot be read back the same way.
  for (const char* kind : {"prestart", "createRuntime"})
    EXPECT_EQ(out(std::string(kind) + ".argv"), "hook-argv0-" + std::string(kind) + " -c " + kRecorder + " sh " +
                                                    kind + " " + out_.path() + " ");
  // The container's cgroups already held the init (createContainer, in the
  // container's cgroup namespace, would see them as its root).
  EXPECT_FALSE(container_cgroup_dirs(out("prestart.cgroup")).empty()) << out("prestart.cgroup");
  EXPECT_FALSE(container_cgroup_dirs(out("createRuntime.cgroup")).empty()) << out("createRuntime.cgroup");
  EXPECT_EQ(out("prestart.mntns"), host_ns);
  EXPECT_EQ(out("createRuntime.mntns"), host_ns);
  EXPECT_EQ(out("createContainer.mntns"), container_ns) << "createContainer runs in the container's mount namespace";
  EXPECT_FALSE(path_exists(b.rootfs() + "/startContainer.state"));

  auto s = capsa(root_.path(), {"start", id});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  // poststart has run by the time start returns.
  EXPECT_EQ(out("order"), "prestart\ncreateRuntime\ncreateContainer\npoststart\n");
  auto started = state_file(out_.path() + "/poststart.state");
  EXPECT_EQ(started["status"], "running");
  EXPECT_EQ(started["pid"], pid);
  EXPECT_EQ(out("poststart.mntns"), host_ns);

  auto in_container = state_file(b.rootfs() + "/startContainer.state");
  EXPECT_EQ(in_container["status"], "created");
  EXPECT_EQ(in_container["id"], id);
  EXPECT_EQ(read_file_or_empty(b.rootfs() + "/startContainer.mntns"), container_ns);
  EXPECT_EQ(read_file_or_empty(b.rootfs() + "/startContainer.env"), "env-of-startContainer\n");
  EXPECT_TRUE(eventually([&] { return path_exists(b.rootfs() + "/program-saw-start-hook"); }));

  EXPECT_FALSE(path_exists(out_.path() + "/poststop.state")) << "poststop waits for delete";
  ASSERT_EQ(capsa(root_.path(), {"kill", id, "KILL"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return status(id) == "stopped"; }));
  EXPECT_FALSE(path_exists(out_.path() + "/poststop.state")) << "poststop waits for delete";
  auto d = capsa(root_.path(), {"delete", id});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  auto stopped = state_file(out_.path() + "/poststop.state");
  EXPECT_EQ(stopped["status"], "stopped");
  EXPECT_EQ(stopped["pid"], 0);
  EXPECT_EQ(stopped["id"], id);
  EXPECT_EQ(out("poststop.mntns"), host_ns);
  EXPECT_EQ(out("order"), "prestart\ncreateRuntime\ncreateContainer\npoststart\npoststop\n");
}

TEST_F(Hooks, AFailingCreateRuntimeHookFailsCreateAndLeavesNothing) {
  Bundle b({"/bin/true"});
  std::string record = std::string(kRecorder) + "; echo the hook broke >&2; exit 3";
  b.config()["hooks"]["createRuntime"] = {hook("createRuntime", record, out_.path())};
  b.config()["hooks"]["createContainer"] = {hook("createContainer", kRecorder, out_.path())};
  b.config()["hooks"]["poststop"] = {hook("poststop", kRecorder, out_.path())};
  b.save();
  std::string id = unique_id("hookfail");

  auto c = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.err.find("hooks.createRuntime[0] /bin/sh: exited with status 3"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("the hook broke"), std::string::npos) << c.err;
  EXPECT_EQ(out("order"), "createRuntime\n") << "nothing after the failed hook runs";

  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");
  EXPECT_FALSE(path_exists(root_.path() + "/" + id));
  auto dirs = container_cgroup_dirs(out("createRuntime.cgroup"));
  ASSERT_FALSE(dirs.empty()) << out("createRuntime.cgroup");
  for (const auto& d : dirs) EXPECT_FALSE(path_exists(d)) << d;
  int pid = state_file(out_.path() + "/createRuntime.state")["pid"];
  EXPECT_TRUE(eventually([&] { return gone(std::to_string(pid)); })) << "init left running";
  EXPECT_TRUE(mounts_mentioning(b.path()).empty());
}

TEST_F(Hooks, AFailingCreateContainerHookFailsCreateAndLeavesNothing) {
  Bundle b({"/bin/true"});
  b.config()["hooks"]["createContainer"] = {hook("createContainer", "echo no mounts for you >&2; exit 1", "")};
  b.save();
  std::string id = unique_id("ccfail");
  auto c = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.err.find("hooks.createContainer[0] /bin/sh: exited with status 1, stderr: no mounts for you"),
            std::string::npos)
      << c.err;
  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");
  EXPECT_EQ(leftovers_of_failed_create(root_.path(), id, b.path()), "");
}

TEST_F(Hooks, ATimedOutHookIsKilledAndReported) {
  Bundle b({"/bin/true"});
  // The shell waits on a sleep of its own: both must die.
  b.config()["hooks"]["prestart"] = {hook("prestart", "echo $$ > $2/hook.pid; sleep 60 & echo $! > $2/sleep.pid; wait",
                                          out_.path(), 1)};
  b.save();
  std::string id = unique_id("hooktime");
  auto t0 = std::chrono::steady_clock::now();
  auto c = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.err.find("hooks.prestart[0] /bin/sh: timed out after 1s"), std::string::npos) << c.err;
  EXPECT_LT(took, std::chrono::seconds(20));
  for (const char* f : {"hook.pid", "sleep.pid"}) {
    std::string pid = out(f);
    ASSERT_FALSE(pid.empty()) << f;
    pid.pop_back();
    EXPECT_TRUE(eventually([&] { return gone(pid); })) << f << " " << pid << " still runs";
  }
  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");
}

TEST_F(Hooks, AFailingStartContainerHookFailsStartAndTheProgramNeverRuns) {
  Bundle b({"/bin/sh", "-c", "touch /program-ran; sleep 300"});
  b.config()["root"]["readonly"] = false;
  b.config()["hooks"]["startContainer"] = {hook("startContainer", "echo not today >&2; exit 4", "", std::nullopt, "sh")};
  b.config()["hooks"]["poststart"] = {hook("poststart", kRecorder, out_.path())};
  b.save();
  std::string id = unique_id("scfail");
  ASSERT_EQ(capsa(root_.path(), {"create", "--bundle", b.path(), id}).exit_code, 0);
  auto s = capsa(root_.path(), {"start", id});
  EXPECT_NE(s.exit_code, 0);
  EXPECT_NE(s.err.find("hooks.startContainer[0] /bin/sh: exited with status 4, stderr: not today"), std::string::npos)
      << s.err;
  EXPECT_TRUE(eventually([&] { return status(id) == "stopped"; }));
  EXPECT_FALSE(path_exists(b.rootfs() + "/program-ran"));
  EXPECT_EQ(out("order"), "") << "no poststart for a program that never started";
  EXPECT_EQ(capsa(root_.path(), {"delete", id}).exit_code, 0);
  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");
}

TEST_F(Hooks, AFailingPoststartHookOnlyWarns) {
  Bundle b({"/bin/sleep", "300"});
  b.config()["hooks"]["poststart"] = {hook("poststart", "exit 9", ""),
                                      hook("poststart", kRecorder, out_.path())};
  b.save();
  std::string id = unique_id("psfail");
  ASSERT_EQ(capsa(root_.path(), {"create", "--bundle", b.path(), id}).exit_code, 0);
  auto s = capsa(root_.path(), {"start", id});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.err.find("hooks.poststart[0] /bin/sh: exited with status 9"), std::string::npos) << s.err;
  EXPECT_EQ(out("order"), "poststart\n") << "the hooks after a failed one still run";
  EXPECT_EQ(status(id), "running");
  EXPECT_EQ(capsa(root_.path(), {"delete", "--force", id}).exit_code, 0);
}

TEST_F(Hooks, PoststopRunsAfterAForegroundRunAndItsFailureDoesNotStopDelete) {
  Bundle b({"/bin/sh", "-c", "exit 5"});
  b.config()["hooks"]["poststop"] = {hook("poststop", "exit 1", ""), hook("poststop", kRecorder, out_.path())};
  b.save();
  std::string id = unique_id("poststop");
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), id});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("hooks.poststop[0] /bin/sh: exited with status 1"), std::string::npos) << r.err;
  auto s = state_file(out_.path() + "/poststop.state");
  EXPECT_EQ(s["status"], "stopped");
  EXPECT_EQ(s["id"], id);
  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");
}

}  // namespace
}  // namespace capsa::test
