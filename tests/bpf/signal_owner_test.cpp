// Signals a container makes the kernel send without naming their target,
// for containers with a pid namespace of their own too: turning O_ASYNC on,
// or picking the signal with F_SETSIG, on a descriptor whose owner is a host
// task, either because a host process set it before handing the descriptor
// over, or because the descriptor is a terminal whose foreground process
// group the kernel makes the owner. Each route is shown real first (without
// capsad the host task dies of the signal); under capsad the host task
// lives. On the seccomp tier (this host) the call is refused with EPERM; on
// the BPF-LSM tier (the vm tier runs this file too) so is arming a host
// owner (file_fcntl, file_ioctl), while the terminal's group, which the
// kernel makes the owner inside the call, is refused its SIGIO as it goes
// out (file_send_sigiotask).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "policy_fixture.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class SignalOwners : public PolicyFixture {
protected:
  // Running, not a zombie waiting for a reaper that is not the test.
  static bool alive(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
  }
  // `capsa run --preserve-fds 1` of bundle `b` under the host-side
  // sigio_probe mode `how` (which hands it fd 3 and makes I/O on it).
  CommandResult run_handed(const std::vector<std::string>& how, const Bundle& b, const std::string& prefix) {
    std::string id = unique_id(prefix);
    ids_.push_back(id);
    std::vector<std::string> cmd = {std::string(CAPSA_HELPER_DIR) + "/sigio_probe"};
    cmd.insert(cmd.end(), how.begin(), how.end());
    for (const std::string& a : {std::string("--"), std::string(CAPSA_BIN), std::string("--root"), root_.path(),
                                 std::string("--bpf-pin-root"), pin_root_, std::string("run"),
                                 std::string("--preserve-fds"), std::string("1"), std::string("--bundle"), b.path(), id})
      cmd.push_back(a);
    return run_command(cmd);
  }
  static pid_t victim_of(const std::string& err) {
    auto at = err.find("victim ");
    return at == std::string::npos ? 0 : static_cast<pid_t>(std::stol(err.substr(at + 7)));
  }
  bool lsm_host() {
    start_capsad();
    bool lsm = status()["tiers"]["files"].get<std::string>().rfind("bpf-lsm", 0) == 0;
    capsad_.reset();
    capsad_.emplace(root_.path(), pin_root_, capsad_args());
    return lsm;
  }
};

TEST_F(SignalOwners, AnOwnerAHostProcessSetIsNotSignalledFromAContainer) {
  Bundle b({"/bin/sigio_probe", "async", "3", "15"});
  b.save();
  pid_t victim = host_sleeper();
  auto base = run_handed({"hand", std::to_string(victim)}, b, "owner-base");
  ASSERT_EQ(base.out, "setsig ok\nasync ok\n") << base.err;
  ASSERT_TRUE(eventually([&] { return !alive(victim); }, 3000))
      << "SIGTERM reaches the host owner without capsad: the test proves nothing";

  start_capsad();
  victim = host_sleeper();
  auto r = run_handed({"hand", std::to_string(victim)}, b, "owner");
  EXPECT_EQ(r.out, "setsig errno 1\nasync errno 1\n") << r.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(alive(victim)) << "the host owner got the signal";
  ASSERT_TRUE(eventually([&] { return events().find("\"signal\":15") != std::string::npos; }, 5000)) << events();
  auto ev = events();
  EXPECT_NE(ev.find("\"kind\":\"task-escape\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"target_pid\":" + std::to_string(victim)), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"syscall\":\"fcntl\""), std::string::npos) << ev;

  // The container's own descriptors keep working: it owns them itself.
  Bundle own({"/bin/sigio_probe", "fcntl", "self"});
  own.save();
  std::string id = unique_id("owner-self");
  ids_.push_back(id);
  EXPECT_EQ(capsa(root_.path(), {"--bpf-pin-root", pin_root_, "run", "--bundle", own.path(), id}).out,
            "setown ok\nsigio yes\n");
}

TEST_F(SignalOwners, ATerminalsForegroundGroupOutsideIsNotMadeTheOwner) {
  bool lsm = lsm_host();
  Bundle b({"/bin/sigio_probe", "async", "3"});
  b.save();
  auto base = run_handed({"tty"}, b, "tty-base");
  pid_t victim = victim_of(base.err);
  ASSERT_GT(victim, 0) << base.err;
  ASSERT_EQ(base.out, "async ok\n") << base.err;
  bool died = eventually([&] { return !alive(victim); }, 3000);
  ::kill(victim, SIGKILL);
  ASSERT_TRUE(died) << "SIGIO reaches the terminal's foreground group without capsad: the test proves nothing";

  start_capsad();
  auto r = run_handed({"tty"}, b, "tty");
  victim = victim_of(r.err);
  ASSERT_GT(victim, 0) << r.err;
  EXPECT_EQ(r.out, lsm ? "async ok\n" : "async errno 1\n") << r.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(alive(victim)) << "the terminal's foreground group got SIGIO";
  ::kill(victim, SIGKILL);
  ASSERT_TRUE(eventually([&] { return events().find("\"target_pid\":" + std::to_string(victim)) != std::string::npos; },
                         5000))
      << events();
  EXPECT_NE(events().find("\"signal\":29"), std::string::npos) << events();

  // A terminal of the container's own (its devpts numbers the same as the
  // host's first ones) whose foreground group is inside: O_ASYNC works.
  Bundle own({"/bin/sigio_probe", "owntty"});
  own.save();
  std::string id = unique_id("tty-own");
  ids_.push_back(id);
  auto o = capsa(root_.path(), {"--bpf-pin-root", pin_root_, "run", "--bundle", own.path(), id});
  EXPECT_EQ(o.out, "async ok\n") << o.err;
}

}  // namespace
}  // namespace capsa::test
