// The BPF-LSM tier, run inside a VM whose kernel offers BPF-LSM
// (tools/vmtest, see tests/vm/run_in_vm.sh). capsad runs with --require-lsm:
// if the LSM programs do not load, capsad does not start and every test
// fails. Here a forbidden open, exec, create or unlink, a unix socket
// outside the root, ptrace or a signal to a host task, and a syscall rule on
// a call with an LSM hook are refused with EPERM before they happen: the
// process lives on and sees the error.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "policy_fixture.h"

namespace capsa::test {
namespace {

class LsmTier : public PolicyFixture {
protected:
  std::vector<std::string> capsad_args() const override { return {"--require-lsm"}; }
};

TEST_F(LsmTier, StatusReportsBpfLsmForFilesExecAndConfinement) {
  start_capsad();
  auto tiers = status()["tiers"];
  for (const char* kind : {"files", "exec", "root-confinement", "task-confinement"})
    EXPECT_EQ(tiers[kind].get<std::string>().rfind("bpf-lsm", 0), 0u) << kind << ": " << tiers.dump(2);
  EXPECT_EQ(sample_value(capsad_->metrics(), "capsa_policy_enforcement_tier", "kind=\"files\",tier=\"bpf-lsm\""),
            1.0)
      << capsad_->metrics();
  EXPECT_EQ(sample_value(capsad_->metrics(), "capsa_policy_enforcement_tier",
                         "kind=\"task-confinement\",tier=\"bpf-lsm\""),
            1.0)
      << capsad_->metrics();
  EXPECT_NE(tiers["syscalls"].get<std::string>().find("bpf-lsm for mount, umount2"), std::string::npos)
      << tiers.dump(2);
  // The LSM hooks decide opens and connects before they return: no exit
  // tracepoint is left for every open on the host to pay for.
  for (const char* exit :
       {"capsa_exit_openat", "capsa_exit_open", "capsa_exit_connect", "capsa_policy_sys_exit", "capsa_unix_datagram"})
    EXPECT_NE(::access((pin_root_ + "/links/" + exit).c_str(), F_OK), 0) << exit << " is attached";
  EXPECT_EQ(::access((pin_root_ + "/links/capsa_lsm_file_open").c_str(), F_OK), 0) << "the LSM links are pinned by program name";
}

// This VM's kernel (6.1) has no cgroup storage maps: telemetry counts a
// container's system calls in the per-CPU hash keyed by its cgroup id
// (capsa_sys_enter_by_id), and /metrics reports the same families.
TEST_F(LsmTier, SyscallsAreCountedByCgroupIdWithoutCgroupStorage) {
  start_capsad();
  constexpr long kCalls = 50000;
  Bundle b({"/bin/syscall_loop", std::to_string(kCalls), "--pause"});
  std::string id = start_container(b, "lsm-count");
  const std::string label = "container_id=\"" + id + "\"";
  double getpid = 0;
  EXPECT_TRUE(eventually(
      [&] {
        getpid = sample_value(capsad_->metrics(), "capsa_container_syscalls_by_name_total",
                              label + ",syscall=\"getpid\"")
                     .value_or(-1);
        return getpid >= kCalls;
      },
      30000))
      << "getpid counted: " << getpid << "\n" << capsad_->metrics();
  EXPECT_LE(getpid, kCalls + 100) << capsad_->metrics();
  EXPECT_GE(sample_value(capsad_->metrics(), "capsa_container_syscalls_total", label).value_or(-1), getpid)
      << capsad_->metrics();
}

TEST_F(LsmTier, FileReadIsRefusedWithEpermAndTheProcessLivesOn) {
  deny_secret_reads();
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  with_secret_token(b);
  std::string id = start_container(b, "lsm-files");
  auto r = exec_in(id, "cat /secret/token; echo rc=$?");
  EXPECT_EQ(r.out, "rc=1\n") << r.out;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
  EXPECT_EQ(exec_in(id, "echo more >> /secret/token; echo rc=$?").out, "rc=0\n");  // write is not in the rule
  ASSERT_TRUE(eventually([&] { return events().find("\"kind\":\"file\"") != std::string::npos; }, 5000)) << events();
  EXPECT_NE(events().find("\"rule\":\"no-secrets\""), std::string::npos) << events();
}

TEST_F(LsmTier, ForbiddenExecIsRefusedBeforeItRuns) {
  write_policy("exec.yaml", policy_yaml("exec", "  exec:\n    rules:\n      - paths: [/bin/forbidden]\n"
                                                "        action: deny\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  ASSERT_EQ(run_command({"/bin/sh", "-c", "cp " + b.rootfs() + "/bin/syscall_loop " + b.rootfs() + "/bin/forbidden"})
                .exit_code,
            0);
  std::string id = start_container(b, "lsm-exec");
  auto r = exec_in(id, "/bin/forbidden 1; echo rc=$?");
  EXPECT_EQ(r.out, "rc=126\n") << r.out << r.err;
  EXPECT_EQ(exec_in(id, "/bin/syscall_loop 1 >/dev/null; echo rc=$?").out, "rc=0\n");
}

TEST_F(LsmTier, CreateAndUnlinkRulesAreEnforced) {
  write_policy("dirs.yaml", policy_yaml("dirs", "  files:\n    rules:\n"
                                                "      - {name: no-create, paths: [/data/], access: [create]}\n"
                                                "      - {name: keep, paths: [/keep/], access: [unlink]}\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  b.config()["root"]["readonly"] = false;
  ASSERT_EQ(run_command({"/bin/sh", "-c", "mkdir -p " + b.rootfs() + "/data " + b.rootfs() + "/keep && touch " +
                                              b.rootfs() + "/data/old " + b.rootfs() + "/keep/file"})
                .exit_code,
            0);
  std::string id = start_container(b, "lsm-dirs");
  EXPECT_EQ(exec_in(id, "touch /data/new; echo rc=$?").out, "rc=1\n");
  EXPECT_EQ(exec_in(id, "echo x > /data/old; echo rc=$?").out, "rc=0\n");  // an existing file is not created
  EXPECT_EQ(exec_in(id, "rm /keep/file; echo rc=$?").out, "rc=1\n");
  EXPECT_EQ(exec_in(id, "test -f /keep/file; echo rc=$?").out, "rc=0\n");
  EXPECT_EQ(exec_in(id, "touch /keep/other && echo ok").out, "ok\n");
}

TEST_F(LsmTier, ReachingTheHostThroughProcRootIsRefused) {
  auto [id, host] = beside_a_host_task("lsm-escape");
  ASSERT_GT(host, 0);
  // The VM's own root has /init.
  const std::string probe = "cat /proc/" + std::to_string(host) + "/root/init >/dev/null; echo rc=$?";
  auto base = exec_in(id, probe);
  ASSERT_EQ(base.out, "rc=0\n") << base.err << " : the escape route does not exist here; the test proves nothing";

  start_capsad();  // no policy: confinement is always on
  ASSERT_TRUE(bound(id)) << status().dump(2);
  auto r = exec_in(id, probe);
  EXPECT_EQ(r.out, "rc=1\n") << r.err;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
  EXPECT_EQ(exec_in(id, "cat /etc/passwd >/dev/null; echo rc=$?").out, "rc=0\n");
  EXPECT_TRUE(eventually([&] { return events().find("\"kind\":\"root-escape\"") != std::string::npos; }, 5000))
      << events();
}

// A host process's unix socket reached through /proc/<host pid>/root:
// connect and sendto are refused before the connection or the datagram
// exists, and the process lives on. Sockets reached through the container's
// own root (inside its rootfs, or bind-mounted in by its config) work.
TEST_F(LsmTier, UnixSocketsOutsideTheRootAreRefusedWithEperm) {
  TempDir host_dir("capsa-unix");
  Bundle b({"/bin/sleep", "600"});
  share_host_pids(b);
  ASSERT_EQ(run_command({"/bin/mkdir", "-p", b.rootfs() + "/run"}).exit_code, 0);
  UnixListener outside(host_dir.path() + "/host.sock");
  UnixListener datagrams(host_dir.path() + "/dgram.sock", SOCK_DGRAM);
  UnixListener in_rootfs(b.rootfs() + "/run/inside.sock");
  UnixListener mounted(host_dir.path() + "/bound.sock");
  ASSERT_TRUE(outside.ok() && datagrams.ok() && in_rootfs.ok() && mounted.ok()) << errno_text(errno);
  bind_mount(b, host_dir.path() + "/bound.sock", "/run/bound.sock");
  std::string id = start_container(b, "lsm-unix");
  pid_t host = host_sleeper();
  ASSERT_GT(host, 0);
  const std::string via = "/proc/" + std::to_string(host) + "/root" + host_dir.path();
  auto base = exec_in(id, "/bin/unix_connect " + via + "/host.sock; /bin/unix_connect " + via + "/dgram.sock sendto");
  ASSERT_EQ(base.out, "ok\nok\n") << base.err << " : the escape route does not exist here; the test proves nothing";

  start_capsad();
  ASSERT_TRUE(bound(id)) << status().dump(2);
  EXPECT_EQ(exec_in(id, "/bin/unix_connect " + via + "/host.sock; echo rc=$?").out, "errno 1\nrc=0\n");
  EXPECT_EQ(exec_in(id, "/bin/unix_connect " + via + "/dgram.sock sendto").out, "errno 1\n");
  EXPECT_EQ(exec_in(id, "/bin/unix_connect " + via + "/dgram.sock dgram").out, "errno 1\n");
  EXPECT_EQ(exec_in(id, "/bin/unix_connect /run/inside.sock").out, "ok\n");
  EXPECT_EQ(exec_in(id, "/bin/unix_connect /run/bound.sock").out, "ok\n");
  ASSERT_TRUE(eventually([&] { return events().find("\"access\":[\"connect\"]") != std::string::npos; }, 5000))
      << events();
  auto ev = events();
  EXPECT_NE(ev.find("\"path\":\"" + via + "/host.sock\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"kind\":\"root-escape\""), std::string::npos) << ev;
  EXPECT_EQ(ev.find("inside.sock"), std::string::npos) << ev;
}

// A host directory fd leaked into the container (--preserve-fds) names the
// host's socket as /proc/self/fd/3/host.sock: refused, the process goes on.
TEST_F(LsmTier, ASocketReachedThroughALeakedDirectoryFdIsRefused) {
  TempDir host_dir("capsa-unix");
  UnixListener outside(host_dir.path() + "/host.sock");
  ASSERT_TRUE(outside.ok()) << errno_text(errno);
  Bundle b({"/bin/sh", "-c", "/bin/unix_connect /proc/self/fd/3/host.sock; echo rc=$?"});
  b.save();
  auto base = run_leaking_dir(b, host_dir.path(), "lsm-leak-base");
  ASSERT_EQ(base.out, "ok\nrc=0\n") << base.err << " : the escape route does not exist here; the test proves nothing";

  start_capsad();
  EXPECT_EQ(run_leaking_dir(b, host_dir.path(), "lsm-leak").out, "errno 1\nrc=0\n");
  EXPECT_TRUE(eventually([&] { return events().find("/proc/self/fd/3/host.sock") != std::string::npos; }, 5000))
      << events();
}

// Task confinement: with the host's pids visible and CAP_SYS_PTRACE and
// CAP_KILL, a container could trace or signal host processes; BPF-LSM
// refuses both, while its own tasks remain fair game.
TEST_F(LsmTier, PtraceAndSignalsToHostTasksAreRefusedOwnTasksAreNot) { check_task_confinement("setown ok\n"); }

// Owners noted for SIGIO share one map: a container may hold
// --fowners-per-container of them. The owner set past that kills its setter
// (an owner-quota event); the others stay usable, and another container's
// quota is its own.
TEST_F(LsmTier, DescriptorOwnersPastTheContainersQuotaKillTheSetterOnly) {
  capsad_.emplace(root_.path(), pin_root_, std::vector<std::string>{"--require-lsm", "--fowners-per-container", "8"});
  Bundle a({"/bin/sleep", "600"}), b({"/bin/sleep", "600"});
  std::string first = start_container(a, "quota-a");
  std::string second = start_container(b, "quota-b");
  auto owned = [](int n) {
    std::string out;
    for (int k = 1; k <= n; ++k) out += "owned " + std::to_string(k) + "\n";
    return out;
  };
  ASSERT_EQ(exec_in(first, "/bin/sigio_probe many 9; echo rc=$?").out, owned(9) + "done\nrc=0\n")
      << "nine owners without capsad";
  start_capsad();
  ASSERT_TRUE(bound(first) && bound(second)) << status().dump(2);
  EXPECT_EQ(exec_in(first, "/bin/sigio_probe many 8; echo rc=$?").out, owned(8) + "done\nrc=0\n")
      << "the quota itself is allowed, and the files of an earlier process no longer count";
  EXPECT_EQ(exec_in(first, "/bin/sigio_probe many 9; echo rc=$?").out, owned(8) + "rc=137\n");
  // The first container holds its eight; the second has eight of its own.
  ASSERT_EQ(exec_in(first, "/bin/sigio_probe many 8 hold > /dev/shm/held 2>&1 < /dev/null & "
                           "echo $! > /dev/shm/holder; for i in $(seq 600); do grep -q done /dev/shm/held && break; sleep 0.05; done; "
                           "cat /dev/shm/held")
                .out,
            owned(8) + "done\n");
  EXPECT_EQ(exec_in(second, "/bin/sigio_probe many 8; echo rc=$?").out, owned(8) + "done\nrc=0\n");
  EXPECT_EQ(exec_in(first, "/bin/sigio_probe fcntl self; echo rc=$?").out, "rc=137\n") << "over its quota";
  // Its files are closed by the time it is a zombie (the container's init,
  // sleep, reaps no one).
  EXPECT_EQ(exec_in(first, "p=$(cat /dev/shm/holder); kill $p; "
                           "while grep -q '^State:.*[RSD]' /proc/$p/status 2>/dev/null; do sleep 0.05; done; "
                           "/bin/sigio_probe fcntl self")
                .out,
            "setown ok\nsigio yes\n")
      << "the held files are gone with their process, and their count with them";
  ASSERT_TRUE(eventually([&] { return events().find("\"operation\":\"owner-quota\"") != std::string::npos; }, 5000))
      << events();
  auto ev = events();
  EXPECT_NE(ev.find("\"limit\":8"), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"container_id\":\"" + first + "\""), std::string::npos) << ev;
}

// Syscall rules on calls with a BPF-LSM hook are EPERM from the hook. A
// container started under the policy starts (the runtime's own mounts
// happen before capsad binds it) and its `mount` fails; one started while
// capsad was away (so without capsad's seccomp filter) gets EPERM from the
// hooks, not the tracepoint kill.
TEST_F(LsmTier, SyscallRulesOnMountAndBpfAreEpermFromTheirHooks) {
  Bundle away({"/bin/sleep", "600"});
  add_caps(away, {"CAP_SYS_ADMIN", "CAP_BPF"});
  away.config()["root"]["readonly"] = false;
  std::string early = start_container(away, "lsm-away");
  const std::string mount = "mkdir -p /m && mount -t tmpfs none /m && umount /m; echo rc=$?";
  const std::string bpf = "/bin/syscall_probe 321 11 x 4";  // BPF_PROG_GET_NEXT_ID
  ASSERT_EQ(exec_in(early, mount).out, "rc=0\n") << "mount is refused without a policy: the test proves nothing";
  ASSERT_NE(exec_in(early, bpf).out, "errno 1\n") << "bpf() is refused without a policy: the test proves nothing";

  write_policy("sys.yaml", policy_yaml("sys", "  syscalls:\n    rules:\n      - name: no-mounts\n"
                                              "        names: [mount, umount2, bpf, keyctl]\n        action: deny\n"));
  start_capsad();
  ASSERT_TRUE(bound(early)) << status().dump(2);
  // The raw call: busybox's mount words EPERM its own way.
  const std::string raw_mount = "/bin/syscall_probe 165 none /m tmpfs 0 0";
  EXPECT_EQ(exec_in(early, raw_mount).out, "errno 1\n");
  EXPECT_EQ(exec_in(early, mount).out, "rc=1\n");
  EXPECT_EQ(exec_in(early, bpf).out, "errno 1\n");
  auto containers = status()["containers"];
  for (const auto& c : containers)
    if (c["id"] == early) {
      EXPECT_NE(c["syscalls"]["bpf-lsm"].dump().find("\"mount\""), std::string::npos) << c.dump(2);
      EXPECT_EQ(c["syscalls"]["tracepoint-kill"].size(), 0u) << c.dump(2);
    }

  Bundle under({"/bin/sleep", "600"});
  add_caps(under, {"CAP_SYS_ADMIN", "CAP_BPF"});
  under.config()["root"]["readonly"] = false;
  std::string id = start_container(under, "lsm-under");
  EXPECT_EQ(exec_in(id, "mkdir -p /m; " + raw_mount).out, "errno 1\n");
  EXPECT_EQ(exec_in(id, bpf).out, "errno 1\n");
  EXPECT_EQ(exec_in(id, "echo alive").out, "alive\n");
  ASSERT_TRUE(eventually([&] { return events().find("\"syscall\":\"mount\"") != std::string::npos; }, 5000))
      << events();
  EXPECT_NE(events().find("\"syscall\":\"bpf\""), std::string::npos) << events();
}

// Rules are written per native call; a 64-bit process may make the same call
// through the i386 ABI (int $0x80) under another number (mount is 21 there,
// which is access natively; personality 136, ustat natively). Both tiers
// judge the call made: the mount hook refuses an i386 mount, and the
// sys_enter kill takes an i386 personality for personality. The calls come
// from the init's child, started while capsad was away: no capsad seccomp
// filter answers them first (a `capsa exec`'d process has one).
TEST_F(LsmTier, I386CallsAreJudgedAsTheNativeCallTheyMake) {
  Bundle away({"/bin/sh", "-c",
               "while [ ! -e /tmp/go ]; do sleep 0.05; done; mkdir -p /m; "
               "/bin/compat_syscall 21 none /m tmpfs 0 0 > /tmp/mount; /bin/compat_syscall 22 /u > /tmp/umount; "
               "/bin/compat_syscall 136 0xffffffff > /tmp/personality; echo rc=$? >> /tmp/personality; sleep 600"});
  add_caps(away, {"CAP_SYS_ADMIN"});
  away.config()["root"]["readonly"] = false;
  std::string id = start_container(away, "lsm-i386");
  auto probe = exec_in(id, "mkdir -p /p && /bin/compat_syscall 21 none /p tmpfs 0 0");
  if (probe.out.rfind("ok", 0) != 0)
    GTEST_SKIP() << "SKIP: this kernel makes no i386 calls from a 64-bit process (IA32 emulation off?): " << probe.out
                 << probe.err << " exit " << probe.exit_code;
  ASSERT_EQ(exec_in(id, "umount /p; /bin/compat_syscall 136 0xffffffff").out.rfind("ok ", 0), 0u)
      << "personality is refused without a policy";
  // i386's umount (22) is umount2 to the rules; /u stays mounted for it.
  ASSERT_EQ(exec_in(id, "mkdir -p /u && mount -t tmpfs none /u; echo rc=$?").out, "rc=0\n");

  write_policy("i386.yaml", policy_yaml("i386", "  syscalls:\n    rules:\n      - names: [mount, umount2, personality]\n"
                                                "        action: deny\n"));
  start_capsad();
  ASSERT_TRUE(bound(id)) << status().dump(2);
  ASSERT_EQ(run_command({"/bin/sh", "-c", "touch " + away.rootfs() + "/tmp/go"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return read_file_or_empty(away.rootfs() + "/tmp/personality") == "rc=137\n"; }, 5000))
      << read_file_or_empty(away.rootfs() + "/tmp/personality");
  EXPECT_EQ(read_file_or_empty(away.rootfs() + "/tmp/mount"), "errno 1\n");
  EXPECT_EQ(read_file_or_empty(away.rootfs() + "/tmp/umount"), "errno 1\n");
  // A process with capsad's filter: its i386 umount goes to capsad too.
  EXPECT_EQ(exec_in(id, "/bin/compat_syscall 22 /u").out, "errno 1\n");
  EXPECT_EQ(exec_in(id, "grep -c ' /u ' /proc/mounts").out, "1\n");
  ASSERT_TRUE(eventually([&] { return events().find("\"syscall\":\"personality\"") != std::string::npos; }, 5000))
      << events();
  EXPECT_NE(events().find("\"syscall\":\"mount\""), std::string::npos) << events();
}

}  // namespace
}  // namespace capsa::test
