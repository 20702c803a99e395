// process.terminal: a pty from the container's own devpts, relayed by a
// foreground `run`, or handed to --console-socket as runc does.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "common/unique_fd.h"
#include "container/sync_channel.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class Terminal : public ::testing::Test {
protected:
  void SetUp() override { CAPSA_REQUIRE_ROOT(); }
  TempDir root_{"capsa-root"};

  static void use_terminal(Bundle& b) {
    b.config()["process"]["terminal"] = true;
    b.save();
  }
};

TEST_F(Terminal, ForegroundRunRelaysThePty) {
  Bundle b({"/bin/sh", "-c", "tty; test -t 0 && test -t 1 && echo stdio-is-tty; test -c /dev/console && echo console; exit 3"});
  use_terminal(b);
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("tty")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // The pty turns \n into \r\n, as any terminal does.
  EXPECT_EQ(r.out, "/dev/pts/0\r\nstdio-is-tty\r\nconsole\r\n");
}

TEST_F(Terminal, CreateWithoutConsoleSocketFailsAndLeavesNothing) {
  Bundle b({"/bin/true"});
  use_terminal(b);
  std::string id = unique_id("nosock");
  auto r = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("process.terminal: true needs --console-socket"), std::string::npos) << r.err;
  EXPECT_EQ(leftovers_of_failed_create(root_.path(), id, b.path()), "");
}

TEST_F(Terminal, ConsoleSocketWithoutTerminalIsRejected) {
  Bundle b({"/bin/true"});
  auto r = capsa(root_.path(), {"create", "--console-socket", root_.path() + "/s", "--bundle", b.path(), unique_id("x")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--console-socket: process.terminal is false"), std::string::npos) << r.err;
}

TEST_F(Terminal, ConsoleSocketReceivesThePtyMaster) {
  std::string path = root_.path() + "/console.sock";
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);

  std::optional<container::Received> got;
  std::thread accept_one([&] {
    UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn) got = container::recv_with_fd(conn.get());
  });
  Bundle b({"/bin/sh", "-c", "echo hello-through-the-pty; sleep 0.2"});
  use_terminal(b);
  std::string id = unique_id("sock");
  auto c = capsa(root_.path(), {"create", "--console-socket", path, "--bundle", b.path(), id});
  accept_one.join();
  ASSERT_EQ(c.exit_code, 0) << c.err;
  ASSERT_TRUE(got && got->fd) << "no terminal received";
  EXPECT_EQ(got->msg, "/dev/pts/0");
  ASSERT_EQ(capsa(root_.path(), {"start", id}).exit_code, 0);
  std::string out;
  char buf[256];
  for (ssize_t n; out.find("hello-through-the-pty") == std::string::npos && (n = ::read(got->fd.get(), buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<size_t>(n));
  EXPECT_NE(out.find("hello-through-the-pty"), std::string::npos) << out;
  EXPECT_EQ(capsa(root_.path(), {"delete", "--force", id}).exit_code, 0);
}

}  // namespace
}  // namespace capsa::test
