// Policies enforced by capsad's BPF programs on real containers: cgroup
// hooks refuse network, sysctl and device access with EPERM; tracepoints
// kill forbidden execs and syscalls; updates apply to running containers;
// a bad policy leaves the old one in force; enforcement outlives capsad.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include <sstream>

#include <gtest/gtest.h>

#include "policy_fixture.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/mountinfo.h"
#include "common/unique_fd.h"
#include "daemon/control_socket.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class PolicyEnforcement : public PolicyFixture {};

// Two listeners inside the container's own network namespace.
Bundle listening_bundle(int denied, int allowed) {
  return Bundle({"/bin/sh", "-c",
                 "while true; do nc -l -p " + std::to_string(denied) + " >/dev/null; done & while true; do nc -l -p " +
                     std::to_string(allowed) + " >/dev/null; done & sleep 600"});
}

TEST_F(PolicyEnforcement, TcpConnectToADeniedPortIsRefusedAndReported) {
  write_policy("net.yaml", policy_yaml("net", deny_port(9901)));
  start_capsad();
  auto b = listening_bundle(9901, 9902);
  std::string id = start_container(b, "net");
  ASSERT_TRUE(eventually([&] { return connect_in(id, 9902).exit_code == 0; }, 5000)) << "allowed port never answered";
  auto denied = connect_in(id, 9901);
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.err.find("Operation not permitted"), std::string::npos) << denied.err;

  ASSERT_TRUE(eventually([&] { return events().find("\"kind\":\"network\"") != std::string::npos; }, 5000)) << events();
  auto ev = events();
  EXPECT_NE(ev.find("\"action\":\"deny\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"port\":9901"), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"rule\":\"no-9901\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"container_id\":\"" + id + "\""), std::string::npos) << ev;
  EXPECT_GE(sample_value(capsad_->metrics(), "capsa_policy_verdicts_total",
                         "container_id=\"" + id + "\",policy=\"net\",kind=\"network\",rule=\"no-9901\"")
                .value_or(0),
            1)
      << capsad_->metrics();
}

// What an address or protocol stands for, not how it is written: a connect
// or send to the unspecified address reaches the loopback and is judged as
// 127.0.0.1 (or ::1); a bind to :: takes IPv4 too and is judged as 0.0.0.0
// as well; a protocol-any rule holds protocols other than TCP and UDP.
TEST_F(PolicyEnforcement, NetworkRulesJudgeWhatAnAddressReaches) {
  write_policy("net.yaml", policy_yaml("net", "  network:\n    rules:\n"
                                              "      - {name: no-loop-9, cidrs: [127.0.0.0/8], ports: [9], action: deny}\n"
                                              "      - {name: no-v4-2222, direction: bind, cidrs: [0.0.0.0/0], ports: [2222], action: deny}\n"
                                              "      - {name: no-ten, cidrs: [10.0.0.0/8], action: deny}\n"));
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "netaddr");
  const std::string udplite = "inet_probe sendto udplite 10.1.2.3 5";
  // Without capsad: nothing refuses (what the network answers instead).
  EXPECT_EQ(exec_in(id, "inet_probe connect tcp 0.0.0.0 9").out, "errno 111\n");  // ECONNREFUSED
  EXPECT_EQ(exec_in(id, "inet_probe bind tcp :: 2222").out, "ok\n");
  auto lite = exec_in(id, udplite).out;
  start_capsad();
  ASSERT_TRUE(bound(id));
  EXPECT_EQ(exec_in(id, "inet_probe connect tcp 0.0.0.0 9").out, "errno 1\n");
  EXPECT_EQ(exec_in(id, "inet_probe sendto udp 0.0.0.0 9").out, "errno 1\n");
  EXPECT_EQ(exec_in(id, "inet_probe connect tcp ::ffff:0.0.0.0 9").out, "errno 1\n");
  EXPECT_EQ(exec_in(id, "inet_probe connect tcp 0.0.0.0 10").out, "errno 111\n");
  EXPECT_EQ(exec_in(id, "inet_probe bind tcp :: 2222").out, "errno 1\n");
  EXPECT_EQ(exec_in(id, "inet_probe bind tcp ::1 2222").out, "ok\n");
  EXPECT_EQ(exec_in(id, "inet_probe bind tcp :: 2223").out, "ok\n");
  if (lite.rfind("socket errno", 0) == 0) {
    std::cerr << "SKIP (part): this kernel has no UDP-Lite sockets (" << lite << "), protocol any is not checked\n";
  } else {
    EXPECT_EQ(lite, "errno 101\n");  // ENETUNREACH: the container has only lo
    EXPECT_EQ(exec_in(id, udplite).out, "errno 1\n");
  }
  ASSERT_TRUE(eventually([&] { return events().find("\"rule\":\"no-v4-2222\"") != std::string::npos; }, 5000))
      << events();
  EXPECT_NE(events().find("\"rule\":\"no-loop-9\""), std::string::npos) << events();
}

// A bind to :: is judged as :: and as 0.0.0.0, each half by its own rules
// or the default: an allow for IPv6 alone does not open IPv4's port.
TEST_F(PolicyEnforcement, ADualStackBindNeedsBothHalvesAllowed) {
  write_policy("net.yaml", policy_yaml("net", "  network:\n    default: deny\n    rules:\n"
                                              "      - {direction: bind, cidrs: [\"::/0\"], ports: [8080], action: allow}\n"
                                              "      - {direction: bind, cidrs: [0.0.0.0/0], ports: [8081], action: allow}\n"
                                              "      - {direction: bind, cidrs: [\"::/0\", 0.0.0.0/0], ports: [8082], action: allow}\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "netbind");
  EXPECT_EQ(exec_in(id, "inet_probe bind tcp ::1 8080").out, "ok\n");
  EXPECT_EQ(exec_in(id, "inet_probe bind tcp :: 8080").out, "errno 1\n");
  EXPECT_EQ(exec_in(id, "inet_probe bind tcp 0.0.0.0 8081").out, "ok\n");
  EXPECT_EQ(exec_in(id, "inet_probe bind tcp :: 8081").out, "errno 1\n");
  EXPECT_EQ(exec_in(id, "inet_probe bind tcp :: 8082").out, "ok\n");
}

TEST_F(PolicyEnforcement, HostProcessesAreNotGoverned) {
  write_policy("net.yaml", policy_yaml("net", deny_port(9903)));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  start_container(b, "bystander");
  // The same address and port from the host: no policy applies.
  int srv = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(9903);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ASSERT_EQ(::bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << errno_text(errno);
  ASSERT_EQ(::listen(srv, 1), 0);
  int cli = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(::connect(cli, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << errno_text(errno);
  ::close(cli);
  ::close(srv);
}

TEST_F(PolicyEnforcement, SysctlWriteIsRefused) {
  write_policy("sysctl.yaml", policy_yaml("sysctl", "  sysctls:\n    rules:\n      - names: [kernel.hostname]\n"
                                                     "        access: [write]\n        action: deny\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  // /proc/sys is read-only by default; make it writable so the policy is what refuses.
  auto& ro = b.config()["linux"]["readonlyPaths"];
  ro.erase(std::remove(ro.begin(), ro.end(), "/proc/sys"), ro.end());
  std::string id = start_container(b, "sysctl");
  auto w = exec_in(id, "echo forbidden > /proc/sys/kernel/hostname");
  EXPECT_NE(w.exit_code, 0);
  EXPECT_NE(w.err.find("Operation not permitted"), std::string::npos) << w.err;
  EXPECT_EQ(exec_in(id, "cat /proc/sys/kernel/hostname").exit_code, 0);  // reads are not in the rule
  EXPECT_EQ(exec_in(id, "echo other > /proc/sys/kernel/domainname").exit_code, 0);
  EXPECT_TRUE(eventually([&] { return events().find("\"sysctl\":\"kernel.hostname\"") != std::string::npos; }, 5000))
      << events();
}

// An interface name with a dot (VLANs are named so): the rule names the
// sysctl in the /proc/sys form and matches it, not a name split at the dot.
TEST_F(PolicyEnforcement, SysctlRuleOnAComponentWithADot) {
  write_policy("sysctl.yaml", policy_yaml("sysctl", "  sysctls:\n    rules:\n"
                                                     "      - names: [net/ipv4/conf/v.5/accept_redirects]\n"
                                                     "        access: [write]\n        action: deny\n"));
  Bundle b({"/bin/sleep", "600"});
  auto& ro = b.config()["linux"]["readonlyPaths"];
  ro.erase(std::remove(ro.begin(), ro.end(), "/proc/sys"), ro.end());
  std::string id = start_container(b, "sysctldot");
  pid_t pid = nlohmann::json::parse(capsa(root_.path(), {"state", id}).out).value("pid", -1);
  ASSERT_GT(pid, 0);
  auto veth = run_command({"/bin/sh", "-c", "nsenter -t " + std::to_string(pid) +
                                                " -n ip link add v.5 type veth peer name w 2>&1"});
  if (veth.exit_code != 0) GTEST_SKIP() << "SKIP: no veth interfaces here: " << veth.out;
  const std::string dotted = "echo 0 > /proc/sys/net/ipv4/conf/v.5/accept_redirects";
  auto before = exec_in(id, dotted);
  ASSERT_EQ(before.exit_code, 0) << "refused without capsad: the test proves nothing: " << before.err;
  start_capsad();
  ASSERT_TRUE(bound(id));
  auto w = exec_in(id, dotted);
  EXPECT_NE(w.exit_code, 0);
  EXPECT_NE(w.err.find("Operation not permitted"), std::string::npos) << w.err;
  auto ok = exec_in(id, "echo 0 > /proc/sys/net/ipv4/conf/w/accept_redirects");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(eventually([&] {
    return events().find("\"sysctl\":\"net.ipv4.conf.v/5.accept_redirects\"") != std::string::npos;
  }, 5000)) << events();
}

TEST_F(PolicyEnforcement, DeviceAccessIsRefused) {
  write_policy("dev.yaml", policy_yaml("dev", "  devices:\n    rules:\n      - type: c\n        major: 1\n"
                                              "        minor: 8\n        access: r\n        action: deny\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "dev");
  auto r = exec_in(id, "head -c 1 /dev/random >/dev/null");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
  EXPECT_EQ(exec_in(id, "head -c 1 /dev/urandom >/dev/null").exit_code, 0);
}

TEST_F(PolicyEnforcement, ForbiddenExecIsKilledWhateverNameItIsRunBy) {
  write_policy("exec.yaml", policy_yaml("exec", "  exec:\n    rules:\n      - paths: [/bin/forbidden]\n"
                                                "        action: kill\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  ASSERT_EQ(run_command({"/bin/sh", "-c",
                         "cp " + b.rootfs() + "/bin/syscall_loop " + b.rootfs() + "/bin/forbidden && ln -s forbidden " +
                             b.rootfs() + "/bin/alias"})
                .exit_code,
            0);
  std::string id = start_container(b, "exec");
  EXPECT_EQ(exec_in(id, "/bin/forbidden 1; echo rc=$?").out, "rc=137\n");
  // The kernel resolves what is executed: a symlink or a copy of the path does not help.
  EXPECT_EQ(exec_in(id, "/bin/alias 1; echo rc=$?").out, "rc=137\n");
  EXPECT_EQ(exec_in(id, "/bin/syscall_loop 1 >/dev/null; echo rc=$?").out, "rc=0\n");
  EXPECT_TRUE(eventually([&] { return events().find("\"kind\":\"exec\"") != std::string::npos; }, 5000)) << events();
  EXPECT_NE(events().find("\"action\":\"kill\""), std::string::npos) << events();
}

TEST_F(PolicyEnforcement, ExecAllowListKillsWhatIsNotListed) {
  write_policy("allow.yaml", policy_yaml("allow", "  exec:\n    default: kill\n    rules:\n"
                                                  "      - paths: [/bin/busybox, /bin/syscall_loop]\n"
                                                  "        action: allow\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "allow");
  EXPECT_EQ(exec_in(id, "/bin/syscall_loop 1 >/dev/null; echo rc=$?").out, "rc=0\n");
  EXPECT_EQ(exec_in(id, "/bin/spawn_n 1 >/dev/null; echo rc=$?").out, "rc=137\n");
}

// Without BPF-LSM the open itself cannot be refused: the verdict is taken on
// the file the kernel opened, and the kill lands before the process returns
// from open, so it never reads a byte.
TEST_F(PolicyEnforcement, FileReadRuleStopsTheReaderWhateverPathItTakes) {
  write_policy("files.yaml", policy_yaml("files", "  files:\n    rules:\n      - name: no-secrets\n"
                                                  "        paths: [/secret/]\n        access: [read]\n"
                                                  "        action: deny\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  b.config()["root"]["readonly"] = false;
  ASSERT_EQ(run_command({"/bin/sh", "-c",
                         "mkdir -p " + b.rootfs() + "/secret/deep && echo TOKEN > " + b.rootfs() +
                             "/secret/deep/token && ln -s /secret " + b.rootfs() + "/alias"})
                .exit_code,
            0);
  std::string id = start_container(b, "files");
  auto r = exec_in(id, "cat /secret/deep/token; echo rc=$?");
  EXPECT_EQ(r.out, "rc=137\n") << "the reader saw: " << r.out;
  // Symlinks and relative paths lead to the same inode.
  EXPECT_EQ(exec_in(id, "cd /secret/deep && cat ../../alias/deep/token; echo rc=$?").out, "rc=137\n");
  // Writing is not in the rule, nor is reading elsewhere.
  EXPECT_EQ(exec_in(id, "echo new > /secret/deep/other; echo rc=$?").out, "rc=0\n");
  EXPECT_EQ(exec_in(id, "cat /etc/passwd >/dev/null; echo rc=$?").out, "rc=0\n");
  ASSERT_TRUE(eventually([&] { return events().find("\"kind\":\"file\"") != std::string::npos; }, 5000)) << events();
  auto ev = events();
  EXPECT_NE(ev.find("\"path\":\"/secret/deep/token\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"rule\":\"no-secrets\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"access\":[\"read\"]"), std::string::npos) << ev;
  // The reader's executable as the container sees it (cat is busybox here).
  EXPECT_NE(ev.find("\"binary\":\"/bin/busybox\""), std::string::npos) << ev;
  EXPECT_GE(sample_value(capsad_->metrics(), "capsa_policy_verdicts_total",
                         "container_id=\"" + id + "\",policy=\"files\",kind=\"files\",rule=\"no-secrets\"")
                .value_or(0),
            2)
      << capsad_->metrics();
}

// A btrfs file system mounted at `at` from a sparse image in `dir`, taken
// down when done; `error` says why there is none (no mkfs.btrfs, no btrfs in
// this kernel, no loop devices).
struct BtrfsMount {
  std::string at, error;
  BtrfsMount(const std::string& dir, const std::string& where) {
    std::string img = dir + "/btrfs.img";
    auto r = run_command({"/bin/sh", "-c",
                          "command -v mkfs.btrfs >/dev/null || { echo no mkfs.btrfs; exit 1; }; truncate -s 256M " +
                              img + " && mkfs.btrfs -q -f " + img + " 2>&1 && mkdir -p " + where +
                              " && mount -o loop " + img + " " + where + " 2>&1"});
    if (r.exit_code != 0)
      error = "no btrfs here: " + r.out + r.err;
    else
      at = where;
  }
  // Detached here; the loop device goes with the last namespace holding
  // the mount (mount -o loop sets autoclear), the container's included.
  ~BtrfsMount() {
    if (!at.empty()) ::umount2(at.c_str(), MNT_DETACH);
  }
};

// On btrfs a file's st_dev is its subvolume's, not the device of the super
// block the kernel side keys inodes by: the keys take the mount's device
// (mountinfo), so a rule on a file of a btrfs mount in the container's root
// stops its reader, and another file of it stays readable.
TEST_F(PolicyEnforcement, FileRulesMatchOnBtrfs) {
  write_policy("files.yaml", policy_yaml("files", "  files:\n    rules:\n      - name: no-secret\n"
                                                  "        paths: [/data/secret]\n        access: [read]\n"
                                                  "        action: deny\n"));
  Bundle b({"/bin/sleep", "600"});
  TempDir img;
  BtrfsMount fs(img.path(), b.rootfs() + "/data");
  if (!fs.error.empty()) GTEST_SKIP() << "SKIP: " << fs.error;
  ASSERT_EQ(run_command({"/bin/sh", "-c", "echo TOKEN > " + fs.at + "/secret && echo open > " + fs.at + "/open"}).exit_code, 0);
  struct stat st {};
  ASSERT_EQ(::stat((fs.at + "/secret").c_str(), &st), 0);
  dev_t sb_dev = 0;
  for (const auto& m : parse_mountinfo(read_file_or_empty("/proc/self/mountinfo")))
    if (m.mount_point == fs.at) sb_dev = m.dev;
  ASSERT_NE(sb_dev, 0u);
  ASSERT_NE(sb_dev, st.st_dev) << "btrfs gives its super block's device as st_dev here: the test proves nothing";
  start_capsad();
  std::string id = start_container(b, "btrfs");
  EXPECT_EQ(exec_in(id, "cat /data/open").out, "open\n");
  EXPECT_EQ(exec_in(id, "cat /data/secret; echo rc=$?").out, "rc=137\n");
  ASSERT_TRUE(eventually([&] { return events().find("\"path\":\"/data/secret\"") != std::string::npos; }, 5000))
      << events();
}

// File-root confinement needs no policy: a container sharing the host's pid
// namespace with CAP_SYS_PTRACE can reach the host's files through
// /proc/<host pid>/root. The same read succeeds while capsad is not running (the hole
// is real) and kills the reader once capsad has bound the container.
TEST_F(PolicyEnforcement, ReachingTheHostThroughProcRootIsKilledWithoutAnyPolicy) {
  auto [id, host] = beside_a_host_task("escape");
  ASSERT_GT(host, 0);
  const std::string route = "/proc/" + std::to_string(host) + "/root/etc/hostname";
  const std::string probe = "cat " + route + " >/dev/null; echo rc=$?";
  auto base = exec_in(id, probe);
  ASSERT_EQ(base.out, "rc=0\n") << base.err << " : the escape route does not exist here; the test proves nothing";

  start_capsad();
  ASSERT_TRUE(bound(id)) << status().dump(2);
  EXPECT_EQ(exec_in(id, probe).out, "rc=137\n");
  // Its own files are still fine.
  EXPECT_EQ(exec_in(id, "cat /etc/passwd >/dev/null; echo rc=$?").out, "rc=0\n");
  ASSERT_TRUE(eventually([&] { return events().find("\"kind\":\"root-escape\"") != std::string::npos; }, 5000))
      << events();
  EXPECT_NE(events().find("\"path\":\"" + route + "\""), std::string::npos) << events();
  EXPECT_NE(events().find("\"rule\":\"root-confinement\""), std::string::npos) << events();
}

// Confinement is always on: under a policy in audit mode the escape is still
// killed, and its event says so ("enforced": true).
TEST_F(PolicyEnforcement, ConfinementHoldsUnderAnAuditModePolicyAndItsEventSaysEnforced) {
  write_policy("audit.yaml", policy_yaml("audit", "  mode: audit\n" + deny_port(9907)));
  auto [id, host] = beside_a_host_task("audit-escape");
  ASSERT_GT(host, 0);
  start_capsad();
  ASSERT_TRUE(bound(id)) << status().dump(2);
  EXPECT_EQ(exec_in(id, "cat /proc/" + std::to_string(host) + "/root/etc/hostname >/dev/null; echo rc=$?").out,
            "rc=137\n");
  ASSERT_TRUE(eventually([&] { return events().find("\"kind\":\"root-escape\"") != std::string::npos; }, 5000))
      << events();
  std::istringstream lines(events());
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"kind\":\"root-escape\"") == std::string::npos) continue;
    EXPECT_NE(line.find("\"policy\":\"audit\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"enforced\":true"), std::string::npos) << line;
  }
}

TEST_F(PolicyEnforcement, ForbiddenSyscallIsKilled) {
  write_policy("sys.yaml", policy_yaml("sys", "  syscalls:\n    rules:\n      - names: [sync]\n        action: kill\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "sys");
  EXPECT_EQ(exec_in(id, "sync; echo rc=$?").out, "rc=137\n");
  EXPECT_TRUE(eventually([&] { return events().find("\"syscall\":\"sync\"") != std::string::npos; }, 5000)) << events();
}

TEST_F(PolicyEnforcement, AuditModeReportsWithoutBlocking) {
  write_policy("audit.yaml", policy_yaml("audit", "  mode: audit\n" + deny_port(9905)));
  start_capsad();
  auto b = listening_bundle(9905, 9906);
  std::string id = start_container(b, "audit");
  ASSERT_TRUE(eventually([&] { return connect_in(id, 9905).exit_code == 0; }, 5000));
  ASSERT_TRUE(eventually([&] { return events().find("\"enforced\":false") != std::string::npos; }, 5000)) << events();
  EXPECT_NE(events().find("\"port\":9905"), std::string::npos);
}

TEST_F(PolicyEnforcement, LiveUpdateFlipsTheVerdictInARunningContainer) {
  write_policy("live.yaml", policy_yaml("live", ""));
  start_capsad();
  auto b = listening_bundle(9907, 9908);
  std::string id = start_container(b, "live");
  ASSERT_TRUE(eventually([&] { return connect_in(id, 9907).exit_code == 0; }, 5000));
  write_policy("live.yaml", policy_yaml("live", deny_port(9907)));
  EXPECT_TRUE(eventually([&] { return connect_in(id, 9907).exit_code != 0; }, 5000)) << "deny never took effect";
  write_policy("live.yaml", policy_yaml("live", ""));
  EXPECT_TRUE(eventually([&] { return connect_in(id, 9907).exit_code == 0; }, 5000)) << "allow never took effect";
}

TEST_F(PolicyEnforcement, AnInvalidPolicyKeepsThePreviousOneInForce) {
  write_policy("keep.yaml", policy_yaml("keep", deny_port(9909)));
  start_capsad();
  auto b = listening_bundle(9909, 9910);
  std::string id = start_container(b, "keep");
  ASSERT_TRUE(eventually([&] { return connect_in(id, 9910).exit_code == 0; }, 5000));
  ASSERT_NE(connect_in(id, 9909).exit_code, 0);
  // A typo that would drop the rule if it were half applied.
  write_policy("keep.yaml", policy_yaml("keep", "  network:\n    rulez: []\n"));
  ASSERT_TRUE(eventually(
      [&] {
        auto errors = status()["errors"];
        return !errors.empty() && errors[0].get<std::string>().find("keep.yaml:8:5: ") != std::string::npos;
      },
      5000))
      << status().dump(2);
  EXPECT_NE(status()["errors"][0].get<std::string>().find("unknown field \"rulez\""), std::string::npos);
  EXPECT_NE(connect_in(id, 9909).exit_code, 0) << "the previous policy was dropped";
  EXPECT_GE(sample_value(capsad_->metrics(), "capsa_policy_reloads_total", "result=\"error\"").value_or(0), 1);
}

TEST_F(PolicyEnforcement, EnforcementOutlivesCapsadAndARestartTakesOver) {
  write_policy("persist.yaml", policy_yaml("persist", deny_port(9911)));
  start_capsad();
  auto b = listening_bundle(9911, 9912);
  std::string id = start_container(b, "persist");
  ASSERT_TRUE(eventually([&] { return connect_in(id, 9912).exit_code == 0; }, 5000));
  ASSERT_NE(connect_in(id, 9911).exit_code, 0);
  capsad_->kill_hard();
  EXPECT_NE(connect_in(id, 9911).exit_code, 0) << "enforcement stopped with capsad";
  ASSERT_TRUE(capsad_->start()) << capsad_->error();
  EXPECT_NE(connect_in(id, 9911).exit_code, 0) << "the restarted capsad opened a gap";
  // The new capsad owns enforcement: an update reaches the running container.
  write_policy("persist.yaml", policy_yaml("persist", ""));
  EXPECT_TRUE(eventually([&] { return connect_in(id, 9911).exit_code == 0; }, 5000));
}

TEST_F(PolicyEnforcement, AnnotationSelectsItsPolicyOverTheDefault) {
  write_policy("a-default.yaml", policy_yaml("fallback", deny_port(9913)));
  write_policy("b-named.yaml", policy_yaml("named", deny_port(9914), false));
  start_capsad();
  auto b = listening_bundle(9913, 9914);
  b.config()["annotations"]["io.capsa.policy"] = "named";
  std::string id = start_container(b, "annot");
  ASSERT_TRUE(eventually([&] { return connect_in(id, 9913).exit_code == 0; }, 5000)) << status().dump(2);
  EXPECT_NE(connect_in(id, 9914).exit_code, 0);
}

}  // namespace
}  // namespace capsa::test

namespace capsa::test {
namespace {

// capsad's hooks that run on every system call of every task are attached
// only while a policy in force needs them, and are pinned like the rest.
class EverySyscallHooks : public PolicyFixture {
protected:
  bool hooked(const std::string& prog) { return ::access((pin_root_ + "/links/" + prog).c_str(), F_OK) == 0; }
  // The kernel's (15-character) name of the program behind a pinned link.
  std::string linked_program(const std::string& link) {
    UniqueFd fd(bpf_obj_get((pin_root_ + "/links/" + link).c_str()));
    bpf_link_info li{};
    uint32_t len = sizeof li;
    if (!fd || bpf_obj_get_info_by_fd(fd.get(), &li, &len) != 0) return "";
    UniqueFd prog(bpf_prog_get_fd_by_id(li.prog_id));
    bpf_prog_info pi{};
    len = sizeof pi;
    if (!prog || bpf_obj_get_info_by_fd(prog.get(), &pi, &len) != 0) return "";
    return pi.name;
  }
  static bool kernel_has_rdonly_cast() {
    struct btf* vmlinux = btf__load_vmlinux_btf();
    if (!vmlinux) return false;
    bool found = btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
    btf__free(vmlinux);
    return found;
  }
};

TEST_F(EverySyscallHooks, TheSyscallRuleCheckRunsOnlyWhileAPolicyHasSyscallRules) {
  write_policy("sys.yaml", policy_yaml("sys", ""));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "hooks");
  ASSERT_TRUE(bound(id));
  EXPECT_FALSE(hooked("capsa_policy_sys_enter"));
  // One build of the open exits: by direct loads where the kernel has
  // bpf_rdonly_cast() (6.2 and later), else by probe reads.
  EXPECT_TRUE(hooked("capsa_exit_openat")) << "file checks hang on the open calls' exits";
  EXPECT_EQ(linked_program("capsa_exit_openat"), kernel_has_rdonly_cast() ? "capsa_direct_ex" : "capsa_exit_open");
  EXPECT_FALSE(hooked("capsa_policy_sys_exit")) << "no raw sys_exit where the per-syscall exits attach";
  EXPECT_EQ(exec_in(id, "sync; echo rc=$?").out, "rc=0\n");

  write_policy("sys.yaml", policy_yaml("sys", "  syscalls:\n    rules:\n      - names: [sync]\n        action: kill\n"));
  ASSERT_TRUE(eventually([&] { return hooked("capsa_policy_sys_enter"); }, 5000)) << status().dump(2);
  EXPECT_TRUE(eventually([&] { return exec_in(id, "sync; echo rc=$?").out == "rc=137\n"; }, 5000));

  // The kernel keeps the hook, and the rule, while capsad is gone.
  capsad_->kill_hard();
  EXPECT_EQ(exec_in(id, "sync; echo rc=$?").out, "rc=137\n");
  ASSERT_TRUE(capsad_->start()) << capsad_->error();
  EXPECT_EQ(exec_in(id, "sync; echo rc=$?").out, "rc=137\n") << "the restarted capsad opened a gap";

  write_policy("sys.yaml", policy_yaml("sys", ""));
  EXPECT_TRUE(eventually([&] { return !hooked("capsa_policy_sys_enter"); }, 5000)) << status().dump(2);
  EXPECT_EQ(exec_in(id, "sync; echo rc=$?").out, "rc=0\n");
}

// A host without systemd has no tracefs mounted, and libbpf attaches the
// per-syscall exits through it: capsad mounts it rather than fall back to
// the raw sys_exit program that runs on every syscall of every task. The
// test hides tracefs (and debugfs, where libbpf would find it too) in a
// mount namespace of its own, which the capsad it starts inherits.
TEST_F(EverySyscallHooks, CapsadMountsTracefsWhereNothingHasSoOnlyTheOpensAreHooked) {
  ASSERT_EQ(::unshare(CLONE_NEWNS), 0) << errno_text(errno);
  ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0) << errno_text(errno);
  for (const char* fs : {"/sys/kernel/debug", "/sys/kernel/tracing"})
    while (::umount2(fs, MNT_DETACH) == 0) {
    }
  ASSERT_NE(::access("/sys/kernel/tracing/events", F_OK), 0);
  ASSERT_NE(::access("/sys/kernel/debug/tracing", F_OK), 0);

  write_policy("files.yaml", policy_yaml("files", "  files:\n    rules:\n      - paths: [/etc/group]\n"
                                                  "        access: [read]\n        action: deny\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "tracefs");
  ASSERT_TRUE(bound(id));
  EXPECT_EQ(::access("/sys/kernel/tracing/events", F_OK), 0) << "capsad did not mount tracefs";
  EXPECT_TRUE(hooked("capsa_exit_openat"));
  EXPECT_FALSE(hooked("capsa_policy_sys_exit")) << "fell back to the every-syscall exit";
  EXPECT_EQ(exec_in(id, "cat /etc/group >/dev/null; echo rc=$?").out, "rc=137\n");
  EXPECT_EQ(exec_in(id, "cat /etc/passwd >/dev/null; echo rc=$?").out, "rc=0\n");
}

TEST_F(EverySyscallHooks, ACgroupHookKillLandsOnTheSyscallExitWhileAKillRuleIsInForce) {
  const std::string dev_rule =
      "  devices:\n    rules:\n      - type: c\n        major: 1\n        minor: 8\n        access: r\n        action: ";
  write_policy("dev.yaml", policy_yaml("dev", dev_rule + "deny\n"));
  start_capsad();
  Bundle b({"/bin/sleep", "600"});
  std::string id = start_container(b, "doomed");
  ASSERT_TRUE(bound(id));
  EXPECT_FALSE(hooked("capsa_policy_doomed")) << "a deny rule needs no kill on the way out";
  auto r = exec_in(id, "head -c 1 /dev/random >/dev/null; echo rc=$?");
  EXPECT_EQ(r.out, "rc=1\n") << r.err;

  write_policy("dev.yaml", policy_yaml("dev", dev_rule + "kill\n"));
  ASSERT_TRUE(eventually([&] { return hooked("capsa_policy_doomed"); }, 5000)) << status().dump(2);
  EXPECT_TRUE(eventually([&] { return exec_in(id, "head -c 1 /dev/random >/dev/null; echo rc=$?").out == "rc=137\n"; },
                         5000));

  write_policy("dev.yaml", policy_yaml("dev", dev_rule + "deny\n"));
  EXPECT_TRUE(eventually([&] { return !hooked("capsa_policy_doomed"); }, 5000)) << status().dump(2);
  EXPECT_EQ(exec_in(id, "head -c 1 /dev/random >/dev/null; echo rc=$?").out, "rc=1\n");
}

}  // namespace
}  // namespace capsa::test

namespace capsa::test {
namespace {

class UnixSocketConfinement : public PolicyFixture {};

// File-root confinement covers unix sockets too: a host process's socket,
// reached from a container through /proc/<host pid>/root, is a way out of
// the container (a docker.sock, a host agent). Without BPF-LSM the connect
// cannot be refused: the process is killed as connect(2) returns, before it
// sends a byte. A datagram needs no connect: one sent with the host socket's
// address (sendto, sendmsg) kills the sender as the send returns (that one
// datagram was queued). Sockets the container reaches through its own root
// (a host socket inside its rootfs, or one its config bind-mounts in), and
// its own socketpairs, stay allowed.
TEST_F(UnixSocketConfinement, ASocketOutsideTheRootIsKilledAtConnectOrSendOnesInsideAreNot) {
  TempDir host_dir("capsa-unix");
  Bundle b({"/bin/sleep", "600"});
  share_host_pids(b);
  ASSERT_EQ(run_command({"/bin/mkdir", "-p", b.rootfs() + "/run"}).exit_code, 0);
  UnixListener outside(host_dir.path() + "/host.sock");
  UnixListener datagrams(host_dir.path() + "/dgram.sock", SOCK_DGRAM);
  UnixListener in_rootfs(b.rootfs() + "/run/inside.sock");
  UnixListener log_inside(b.rootfs() + "/run/log.sock", SOCK_DGRAM);
  UnixListener mounted(host_dir.path() + "/bound.sock");
  ASSERT_TRUE(outside.ok() && datagrams.ok() && in_rootfs.ok() && log_inside.ok() && mounted.ok()) << errno_text(errno);
  bind_mount(b, host_dir.path() + "/bound.sock", "/run/bound.sock");
  std::string id = start_container(b, "unix");
  pid_t host = host_sleeper();
  ASSERT_GT(host, 0);
  const std::string via = "/proc/" + std::to_string(host) + "/root" + host_dir.path();
  const std::string probe = "/bin/unix_connect " + via + "/host.sock; echo rc=$?";
  const std::string send = "/bin/unix_connect " + via + "/dgram.sock sendto; echo rc=$?";
  auto base = exec_in(id, probe + "; " + send);
  ASSERT_EQ(base.out, "ok\nrc=0\nok\nrc=0\n")
      << base.err << " : the escape route does not exist here; the test proves nothing";

  start_capsad();  // no policy: confinement is always on
  ASSERT_TRUE(bound(id)) << status().dump(2);
  EXPECT_NE(status()["tiers"]["root-confinement"].get<std::string>().find("at the receiver's sk_data_ready, as a "
                                                                          "connect or a datagram send returns"),
            std::string::npos)
      << status()["tiers"].dump(2);
  EXPECT_EQ(exec_in(id, probe).out, "rc=137\n");
  EXPECT_EQ(exec_in(id, send).out, "rc=137\n");
  EXPECT_EQ(exec_in(id, "/bin/unix_connect /run/inside.sock; echo rc=$?").out, "ok\nrc=0\n");
  EXPECT_EQ(exec_in(id, "/bin/unix_connect /run/bound.sock; echo rc=$?").out, "ok\nrc=0\n");
  EXPECT_EQ(exec_in(id, "/bin/unix_connect /run/log.sock sendto; echo rc=$?").out, "ok\nrc=0\n");
  EXPECT_EQ(exec_in(id, "/bin/sigio_probe fcntl self").out, "setown ok\nsigio yes\n") << "a socketpair";
  ASSERT_TRUE(eventually([&] { return events().find("dgram.sock") != std::string::npos; }, 5000)) << events();
  auto ev = events();
  EXPECT_NE(ev.find("\"path\":\"" + via + "/host.sock\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"path\":\"" + via + "/dgram.sock\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"kind\":\"root-escape\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"access\":[\"connect\"]"), std::string::npos) << ev;
  EXPECT_EQ(ev.find("inside.sock"), std::string::npos) << ev;
  EXPECT_EQ(ev.find("bound.sock"), std::string::npos) << ev;
  EXPECT_EQ(ev.find("log.sock"), std::string::npos) << ev;
}

// The other route out: a host directory fd leaked into the container
// (--preserve-fds) names the host's socket as /proc/self/fd/3/host.sock.
TEST_F(UnixSocketConfinement, ASocketReachedThroughALeakedDirectoryFdIsKilled) {
  TempDir host_dir("capsa-unix");
  UnixListener outside(host_dir.path() + "/host.sock");
  ASSERT_TRUE(outside.ok()) << errno_text(errno);
  Bundle b({"/bin/sh", "-c", "/bin/unix_connect /proc/self/fd/3/host.sock; echo rc=$?"});
  b.save();
  auto base = run_leaking_dir(b, host_dir.path(), "leak-base");
  ASSERT_EQ(base.out, "ok\nrc=0\n") << base.err << " : the escape route does not exist here; the test proves nothing";

  start_capsad();
  auto r = run_leaking_dir(b, host_dir.path(), "leak");
  EXPECT_EQ(r.out, "rc=137\n") << r.err;
  ASSERT_TRUE(eventually([&] { return events().find("/proc/self/fd/3/host.sock") != std::string::npos; }, 5000))
      << events();
  EXPECT_NE(events().find("\"kind\":\"root-escape\""), std::string::npos) << events();
}

// Task confinement without BPF-LSM: a container sharing the host's pid
// namespace, with CAP_SYS_PTRACE and CAP_KILL, could trace or signal host
// processes. Processes started while capsad runs send those calls to its
// seccomp supervisor, which refuses the ones aimed outside the container
// with EPERM before they run (the host task never sees the signal); the
// container's own tasks stay fair game.
TEST_F(UnixSocketConfinement, PtraceAndSignalsToHostTasksAreRefusedOwnTasksAreNot) {
  check_task_confinement("setown errno 1\n", [&](const std::string& id, const std::string& host) {
    // tgkill(host, host, SIGKILL), and kill(-1, SIGKILL), which would reach
    // every host task: refused whole.
    EXPECT_EQ(exec_in(id, "/bin/syscall_probe 234 " + host + " " + host + " 9 0").out, "errno 1\n");
    EXPECT_EQ(exec_in(id, "/bin/syscall_probe 62 -1 9 0 0").out, "errno 1\n");
    // F_SETOWN with garbage above the command's 32 bits is still F_SETOWN
    // to the kernel, and still routed; F_GETOWN is not routed at all.
    EXPECT_EQ(exec_in(id, "/bin/syscall_probe 72 0 0x100000008 " + host).out, "errno 1\n");
    EXPECT_EQ(exec_in(id, "/bin/syscall_probe 72 0 9").out, "ok 0\n");
  });
  EXPECT_NE(events().find("\"syscall\":\"fcntl\""), std::string::npos) << events();
}

// /proc/PID/mem of a host task gives read and write access to its memory
// (with CAP_SYS_PTRACE, the open passes the kernel's ptrace check). Without
// BPF-LSM the opener is killed as open returns, before it can use the
// descriptor; /proc/PID/mem of its own tasks stays open to it.
TEST_F(UnixSocketConfinement, AHostTasksMemOpenedThroughProcIsKilled) {
  auto [id, host] = beside_a_host_task("procmem");
  ASSERT_GT(host, 0);
  const std::string open_mem = "(exec 3</proc/" + std::to_string(host) + "/mem && echo opened); echo rc=$?";
  ASSERT_EQ(exec_in(id, open_mem).out, "opened\nrc=0\n") << "the open works without capsad: the test proves nothing";

  start_capsad();
  ASSERT_TRUE(bound(id)) << status().dump(2);
  EXPECT_EQ(exec_in(id, open_mem).out, "rc=137\n");
  EXPECT_EQ(exec_in(id, "(exec 3</proc/self/mem && echo opened); echo rc=$?").out, "opened\nrc=0\n");
  EXPECT_EQ(::kill(host, 0), 0);
  ASSERT_TRUE(eventually([&] { return events().find("\"kind\":\"task-escape\"") != std::string::npos; }, 5000))
      << events();
  auto ev = events();
  EXPECT_NE(ev.find("\"operation\":\"ptrace\""), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"target_pid\":" + std::to_string(host)), std::string::npos) << ev;
  EXPECT_NE(ev.find("\"action\":\"kill\""), std::string::npos) << ev;
}

// Without BPF-LSM (this host) status and the tier metric say what is left:
// unix sockets under root confinement by the sk_data_ready kill, and task
// confinement by capsad's seccomp supervisor.
TEST_F(UnixSocketConfinement, StatusAndTheTierMetricSayWhatThisHostEnforces) {
  start_capsad();
  auto tiers = status()["tiers"];
  EXPECT_NE(tiers["root-confinement"].get<std::string>().find("unix sockets at the receiver's sk_data_ready"), std::string::npos)
      << tiers.dump(2);
  EXPECT_EQ(tiers["task-confinement"].get<std::string>().rfind("seccomp-notify (", 0), 0u) << tiers.dump(2);
  auto metrics = capsad_->metrics();
  EXPECT_EQ(sample_value(metrics, "capsa_policy_enforcement_tier",
                         "kind=\"task-confinement\",tier=\"seccomp-notify\""),
            1.0)
      << metrics;
  EXPECT_EQ(sample_value(metrics, "capsa_policy_enforcement_tier",
                         "kind=\"root-confinement\",tier=\"tracepoint-kill\""),
            1.0)
      << metrics;
}

}  // namespace
}  // namespace capsa::test
