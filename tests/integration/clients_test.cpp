// Real clients driving capsa as their OCI runtime: Debian's podman (through
// conmon) and containerd 1.6 (through containerd-shim-runc-v2), each side by
// side with runc so "as with runc" is measured, not assumed.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

bool executable(const std::string& p) { return ::access(p.c_str(), X_OK) == 0; }

constexpr const char* kRunc = "/usr/sbin/runc";

// podman with private storage (vfs: no overlay-on-overlay here) and a
// containers.conf of its own. This host's open-files hard limit is 20000
// without CAP_SYS_RESOURCE, so podman's default rlimits (1048576) fail under
// runc as well; the conf asks for limits the host can grant.
// ctest runs these tests side by side: each gets its own per-boot directory
// and file locks in it, because podman's default shm lock table
// (/dev/shm/libpod_lock) and /run/libpod are shared by every podman root and
// two roots handing out the same lock number fail with "file exists".
class Podman : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    if (!executable("/usr/bin/podman")) GTEST_SKIP() << "podman is not installed (tools/install-deps.sh installs it)";
    write_file_atomic(dir_.path() + "/containers.conf",
                      "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n"
                      "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n"
                      "lock_type = \"file\"\ntmp_dir = \"" + dir_.path() + "/tmp\"\n",
                      0644);
    Bundle b({"/bin/true"});
    ASSERT_EQ(run_command({"/bin/tar", "-C", b.rootfs(), "-cf", dir_.path() + "/rootfs.tar", "."}).exit_code, 0);
    auto imp = podman(kRunc, {"import", dir_.path() + "/rootfs.tar", kImage});
    ASSERT_EQ(imp.exit_code, 0) << imp.err;
    ready_ = true;
  }
  void TearDown() override {
    if (!ready_) return;
    podman(CAPSA_BIN, {"rm", "--all", "--force", "--time", "0"});
    podman(kRunc, {"rm", "--all", "--force", "--time", "0"});
    // Storage layers and the image go with the directory; shm mounts went with rm.
    podman(kRunc, {"system", "reset", "--force"});
  }
  CommandResult podman(const std::string& runtime, std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/env",   "CONTAINERS_CONF=" + dir_.path() + "/containers.conf",
                                     "/usr/bin/podman", "--root", dir_.path() + "/storage", "--runroot",
                                     dir_.path() + "/run", "--storage-driver", "vfs", "--runtime", runtime};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }
  static constexpr const char* kImage = "localhost/capsa-test-busybox";
  TempDir dir_{"capsa-podman"};
  bool ready_ = false;
};

TEST_F(Podman, RunPassesOutputAndExitCodesAsRuncDoes) {
  struct Case {
    std::vector<std::string> cmd;
    std::string out;
  };
  std::vector<Case> cases = {
      {{"sh", "-c", "echo hello; exit 3"}, "hello\n"},
      {{"/nonexistent"}, ""},   // runc: 127
      {{"/etc/passwd"}, ""},    // not executable; runc: 126
      {{"sh", "-c", "kill -TERM $$"}, ""},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"run", "--rm", "--network", "none", kImage};
    args.insert(args.end(), c.cmd.begin(), c.cmd.end());
    auto with_runc = podman(kRunc, args);
    auto with_capsa = podman(CAPSA_BIN, args);
    EXPECT_EQ(with_capsa.exit_code, with_runc.exit_code) << c.cmd[0] << "\ncapsa: " << with_capsa.err << "\nrunc: " << with_runc.err;
    EXPECT_EQ(with_capsa.out, c.out) << with_capsa.err;
    EXPECT_EQ(with_runc.out, c.out) << with_runc.err;
  }
}

TEST_F(Podman, DetachedContainerExecLogsKillStopAndRm) {
  auto run = podman(CAPSA_BIN, {"run", "-d", "--name", "c1", kImage, "sh", "-c",
                                "echo started; trap 'echo got-usr1' USR1; trap 'echo bye; exit 7' TERM; "
                                "while true; do sleep 0.1; done"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto exec = podman(CAPSA_BIN, {"exec", "c1", "sh", "-c", "echo in-exec $(cat /proc/1/comm); exit 4"});
  EXPECT_EQ(exec.exit_code, 4) << exec.err;
  EXPECT_EQ(exec.out, "in-exec sh\n");
  auto detached = podman(CAPSA_BIN, {"exec", "-d", "c1", "touch", "/tmp/from-detached-exec"});
  EXPECT_EQ(detached.exit_code, 0) << detached.err;
  EXPECT_TRUE(eventually([&] { return podman(CAPSA_BIN, {"exec", "c1", "test", "-e", "/tmp/from-detached-exec"}).exit_code == 0; }));
  // The container's seccomp profile (podman's default) is in force.
  auto status = podman(CAPSA_BIN, {"exec", "c1", "grep", "^Seccomp:", "/proc/1/status"});
  EXPECT_EQ(status.out, "Seccomp:\t2\n") << status.err;
  auto kill = podman(CAPSA_BIN, {"kill", "--signal", "USR1", "c1"});
  EXPECT_EQ(kill.exit_code, 0) << kill.err;
  EXPECT_TRUE(eventually([&] { return podman(CAPSA_BIN, {"logs", "c1"}).out.find("got-usr1") != std::string::npos; }));
  auto stop = podman(CAPSA_BIN, {"stop", "--time", "10", "c1"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  auto state = podman(CAPSA_BIN, {"inspect", "c1", "--format", "{{.State.Status}} {{.State.ExitCode}}"});
  EXPECT_EQ(state.out, "exited 7\n") << state.err;
  auto logs = podman(CAPSA_BIN, {"logs", "c1"});
  EXPECT_EQ(logs.out, "started\ngot-usr1\nbye\n") << logs.err;
  auto rm = podman(CAPSA_BIN, {"rm", "c1"});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(podman(CAPSA_BIN, {"ps", "-a", "-q"}).out, "");
}

TEST_F(Podman, DefaultNetworkAndTerminal) {
  auto net = podman(CAPSA_BIN, {"run", "--rm", kImage, "sh", "-c", "ip -o link | grep -c eth0"});
  EXPECT_EQ(net.exit_code, 0) << net.err;
  EXPECT_EQ(net.out, "1\n");
  auto tty = podman(CAPSA_BIN, {"run", "--rm", "-t", kImage, "tty"});
  EXPECT_EQ(tty.exit_code, 0) << tty.err;
  EXPECT_EQ(tty.out.rfind("/dev/pts/", 0), 0u) << tty.out;
}

// containerd with its own root, state and socket, and a namespace of its
// own, so neither a system containerd nor an earlier run is involved.
class Containerd : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    if (!executable("/usr/bin/containerd") || !executable("/usr/bin/ctr"))
      GTEST_SKIP() << "containerd is not installed (tools/install-deps.sh installs it)";
    sock_ = dir_.path() + "/containerd.sock";
    write_file_atomic(dir_.path() + "/config.toml",
                      "version = 2\nroot = \"" + dir_.path() + "/root\"\nstate = \"" + dir_.path() +
                          "/state\"\n[grpc]\n  address = \"" + sock_ + "\"\n",
                      0644);
    daemon_ = ::fork();
    ASSERT_GE(daemon_, 0);
    if (daemon_ == 0) {
      std::string log = dir_.path() + "/containerd.log";
      FILE* f = std::freopen(log.c_str(), "w", stderr);
      (void)f;
      ::execl("/usr/bin/containerd", "containerd", "--config", (dir_.path() + "/config.toml").c_str(), nullptr);
      ::_exit(127);
    }
    ASSERT_TRUE(eventually([&] { return ctr({"version"}).exit_code == 0; }, 20000))
        << read_file_or_empty(dir_.path() + "/containerd.log");
    rootfs_ = std::make_unique<Bundle>(std::vector<std::string>{"/bin/true"});
  }
  void TearDown() override {
    if (daemon_ <= 0) return;
    for (const auto& id : {"t1", "t2", "t3"}) {
      ctr({"task", "kill", "--signal", "KILL", id});
      ctr({"task", "delete", "--force", id});
      ctr({"container", "delete", id});
    }
    ::kill(daemon_, SIGTERM);
    ::waitpid(daemon_, nullptr, 0);
    run_command({"/bin/rm", "-rf", "/run/containerd/runc/" + ns_});
  }
  CommandResult ctr(std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/ctr", "--address", sock_, "--namespace", ns_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }
  TempDir dir_{"capsa-containerd"};
  std::string sock_;
  std::string ns_ = unique_id("capsa-test");
  pid_t daemon_ = -1;
  std::unique_ptr<Bundle> rootfs_;
};

TEST_F(Containerd, CtrRunsAndDeletesContainersThroughTheShim) {
  auto run = ctr({"run", "--rm", "--runc-binary", CAPSA_BIN, "--rootfs", rootfs_->rootfs(), "t1", "/bin/sh", "-c",
                  "echo hi-from-ctr; exit 5"});
  EXPECT_EQ(run.exit_code, 5) << run.err;
  EXPECT_EQ(run.out, "hi-from-ctr\n");
  EXPECT_EQ(ctr({"container", "list", "--quiet"}).out, "");

  // A failure travels back through the shim from capsa's JSON log.
  auto bad = ctr({"run", "--rm", "--runc-binary", CAPSA_BIN, "--rootfs", rootfs_->rootfs(), "t2", "/bin/nonexistent"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("exec: \"/bin/nonexistent\": No such file or directory"), std::string::npos) << bad.err;
}

TEST_F(Containerd, DetachedTaskExecPsKillDelete) {
  auto run = ctr({"run", "-d", "--runc-binary", CAPSA_BIN, "--rootfs", rootfs_->rootfs(), "t3", "/bin/sh", "-c",
                  "trap 'exit 0' TERM; while true; do sleep 0.1; done"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto exec = ctr({"task", "exec", "--exec-id", "e1", "t3", "/bin/sh", "-c", "cat /proc/1/comm; exit 6"});
  EXPECT_EQ(exec.exit_code, 6) << exec.err;
  EXPECT_EQ(exec.out, "sh\n");
  // `ctr task ps` is the shim calling `capsa ps --format json`.
  auto ps = ctr({"task", "ps", "t3"});
  EXPECT_EQ(ps.exit_code, 0) << ps.err;
  EXPECT_NE(ps.out.find("PID"), std::string::npos) << ps.out;
  auto kill = ctr({"task", "kill", "--signal", "TERM", "t3"});
  EXPECT_EQ(kill.exit_code, 0) << kill.err;
  EXPECT_TRUE(eventually([&] { return ctr({"task", "list"}).out.find("STOPPED") != std::string::npos; }, 10000))
      << ctr({"task", "list"}).out;
  EXPECT_EQ(ctr({"task", "delete", "t3"}).exit_code, 0);
  EXPECT_EQ(ctr({"container", "delete", "t3"}).exit_code, 0);
  EXPECT_EQ(ctr({"container", "list", "--quiet"}).out, "");
}

}  // namespace
}  // namespace capsa::test
