// capsad's argument routes: their wire form, and the filter the runtime
// builds from them, loaded in a child whose calls reach this test as the
// listener (only the commands named come, whatever the upper 32 bits hold).
#include "container/seccomp_arg_route.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/error.h"
#include "container/seccomp_filter.h"
#include "container/sync_channel.h"

namespace capsa::container {
namespace {

TEST(SeccompArgRoute, RoundTripsThroughJson) {
  std::vector<SeccompArgRoute> in{{"fcntl", 1, {8, 15}}, {"ioctl", 1, {0x8901}}};
  auto out = arg_routes_from_json(arg_routes_to_json(in), "reply");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].syscall, "fcntl");
  EXPECT_EQ(out[0].arg, 1u);
  EXPECT_EQ(out[0].values, (std::vector<uint32_t>{8, 15}));
  EXPECT_EQ(out[1].values, (std::vector<uint32_t>{0x8901}));
}

TEST(SeccompArgRoute, ABadReplyNamesTheElementAndWhatWasExpected) {
  auto error_of = [](const char* text) {
    try {
      arg_routes_from_json(nlohmann::json::parse(text), "routed_when");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of(R"({"syscall":"fcntl"})").find("routed_when: expected a list"), std::string::npos);
  EXPECT_NE(error_of(R"([{"syscall":"fcntl","arg":6,"values":[8]}])").find("routed_when[0]: \"arg\" must be 0..5"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"syscall":"fcntl","arg":1,"values":[8]},{"arg":1,"values":[8]}])")
                .find("routed_when[1]: \"syscall\" must be a name"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"syscall":"fcntl","arg":1,"values":[]}])").find("non-empty"), std::string::npos);
  EXPECT_NE(error_of(R"([{"syscall":"fcntl","arg":1,"values":[4294967296]}])").find("32-bit"), std::string::npos);
}

// The child makes the calls in `calls` (fcntl on fd 0 with these commands)
// under notify_on({}, routes); returns the commands that reached the
// listener, each let through.
std::vector<uint64_t> routed_commands(const std::vector<uint64_t>& calls) {
  std::set<uint32_t> added;
  auto filter = SeccompFilter::notify_on({}, {{"fcntl", 1, {F_SETOWN}}}, added);
  EXPECT_TRUE(added.empty()) << "a routed-by-argument call is not covered whole";
  int sv[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(sv[0]);
    if (filter.load() != 0) ::_exit(10);
    int listener = filter.notify_fd();
    // The listener goes to the parent; the child's copy must go, or the
    // parent would never see the filter's last user leave.
    if (!send_with_fd(sv[1], "listener", listener)) ::_exit(11);
    ::close(listener);
    for (uint64_t cmd : calls) ::syscall(SYS_fcntl, 0, cmd, ::getpid());
    ::_exit(0);
  }
  ::close(sv[1]);
  std::vector<uint64_t> seen;
  if (auto got = recv_with_fd(sv[0]); got && got->fd) {
    int listener = got->fd.get();
    for (;;) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0 || !(p.revents & POLLIN)) break;
      seccomp_notif req{};
      if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) break;
      EXPECT_EQ(req.data.nr, SYS_fcntl);
      seen.push_back(req.data.args[1]);
      seccomp_notif_resp resp{};
      resp.id = req.id;
      resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
  }
  ::close(sv[0]);
  int ws = 0;
  ::waitpid(pid, &ws, 0);
  EXPECT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) << "child wait status " << ws;
  return seen;
}

TEST(SeccompArgRoute, OnlyTheNamedCommandReachesTheListenerWhateverItsUpperBits) {
  auto seen = routed_commands({F_GETFL, F_SETOWN, F_GETOWN, 0x100000000ull | F_SETOWN, 0x100000000ull | F_GETFL});
  EXPECT_EQ(seen, (std::vector<uint64_t>{F_SETOWN, 0x100000000ull | F_SETOWN}));
}

}  // namespace
}  // namespace capsa::container
