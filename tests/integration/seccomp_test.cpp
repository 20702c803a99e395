// linux.seccomp: filters compiled with libseccomp, loaded in the container's
// init and in exec'd processes, checked against the real kernel syscall by
// syscall (the syscall_probe helper makes exactly one raw call).
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "common/unique_fd.h"
#include "container/sync_channel.h"
#include "test_env.h"

namespace capsa::test {
namespace {

// x86_64 numbers, as the probe takes them.
constexpr const char* kMkdir = "83";
constexpr const char* kSocket = "41";

nlohmann::json rule(std::vector<std::string> names, const std::string& action, nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json r = {{"names", names}, {"action", action}};
  r.update(extra);
  return r;
}

class Seccomp : public ::testing::Test {
protected:
  void SetUp() override { CAPSA_REQUIRE_ROOT(); }
  CommandResult run(Bundle& b, const nlohmann::json& profile) {
    b.config()["linux"]["seccomp"] = profile;
    b.save();
    return capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("seccomp")});
  }
  TempDir root_{"capsa-root"};
};

TEST_F(Seccomp, AnErrnoRuleRefusesOnlyItsSyscallsWithItsErrno) {
  Bundle b({"/bin/sh", "-c", "syscall_probe " + std::string(kMkdir) + " /tmp/d 0755; mkdir /tmp/e; touch /tmp/f && echo touched"});
  b.config()["root"]["readonly"] = false;
  auto r = run(b, {{"defaultAction", "SCMP_ACT_ALLOW"},
                   {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
                   {"syscalls", {rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", {{"errnoRet", EACCES}})}}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("errno 13\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("touched"), std::string::npos) << r.out;
}

TEST_F(Seccomp, ArgumentConditionsNarrowARule) {
  Bundle b({"/bin/sh", "-c",
            std::string("syscall_probe ") + kSocket + " 2 1 0; syscall_probe " + kSocket + " 1 1 0 | cut -c1-2"});
  auto r = run(b, {{"defaultAction", "SCMP_ACT_ALLOW"},
                   {"syscalls",
                    {rule({"socket"}, "SCMP_ACT_ERRNO",
                          {{"errnoRet", EAFNOSUPPORT}, {"args", {{{"index", 0}, {"value", AF_INET}, {"op", "SCMP_CMP_EQ"}}}}})}}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "errno 97\nok\n");
}

TEST_F(Seccomp, AKillRuleEndsTheProcessWithSigsys) {
  Bundle b({"/bin/uname"});
  auto r = run(b, {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {rule({"uname"}, "SCMP_ACT_KILL_PROCESS")}}});
  EXPECT_EQ(r.exit_code, 128 + SIGSYS) << r.err;
}

TEST_F(Seccomp, DefaultErrnoWithUnknownNamesSkippedAsRuncDoes) {
  // Everything but what sh, the probe and the runtime's last steps need is refused with ENOSYS.
  Bundle b({"/bin/syscall_probe", "39"});  // getpid: not allowed
  auto r = run(b, {{"defaultAction", "SCMP_ACT_ERRNO"},
                   {"defaultErrnoRet", ENOSYS},
                   {"syscalls",
                    {rule({"execve", "write", "exit_group", "exit", "brk", "arch_prctl", "set_tid_address",
                           "set_robust_list", "rseq", "prlimit64", "mprotect", "readlink", "uname", "getrandom",
                           "close", "openat", "sendto", "sendmsg", "fcntl", "prctl", "getppid", "newfstatat",
                           "fstat", "access", "mmap", "munmap", "read", "no_such_syscall_in_any_kernel"},
                          "SCMP_ACT_ALLOW")}}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "errno 38\n");
}

TEST_F(Seccomp, NoNewPrivilegesLoadsTheFilterAfterTheIdentityChange) {
  Bundle b({"/bin/sh", "-c", "id -u; mkdir /tmp/x"});
  b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.config()["process"]["noNewPrivileges"] = true;
  auto r = run(b, {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO")}}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "1000\n");
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
}

TEST_F(Seccomp, ExecdProcessesGetTheContainersFilter) {
  Bundle b({"/bin/sleep", "300"});
  b.config()["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                    {"syscalls", {rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", {{"errnoRet", EROFS}})}}};
  b.save();
  std::string id = unique_id("seccomp-exec");
  ASSERT_EQ(capsa(root_.path(), {"run", "-d", "--bundle", b.path(), id}).exit_code, 0);
  auto r = capsa(root_.path(), {"exec", id, "syscall_probe", kMkdir, "/tmp/y", "0755"});
  capsa(root_.path(), {"delete", "--force", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "errno 30\n");
}

// The listener end of SCMP_ACT_NOTIFY: receives the containerProcessState
// and the notify fd, then answers one notification with EXDEV.
TEST_F(Seccomp, NotifyHandsTheFdToTheListenerWhichAnswersForTheKernel) {
  TempDir dir("capsa-listener");
  std::string path = dir.path() + "/listener.sock";
  UniqueFd srv(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(srv.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(srv.get(), 1), 0);

  nlohmann::json got;
  int answered_nr = -1;
  std::thread listener([&] {
    UniqueFd conn(::accept4(srv.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return;
    auto msg = container::recv_with_fd(conn.get());
    if (!msg || !msg->fd) return;
    got = nlohmann::json::parse(msg->msg);
    struct seccomp_notif* req;
    struct seccomp_notif_resp* resp;
    if (::seccomp_notify_alloc(&req, &resp) != 0) return;
    if (::seccomp_notify_receive(msg->fd.get(), req) == 0) {
      answered_nr = req->data.nr;
      resp->id = req->id;
      resp->error = -EXDEV;
      resp->val = 0;
      resp->flags = 0;
      ::seccomp_notify_respond(msg->fd.get(), resp);
    }
    ::seccomp_notify_free(req, resp);
  });

  Bundle b({"/bin/syscall_probe", kMkdir, "/tmp/n", "0755"});
  b.config()["annotations"] = {{"org.example/who", "test"}};
  auto r = run(b, {{"defaultAction", "SCMP_ACT_ALLOW"},
                   {"listenerPath", path},
                   {"listenerMetadata", "meta-1"},
                   {"syscalls", {rule({"mkdir"}, "SCMP_ACT_NOTIFY")}}});
  listener.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "errno 18\n");
  EXPECT_EQ(answered_nr, 83);
  ASSERT_TRUE(got.is_object());
  EXPECT_EQ(got["fds"], nlohmann::json({"seccompFd"}));
  EXPECT_EQ(got["metadata"], "meta-1");
  EXPECT_EQ(got["state"]["status"], "creating");
  EXPECT_EQ(got["state"]["annotations"]["org.example/who"], "test");
  EXPECT_GT(got["pid"].get<int>(), 0);
  EXPECT_EQ(got["pid"], got["state"]["pid"]);
}

TEST_F(Seccomp, AListenerThatIsNotThereFailsCreateAndLeavesNothingBehind) {
  TempDir dir("capsa-listener");
  Bundle b({"/bin/true"});
  b.config()["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                    {"listenerPath", dir.path() + "/absent.sock"},
                                    {"syscalls", {rule({"mkdir"}, "SCMP_ACT_NOTIFY")}}};
  b.save();
  std::string id = unique_id("seccomp-nolistener");
  auto r = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("linux.seccomp.listenerPath " + dir.path() + "/absent.sock: connect: No such file or directory"),
            std::string::npos)
      << r.err;
  auto list = capsa(root_.path(), {"list", "-q"});
  EXPECT_EQ(list.out, "");
  EXPECT_TRUE(mounts_mentioning(id).empty());
}

}  // namespace
}  // namespace capsa::test
