// Regression tests for runc's container-escape CVEs, run against capsa:
// the runtime binary cannot be overwritten from a container (CVE-2019-5736),
// no host fd or working directory leaks in (CVE-2024-21626), mount targets
// stay inside the rootfs (CVE-2021-30465), and /proc cannot be mounted
// through a symlink (CVE-2019-16884, CVE-2023-27561).
#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cerrno>
#include <functional>
#include <sstream>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

std::string link_of(const std::string& path) {
  char buf[512];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

pid_t init_pid(const std::string& root, const std::string& id) {
  auto st = capsa(root, {"state", id});
  return nlohmann::json::parse(st.out)["pid"].get<pid_t>();
}

class RuntimeEscapes : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    write_file_atomic(host_dir_.path() + "/host-secret", "host only\n");
  }
  // capsa with fd 7 open on a host directory, as a careless caller leaks it.
  CommandResult capsa_leaking_fd7(const std::string& args) {
    return run_command({"/bin/sh", "-c", "exec 7<" + host_dir_.path() + "; exec " + CAPSA_BIN + " --root " +
                                             root_.path() + " " + args});
  }
  TempDir root_{"capsa-root"};
  TempDir host_dir_{"capsa-host-dir"};
};

TEST_F(RuntimeEscapes, TheRuntimeBinaryAContainerCanReachIsASealedCopy) {
  Bundle b({"/bin/sleep", "1000"});
  std::string id = unique_id("exe");
  ASSERT_EQ(capsa(root_.path(), {"create", "--bundle", b.path(), id}).exit_code, 0);
  pid_t pid = init_pid(root_.path(), id);
  // Until start, the init is capsa's stub, inside the container.
  EXPECT_EQ(link_of("/proc/" + std::to_string(pid) + "/exe"), "/memfd:capsa-init-stub (deleted)");
  // What the container's own processes can open meanwhile is the stub (a
  // few KB, not capsa's MBs), and it takes no writes.
  auto peek = capsa(root_.path(), {"exec", id, "/bin/sh", "-c",
                                   "wc -c </proc/1/exe; echo x >>/proc/1/exe 2>/dev/null && echo written || echo refused"});
  ASSERT_EQ(peek.exit_code, 0) << peek.err;
  std::istringstream words(peek.out);
  long size = 0;
  std::string verdict;
  words >> size >> verdict;
  EXPECT_GT(size, 0) << peek.out;
  EXPECT_LT(size, 64 * 1024) << peek.out;
  EXPECT_EQ(verdict, "refused") << peek.out;
  // An attacker's way: hold the exe, wait for the runtime to be gone, write.
  int held = ::open(("/proc/" + std::to_string(pid) + "/exe").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(held, 0);
  ASSERT_EQ(capsa(root_.path(), {"start", id}).exit_code, 0);
  ASSERT_TRUE(eventually([&] { return link_of("/proc/" + std::to_string(pid) + "/exe") == "/bin/sleep" ||
                                      link_of("/proc/" + std::to_string(pid) + "/exe").find("busybox") != std::string::npos; }));
  int w = ::open(("/proc/self/fd/" + std::to_string(held)).c_str(), O_WRONLY | O_CLOEXEC);
  if (w >= 0) {
    errno = 0;
    EXPECT_EQ(::write(w, "x", 1), -1);
    EXPECT_EQ(errno, EPERM) << "the copy is sealed against writes";
    ::close(w);
  } else {
    EXPECT_TRUE(errno == EPERM || errno == ETXTBSY) << errno;
  }
  ::close(held);
  EXPECT_EQ(capsa(root_.path(), {"delete", "--force", id}).exit_code, 0);
}

// capsa's own binary as a container could reach it before start: the
// stub, when the init was alone in a new PID namespace until it exec'd it;
// the sealed copy of all of capsa when the PID namespace is the host's, a
// hook is given the init or runs inside the container, or a non-root user's
// exec needs more than its ambient capabilities (container/init_stub.h).
TEST_F(RuntimeEscapes, BeforeStartTheInitIsTheStubOrASealedCopyOfCapsa) {
  struct Case {
    const char* name;
    std::function<void(nlohmann::json&)> edit;
    const char* exe;
  };
  std::vector<Case> cases = {
      {"new PID namespace", [](nlohmann::json&) {}, "/memfd:capsa-init-stub (deleted)"},
      {"host PID namespace",
       [](nlohmann::json& c) {
         auto& ns = c["linux"]["namespaces"];
         for (size_t i = 0; i < ns.size(); ++i)
           if (ns[i]["type"] == "pid") ns.erase(i);
       },
       "/memfd:capsa (deleted)"},
      {"createContainer hook",
       [](nlohmann::json& c) { c["hooks"]["createContainer"] = {{{"path", "/bin/true"}}}; },
       "/memfd:capsa (deleted)"},
      {"prestart hook", [](nlohmann::json& c) { c["hooks"]["prestart"] = {{{"path", "/bin/true"}}}; },
       "/memfd:capsa (deleted)"},
      {"non-root user with effective capabilities beyond ambient",
       [](nlohmann::json& c) {
         c["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
         for (const char* set : {"bounding", "effective", "permitted"}) c["process"]["capabilities"][set] = {"CAP_DAC_OVERRIDE"};
         c["process"]["capabilities"]["ambient"] = nlohmann::json::array();
       },
       "/memfd:capsa (deleted)"},
  };
  for (const auto& c : cases) {
    Bundle b({"/bin/sleep", "1000"});
    c.edit(b.config());
    b.save();
    std::string id = unique_id("exe-kind");
    auto r = capsa(root_.path(), {"create", "--bundle", b.path(), id});
    ASSERT_EQ(r.exit_code, 0) << c.name << ": " << r.err;
    std::string proc = "/proc/" + std::to_string(init_pid(root_.path(), id));
    EXPECT_EQ(link_of(proc + "/exe"), c.exe) << c.name;
    ASSERT_EQ(capsa(root_.path(), {"start", id}).exit_code, 0) << c.name;
    EXPECT_TRUE(eventually([&] { return link_of(proc + "/exe").find("busybox") != std::string::npos; }))
        << c.name << ": " << link_of(proc + "/exe");
    EXPECT_EQ(capsa(root_.path(), {"delete", "--force", id}).exit_code, 0);
  }
}

// The CVE's own trick: the container's program is "#!/proc/self/exe", so
// the kernel runs whatever the exec'ing process is. Here that is the stub,
// which refuses to do anything. A file that is no program is reported as the
// init reported it.
TEST_F(RuntimeEscapes, AProgramThatIsProcSelfExeRunsTheStubNotCapsa) {
  Bundle b({"/evil"});
  write_file_atomic(b.rootfs() + "/evil", "#!/proc/self/exe\n");
  write_file_atomic(b.rootfs() + "/garbage", "not a program\n");
  ASSERT_EQ(::chmod((b.rootfs() + "/evil").c_str(), 0755), 0);
  ASSERT_EQ(::chmod((b.rootfs() + "/garbage").c_str(), 0755), 0);
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("selfexe")});
  EXPECT_EQ(r.exit_code, 127) << r.err;
  EXPECT_EQ(r.err, "capsa init: this program only runs as a container's init, started by capsa\n");

  b.config()["process"]["args"] = {"/garbage"};
  b.save();
  r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("garbage")});
  EXPECT_EQ(r.exit_code, 127) << r.err;
  EXPECT_EQ(r.err, "capsa init: exec /garbage: Exec format error\n");
  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");
}

TEST_F(RuntimeEscapes, NoHostFdReachesTheContainer) {
  Bundle b({"/bin/sh", "-c", "ls /proc/self/fd | tr '\\n' ' '; ls /proc/self/fd/7/ 2>/dev/null || echo no-fd7"});
  auto r = capsa_leaking_fd7("run --bundle " + b.path() + " " + unique_id("fds"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0 1 2 3 no-fd7\n");  // 3 is ls's own directory fd

  Bundle s({"/bin/sleep", "1000"});
  std::string id = unique_id("fds-exec");
  ASSERT_EQ(capsa(root_.path(), {"run", "--detach", "--bundle", s.path(), id}).exit_code, 0);
  auto e = capsa_leaking_fd7("exec " + id + " /bin/sh -c 'ls /proc/self/fd | tr \"\\n\" \" \"'");
  EXPECT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.out, "0 1 2 3 ");
  EXPECT_EQ(capsa(root_.path(), {"delete", "--force", id}).exit_code, 0);
}

TEST_F(RuntimeEscapes, AWorkingDirectoryThroughAnInheritedFdIsRefused) {
  for (int fd = 3; fd <= 9; ++fd) {
    Bundle b({"/bin/ls"});
    b.config()["process"]["cwd"] = "/proc/self/fd/" + std::to_string(fd);
    b.save();
    auto r = capsa_leaking_fd7("run --bundle " + b.path() + " " + unique_id("cwd"));
    EXPECT_NE(r.exit_code, 0) << "cwd /proc/self/fd/" << fd << ": " << r.out;
    EXPECT_EQ(r.out.find("host-secret"), std::string::npos) << "cwd /proc/self/fd/" << fd;
  }
  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");

  Bundle s({"/bin/sleep", "1000"});
  std::string id = unique_id("cwd-exec");
  ASSERT_EQ(capsa(root_.path(), {"run", "--detach", "--bundle", s.path(), id}).exit_code, 0);
  for (int fd = 3; fd <= 9; ++fd) {
    auto e = capsa_leaking_fd7("exec --cwd /proc/self/fd/" + std::to_string(fd) + " " + id + " /bin/ls");
    EXPECT_NE(e.exit_code, 0) << "exec --cwd /proc/self/fd/" << fd << ": " << e.out;
    EXPECT_EQ(e.out.find("host-secret"), std::string::npos) << "exec --cwd /proc/self/fd/" << fd;
  }
  EXPECT_EQ(capsa(root_.path(), {"delete", "--force", id}).exit_code, 0);
}

TEST_F(RuntimeEscapes, AMountThroughASymlinkLandsInsideTheRootfs) {
  // Absolute and ../-laden symlinks both resolve as if the rootfs were "/".
  std::string outside = host_dir_.path() + "/made-by-capsa";
  Bundle b({"/bin/sh", "-c", "cat " + outside + "/host-secret; cat /up/host-secret"});
  ASSERT_EQ(::symlink(outside.c_str(), (b.rootfs() + "/escape").c_str()), 0);
  ASSERT_EQ(::symlink(("../../../../../../.." + outside).c_str(), (b.rootfs() + "/up").c_str()), 0);
  for (const char* dest : {"/escape", "/up"})
    b.config()["mounts"].push_back(
        {{"destination", dest}, {"type", "bind"}, {"source", host_dir_.path()}, {"options", {"rbind", "ro"}}});
  b.save();
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("symlink")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "host only\nhost only\n");
  EXPECT_FALSE(path_exists(outside)) << "a mount point was created on the host";
  EXPECT_TRUE(path_exists(b.rootfs() + outside));
}

TEST_F(RuntimeEscapes, ProcThroughASymlinkIsRefusedAndLeavesNothing) {
  Bundle b({"/bin/true"});
  ASSERT_EQ(run_command({"/bin/rm", "-rf", b.rootfs() + "/proc"}).exit_code, 0);
  ASSERT_EQ(::mkdir((b.rootfs() + "/fakeproc").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("/fakeproc", (b.rootfs() + "/proc").c_str()), 0);
  std::string id = unique_id("procsym");
  auto r = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("(/proc): proc must be mounted on a real directory, but /proc goes through a symlink in the "
                       "rootfs (to /fakeproc)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");
  EXPECT_FALSE(path_exists("/sys/fs/cgroup/pids/capsa/" + id));
}

}  // namespace
}  // namespace capsa::test
