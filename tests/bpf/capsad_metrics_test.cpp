// capsad end to end: BPF programs count in the kernel per container cgroup,
// and /metrics reports it under the container's id.
#include <bpf/bpf.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "capsad_process.h"
#include "cgroup/layout.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "policy_fixture.h"
#include "telemetry.h"
#include "test_env.h"

namespace capsa::test {
namespace {

constexpr const char* kSyscalls = "capsa_container_syscalls_total";

class CapsadMetrics : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    capsad_.emplace(root_.path(), pin_root_);
  }
  void TearDown() override {
    for (const auto& id : ids_) capsa(root_.path(), {"delete", "--force", id});
    capsad_.reset();
  }
  // Starts capsad or fails the test with its log.
  void start_capsad() { ASSERT_TRUE(capsad_->start()) << capsad_->error(); }

  // A detached container running `args`; its stdout goes to <bundle>/out.
  std::string run_detached(Bundle& b, const std::string& prefix) {
    std::string id = unique_id(prefix);
    ids_.push_back(id);
    auto r = run_command({"/bin/sh", "-c",
                          std::string(CAPSA_BIN) + " --root " + root_.path() + " --bpf-pin-root " + pin_root_ +
                              " run -d --bundle " + b.path() + " " + id + " > " + b.path() + "/out 2>&1"});
    EXPECT_EQ(r.exit_code, 0) << read_file_or_empty(b.path() + "/out");
    return id;
  }

  // run_cnt of the program behind a pinned link: the kernel counts it only
  // while BPF run-time stats are on.
  static uint64_t program_runs(const std::string& link_pin) {
    UniqueFd link(bpf_obj_get(link_pin.c_str()));
    if (!link) throw std::runtime_error("open pinned link " + link_pin);
    bpf_link_info li{};
    __u32 len = sizeof li;
    if (bpf_obj_get_info_by_fd(link.get(), &li, &len) != 0) throw std::runtime_error("link info of " + link_pin);
    UniqueFd prog(bpf_prog_get_fd_by_id(li.prog_id));
    bpf_prog_info pi{};
    len = sizeof pi;
    if (!prog || bpf_obj_get_info_by_fd(prog.get(), &pi, &len) != 0)
      throw std::runtime_error("program info behind " + link_pin);
    return pi.run_cnt;
  }

  double syscalls_of(const std::string& id) {
    return sample_value(capsad_->metrics(), kSyscalls, "container_id=\"" + id + "\"").value_or(-1);
  }

  TempDir root_{"capsa-root"};
  std::string pin_root_ = "/sys/fs/bpf/capsa-test-" + std::to_string(::getpid());
  std::optional<CapsadProcess> capsad_;
  std::vector<std::string> ids_;
};

TEST_F(CapsadMetrics, ContainerSyscallsAreCountedInTheKernelUnderItsId) {
  start_capsad();
  constexpr long kCalls = 200000;
  Bundle b({"/bin/syscall_loop", std::to_string(kCalls), "--pause"});
  std::string id = run_detached(b, "count");
  ASSERT_TRUE(eventually([&] { return read_file_or_empty(b.path() + "/out").find("done") != std::string::npos; }, 20000))
      << read_file_or_empty(b.path() + "/out");
  double n = 0;
  EXPECT_TRUE(eventually([&] { return (n = syscalls_of(id)) >= kCalls; }, 5000))
      << "syscalls counted: " << n << "\n" << capsad_->metrics();
  auto text = capsad_->metrics();
  EXPECT_GE(sample_value(text, "capsa_container_execs_total", "container_id=\"" + id + "\"").value_or(0), 1);
  EXPECT_TRUE(sample_value(text, "capsa_bpf_events_lost_total", "").has_value()) << text;
  EXPECT_TRUE(sample_value(text, "capsa_build_info", "version=").has_value()) << text;
}

// The same count by syscall name: getpid at least as often as the loop
// called it, and the container's series adding up to its total.
TEST_F(CapsadMetrics, ContainerSyscallsAreCountedByName) {
  start_capsad();
  constexpr long kCalls = 100000;
  Bundle b({"/bin/syscall_loop", std::to_string(kCalls), "--pause"});
  std::string id = run_detached(b, "byname");
  ASSERT_TRUE(eventually([&] { return read_file_or_empty(b.path() + "/out").find("done") != std::string::npos; }, 20000))
      << read_file_or_empty(b.path() + "/out");
  const std::string label = "container_id=\"" + id + "\"";
  constexpr const char* kByName = "capsa_container_syscalls_by_name_total";
  double getpid = 0;
  EXPECT_TRUE(eventually(
      [&] { return (getpid = sample_value(capsad_->metrics(), kByName, label + ",syscall=\"getpid\"").value_or(-1)) >= kCalls; },
      5000))
      << "getpid counted: " << getpid << "\n" << capsad_->metrics();

  // One scrape: both families come from the same read of the kernel's counts.
  auto text = capsad_->metrics();
  double total = sample_value(text, kSyscalls, label).value_or(-1);
  double sum = 0;
  size_t series = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(std::string(kByName) + "{") || line.find(label) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
    ++series;
  }
  EXPECT_EQ(sum, total) << text;
  EXPECT_LE(series, 21u) << "at most 20 named series plus other";
  EXPECT_TRUE(sample_value(text, kByName, label + ",syscall=\"other\"").has_value()) << text;

  capsa(root_.path(), {"delete", "--force", id});
  EXPECT_TRUE(eventually([&] { return capsad_->metrics().find(label) == std::string::npos; }, 5000))
      << "series outlived the container:\n" << capsad_->metrics();
}

// Two loops at once (one per CPU on a two-core host) add to the one set of
// counts the container's cgroup carries: not a call lost, none invented. The
// shell's own getpid calls are the only slack.
TEST_F(CapsadMetrics, ConcurrentSyscallsOfAContainerAreCountedExactly) {
  start_capsad();
  constexpr long kCalls = 300000;
  const std::string loop = "syscall_loop " + std::to_string(kCalls);
  Bundle b({"/bin/sh", "-c", loop + " & " + loop + " & wait; echo both; exec sleep 300"});
  std::string id = run_detached(b, "exact");
  ASSERT_TRUE(eventually([&] { return read_file_or_empty(b.path() + "/out").find("both") != std::string::npos; }, 30000))
      << read_file_or_empty(b.path() + "/out");
  const std::string getpid_label = "container_id=\"" + id + "\",syscall=\"getpid\"";
  double getpid = 0;
  EXPECT_TRUE(eventually(
      [&] {
        getpid = sample_value(capsad_->metrics(), "capsa_container_syscalls_by_name_total", getpid_label).value_or(-1);
        return getpid >= 2 * kCalls;
      },
      5000))
      << "getpid counted: " << getpid << "\n" << capsad_->metrics();
  EXPECT_LE(getpid, 2 * kCalls + 100) << capsad_->metrics();
  EXPECT_GE(syscalls_of(id), getpid) << capsad_->metrics();
}

// CPU, memory and pids come from the container's own cgroup at scrape time.
TEST_F(CapsadMetrics, ContainerCgroupUsageIsReportedUnderItsId) {
  start_capsad();
  // Waits for /go, spins, then says so: the test reads CPU time before and after.
  Bundle b({"/bin/sh", "-c",
            "while [ ! -e /go ]; do sleep 0.05; done; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; "
            "echo spun; exec sleep 300"});
  std::string id = run_detached(b, "usage");
  std::string label = "container_id=\"" + id + "\"";
  auto value = [&](const char* name) { return sample_value(capsad_->metrics(), name, label).value_or(-1); };
  ASSERT_TRUE(eventually([&] { return value("capsa_container_pids") >= 1; }, 5000)) << capsad_->metrics();
  EXPECT_GT(value("capsa_container_memory_bytes"), 0) << capsad_->metrics();
  double before = value("capsa_container_cpu_seconds_total");
  EXPECT_GE(before, 0) << capsad_->metrics();
  write_file_atomic(b.rootfs() + "/go", "");
  ASSERT_TRUE(
      eventually([&] { return read_file_or_empty(b.path() + "/out").find("spun") != std::string::npos; }, 30000))
      << read_file_or_empty(b.path() + "/out");
  double after = value("capsa_container_cpu_seconds_total");
  EXPECT_GT(after, before) << "before " << before << " after " << after;
}

// Kernel BPF stats of capsad's own programs (capsad --bpf-stats), and its
// ring buffers' fill.
TEST_F(CapsadMetrics, OwnBpfProgramsReportRunsAndRunTime) {
  capsad_.emplace(root_.path(), pin_root_, std::vector<std::string>{"--bpf-stats"});
  start_capsad();
  Bundle b({"/bin/syscall_loop", "10000"});
  run_detached(b, "progs");
  auto runs = [&] {
    return sample_value(capsad_->metrics(), "capsa_bpf_program_runs_total", "program=\"capsa_sys_enter\"").value_or(-1);
  };
  double n = 0;
  EXPECT_TRUE(eventually([&] { return (n = runs()) >= 10000; }, 5000)) << "runs: " << n << "\n" << capsad_->metrics();
  auto text = capsad_->metrics();
  EXPECT_GT(sample_value(text, "capsa_bpf_program_run_seconds_total", "program=\"capsa_sys_enter\"").value_or(0), 0)
      << text;
  EXPECT_TRUE(sample_value(text, "capsa_bpf_program_runs_total", "program=\"capsa_exit_openat\"").has_value())
      << text;
  EXPECT_GT(sample_value(text, "capsa_bpf_ringbuf_size_bytes", "ring=\"events\"").value_or(0), 0) << text;
  EXPECT_GE(sample_value(text, "capsa_bpf_ringbuf_used_bytes", "ring=\"events\"").value_or(-1), 0) << text;
  EXPECT_TRUE(sample_value(text, "capsa_scrape_duration_seconds", "").has_value()) << text;
}

// Without --bpf-stats the kernel counts nothing for capsad (counting costs
// every run of every BPF program on the host), and capsad claims nothing.
TEST_F(CapsadMetrics, WithoutBpfStatsNoRunTimeIsCountedOrExported) {
  if (read_file_or_empty("/proc/sys/kernel/bpf_stats_enabled") != "0\n")
    GTEST_SKIP() << "kernel.bpf_stats_enabled is on (someone else counts): cannot tell capsad's part";
  start_capsad();
  Bundle b({"/bin/sh", "-c", "while true; do syscall_loop 2000; sleep 0.05; done"});
  std::string id = run_detached(b, "nostats");
  std::string sys_enter = pin_root_ + "/" CAPSA_PIN_LINKS_DIR "/capsa_sys_enter";
  ASSERT_TRUE(eventually([&] { return syscalls_of(id) >= 4000; }, 5000)) << capsad_->metrics();
  auto text = capsad_->metrics();
  EXPECT_EQ(text.find("capsa_bpf_program_runs_total"), std::string::npos) << text;
  EXPECT_EQ(text.find("capsa_bpf_program_run_seconds_total"), std::string::npos) << text;
  EXPECT_GT(sample_value(text, "capsa_bpf_ringbuf_size_bytes", "ring=\"events\"").value_or(0), 0) << text;
  // Another test running beside this one may turn the kernel's counting on
  // (capsad --bpf-stats): a window is judged only if it stayed off.
  auto stats_off = [] { return read_file_or_empty("/proc/sys/kernel/bpf_stats_enabled") == "0\n"; };
  bool judged = false;
  for (int attempt = 0; attempt < 10 && !judged; ++attempt) {
    if (!stats_off()) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    uint64_t before = program_runs(sys_enter), seen = syscalls_of(id);
    // Watched all through the window, not only at its ends: a capsad
    // --bpf-stats of a test beside this one can come and go within it.
    bool stayed_off = true;
    ASSERT_TRUE(eventually(
        [&] {
          stayed_off = stats_off() && stayed_off;
          return syscalls_of(id) >= seen + 4000;
        },
        5000))
        << capsad_->metrics();
    uint64_t after = program_runs(sys_enter);
    if (!stats_off() || !stayed_off) continue;
    EXPECT_EQ(after, before) << "the kernel counted runs of capsa_sys_enter";
    judged = true;
  }
  if (!judged) GTEST_SKIP() << "kernel.bpf_stats_enabled kept being turned on by another process: cannot tell";

  // With it, the kernel counts while capsad runs, and stops when it exits
  // (its programs stay pinned and keep running).
  capsad_.emplace(root_.path(), pin_root_, std::vector<std::string>{"--bpf-stats"});
  start_capsad();
  uint64_t before = program_runs(sys_enter);
  EXPECT_TRUE(eventually([&] { return program_runs(sys_enter) >= before + 4000; }, 5000));
  capsad_->kill_hard();
  for (int attempt = 0; attempt < 10; ++attempt) {
    before = program_runs(sys_enter);
    // The container goes on calling (~2000 calls per 50 ms) through the pinned program.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    uint64_t after = program_runs(sys_enter);
    if (!stats_off()) continue;  // someone else counts meanwhile
    EXPECT_EQ(after, before) << "counting went on after capsad was gone";
    return;
  }
  GTEST_SKIP() << "kernel.bpf_stats_enabled kept being turned on by another process: cannot tell";
}

// --no-syscall-counts takes the one telemetry hook on every system call of
// every task away, pinned link included (an earlier capsad's too), and the
// syscall families with it; the other per-container counters go on. A
// capsad started without the flag hooks it again.
TEST_F(CapsadMetrics, NoSyscallCountsLeavesEverySyscallUnhooked) {
  std::string links = pin_root_ + "/" CAPSA_PIN_LINKS_DIR;
  auto hooked = [&] {
    for (const char* name : {"capsa_sys_enter", "capsa_sys_enter_own_marks", "capsa_sys_enter_by_id"})
      if (::access((links + "/" + name).c_str(), F_OK) == 0) return true;
    return false;
  };
  start_capsad();
  ASSERT_TRUE(hooked());
  capsad_->kill_hard();

  // Over the pins the first one left.
  CapsadProcess uncounting(root_.path(), pin_root_, {"--no-syscall-counts"});
  ASSERT_TRUE(uncounting.start()) << uncounting.error();
  EXPECT_FALSE(hooked());
  Bundle b({"/bin/syscall_loop", "2000", "--pause"});
  std::string id = run_detached(b, "nocount");
  std::string sel = "container_id=\"" + id + "\"";
  ASSERT_TRUE(eventually(
      [&] { return sample_value(uncounting.metrics(), "capsa_container_execs_total", sel).value_or(0) >= 1; }, 5000))
      << uncounting.metrics();
  auto text = uncounting.metrics();
  EXPECT_EQ(text.find(kSyscalls), std::string::npos) << text;
  EXPECT_EQ(text.find("capsa_container_syscalls_by_name_total"), std::string::npos) << text;
  uncounting.kill_hard();

  ASSERT_TRUE(capsad_->start()) << capsad_->error();
  EXPECT_TRUE(hooked());
  Bundle counted({"/bin/syscall_loop", "2000", "--pause"});
  std::string counted_id = run_detached(counted, "counted");
  EXPECT_TRUE(eventually([&] { return syscalls_of(counted_id) >= 2000; }, 5000)) << capsad_->metrics();
}

// The same families on a pure cgroup v2 host, emulated as in
// cgroup_layouts_test: a private mount namespace where /sys/fs/cgroup is the
// cgroup2 hierarchy alone, with capsad and the runtime both inside it.
TEST(CapsadMetricsPureV2, ContainerCgroupUsageIsReadFromCgroup2) {
  CAPSA_REQUIRE_ROOT();
  auto host = cgroup::detect_layout();
  if (!host.unified) GTEST_SKIP() << "this host has no cgroup2 hierarchy to emulate a pure v2 host with";
  TempDir root("capsa-root");
  std::string pin_root = "/sys/fs/bpf/capsa-test-v2-" + std::to_string(::getpid());
  Bundle b({"/bin/sh", "-c", "syscall_loop 200000; exec sleep 300"});
  std::string id = unique_id("v2usage");
  std::string port = std::to_string(free_tcp_port());
  std::string capsa = std::string(CAPSA_BIN) + " --root " + root.path() + " --bpf-pin-root " + pin_root;
  std::string label = "{container_id=\"" + id + "\"}";
  // Whatever happens, the container goes and capsad stops, inside the namespace
  // that knows their cgroup paths.
  auto r = on_pure_cgroup_v2(
       std::string(CAPSAD_BIN) +
           " --listen 127.0.0.1:" + port + " --root " + root.path() + " --bpf-pin-root " + pin_root +
           " --policy-dir " + root.path() + "/policies >" + root.path() + "/capsad.log 2>&1 & capsad=$!; "
           "trap '" + capsa + " delete --force " + id + " >/dev/null 2>&1; kill $capsad; wait $capsad' EXIT; " +
           capsa + " run -d --bundle " + b.path() + " " + id + " || exit 1; "
           "for i in $(seq 200); do curl -sf 127.0.0.1:" + port + "/metrics >" + root.path() + "/m && "
           "awk -v s='capsa_container_cpu_seconds_total" + label + "' '$1 == s && $2 > 0 {f = 1} END {exit !f}' " +
           root.path() + "/m && break; "
           "sleep 0.1; done; cat " + root.path() + "/m",
      60);
  run_command({CAPSAD_BIN, "--unpin", "--bpf-pin-root", pin_root});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << read_file_or_empty(root.path() + "/capsad.log");
  EXPECT_GT(sample_value(r.out, "capsa_container_cpu_seconds_total", "container_id=\"" + id + "\"").value_or(0), 0)
      << r.out;
  // Memory and pids are there only where the cgroup2 hierarchy has those
  // controllers (on a hybrid host they stay with v1, so the emulation lacks them).
  EXPECT_EQ(sample_value(r.out, "capsa_container_memory_bytes", "container_id=\"" + id + "\"").has_value(),
            host.v2_has("memory"))
      << r.out;
  EXPECT_EQ(sample_value(r.out, "capsa_container_pids", "container_id=\"" + id + "\"").has_value(), host.v2_has("pids"))
      << r.out;
}

TEST_F(CapsadMetrics, UncontainedProcessesAreNotAttributedToAContainer) {
  start_capsad();
  Bundle b({"/bin/sleep", "300"});
  std::string id = run_detached(b, "idle");
  double before = 0;
  ASSERT_TRUE(eventually([&] { return (before = syscalls_of(id)) >= 0; }, 5000)) << capsad_->metrics();
  constexpr long kCalls = 1000000;
  auto host = run_command({std::string(CAPSA_HELPER_DIR) + "/syscall_loop", std::to_string(kCalls)});
  ASSERT_EQ(host.exit_code, 0);
  double after = syscalls_of(id);
  // The idle container makes a handful of calls at most; a million host calls must not show up.
  EXPECT_LT(after - before, 1000) << "before " << before << " after " << after;
}

TEST_F(CapsadMetrics, ContainersStartedBeforeCapsadArePickedUp) {
  // No capsad has run with this pin root: the runtime finds no map and the
  // container runs unregistered until capsad finds it in the state directory.
  Bundle b({"/bin/sh", "-c", "while true; do syscall_loop 10000; sleep 0.1; done"});
  std::string id = run_detached(b, "early");
  start_capsad();
  double n = 0;
  EXPECT_TRUE(eventually([&] { return (n = syscalls_of(id)) >= 10000; }, 10000))
      << "syscalls counted: " << n << "\n" << capsad_->metrics();
}

TEST_F(CapsadMetrics, DeletedContainersVanishFromMetrics) {
  start_capsad();
  Bundle b({"/bin/sleep", "300"});
  std::string id = run_detached(b, "vanish");
  ASSERT_TRUE(eventually([&] { return syscalls_of(id) >= 0; }, 5000)) << capsad_->metrics();
  // The cgroup families too, so their vanishing below is checked as well.
  ASSERT_TRUE(sample_value(capsad_->metrics(), "capsa_container_pids", "container_id=\"" + id + "\"").has_value())
      << capsad_->metrics();
  ASSERT_EQ(capsa(root_.path(), {"--bpf-pin-root", pin_root_, "delete", "--force", id}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return capsad_->metrics().find("\"" + id + "\"") == std::string::npos; }, 5000))
      << capsad_->metrics();
}

TEST_F(CapsadMetrics, CountingSurvivesKill9AndARestartResyncs) {
  start_capsad();
  Bundle b({"/bin/sh", "-c", "while true; do syscall_loop 10000; sleep 0.1; done"});
  std::string id = run_detached(b, "persist");
  double first = 0;
  ASSERT_TRUE(eventually([&] { return (first = syscalls_of(id)) >= 10000; }, 10000)) << capsad_->metrics();
  capsad_->kill_hard();
  ::usleep(500 * 1000);  // the container keeps making calls while capsad is down
  ASSERT_TRUE(capsad_->start()) << capsad_->error();
  double second = syscalls_of(id);
  // Counts made while capsad was down were kept by the pinned programs and maps.
  EXPECT_GT(second, first + 20000) << "first " << first << " second " << second;
}

// Every file under a pin root, relative to it ("" when there is none).
std::string pins_under(const std::string& pin_root) {
  return run_command({"/bin/sh", "-c", "cd " + pin_root + " 2>/dev/null && find . | sort"}).out;
}

// A start that fails leaves no state behind: a bad --listen fails before
// anything is loaded, a failure after loading removes the pins that start
// made, and where an earlier capsad's pins were found they stay in force.
TEST_F(CapsadMetrics, AFailedStartLeavesNoPinsOfItsOwnAndKeepsAnEarlierCapsads) {
  auto capsad_args = [&](const std::string& listen, const std::string& policy_dir) {
    return std::vector<std::string>{CAPSAD_BIN, "--listen", listen, "--root", root_.path(), "--bpf-pin-root", pin_root_,
                                    "--policy-dir", policy_dir};
  };
  auto free_listen = [] { return "127.0.0.1:" + std::to_string(free_tcp_port()); };
  const std::string good_policies = root_.path() + "/policies";
  ASSERT_TRUE(dir_is_empty_or_absent(pin_root_)) << pins_under(pin_root_);

  // The port is taken: nothing is loaded at all.
  UniqueFd taken(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(taken.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(taken.get(), 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(taken.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  auto r = run_command(capsad_args("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), good_policies));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("--listen: cannot listen on"), std::string::npos) << r.err;
  EXPECT_TRUE(dir_is_empty_or_absent(pin_root_)) << pins_under(pin_root_);

  // Fails after loading and pinning: a file stands where the policy
  // directory is to be made. What that start pinned is gone again.
  replace_file(root_.path() + "/not-a-dir", "");
  const std::string bad_policies = root_.path() + "/not-a-dir/policies";
  const std::string mkdir_error = "mkdir " + root_.path() + "/not-a-dir/policies";
  r = run_command(capsad_args(free_listen(), bad_policies));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(mkdir_error), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("removed the pins under " + pin_root_), std::string::npos) << r.err;
  EXPECT_TRUE(dir_is_empty_or_absent(pin_root_)) << pins_under(pin_root_);

  // An earlier capsad, gone with kill -9, left its pins: the same failure
  // leaves every one of them in place.
  start_capsad();
  capsad_->kill_hard();
  const std::string earlier = pins_under(pin_root_);
  ASSERT_NE(earlier.find("./links/"), std::string::npos) << earlier;
  r = run_command(capsad_args(free_listen(), bad_policies));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(mkdir_error), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("removed the pins"), std::string::npos) << r.err;
  EXPECT_EQ(pins_under(pin_root_), earlier);

  // One capsad per state root: a second is refused before it loads anything.
  start_capsad();
  r = run_command(capsad_args(free_listen(), good_policies));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("another capsad serves it"), std::string::npos) << r.err;
}

// Every capsa_*/process_* metric a dashboard queries is one capsad exports
// (with a container running, so the per-container families have samples).
// A policy whose rule the container breaks, so the policy families have samples too.
TEST_F(CapsadMetrics, DashboardsQueryOnlyMetricsCapsadExports) {
  capsad_.emplace(root_.path(), pin_root_, std::vector<std::string>{"--bpf-stats"});
  make_dirs(capsad_->policy_dir(), 0755);
  write_file_atomic(capsad_->policy_dir() + "/sync.yaml",
                    policy_yaml("nosync", "  syscalls:\n    rules:\n      - names: [sync]\n        action: kill\n"));
  start_capsad();
  Bundle b({"/bin/sh", "-c", "while true; do sh -c sync; sleep 0.2; done"});
  std::string id = run_detached(b, "dash");
  ASSERT_TRUE(eventually(
      [&] {
        return sample_value(capsad_->metrics(), "capsa_policy_verdicts_total", "container_id=\"" + id + "\"")
            .has_value();
      },
      10000))
      << capsad_->metrics();
  std::string exported = capsad_->metrics();
  auto files = run_command({"/bin/sh", "-c", std::string("ls ") + CAPSA_SOURCE_DIR + "/dashboards/*.json"});
  ASSERT_EQ(files.exit_code, 0) << "no dashboards found";
  std::istringstream list(files.out);
  int checked = 0;
  std::regex name(R"(\b((capsa|process)_[a-z_]+)\b)");
  for (std::string file; std::getline(list, file);) {
    std::string text = nlohmann::json::parse(read_file_or_empty(file)).dump();
    for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it, ++checked)
      EXPECT_NE(exported.find("\n# TYPE " + (*it)[1].str() + " "), std::string::npos) << file << " uses " << (*it)[1];
  }
  EXPECT_GT(checked, 5);
}

}  // namespace
}  // namespace capsa::test

