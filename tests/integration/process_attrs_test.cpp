// linux.personality, process.ioPriority and process.scheduler: set in the
// container's init and in exec'd processes before they exec, and read back
// from the host with the kernel's own getters.
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioClassBe = 2, kIoprioClassIdle = 3;

int ioprio_of(pid_t pid) { return static_cast<int>(::syscall(SYS_ioprio_get, kIoprioWhoProcess, pid)); }

// The kernel's struct sched_attr (linux/sched/types.h clashes with glibc's
// sched.h, which has the SCHED_* names).
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};

SchedAttr sched_of(pid_t pid) {
  SchedAttr attr {};
  EXPECT_EQ(::syscall(SYS_sched_getattr, pid, &attr, sizeof attr, 0), 0) << "sched_getattr " << pid;
  return attr;
}

class ProcessAttrs : public ::testing::Test {
protected:
  void SetUp() override { CAPSA_REQUIRE_ROOT(); }
  void TearDown() override {
    for (const auto& id : started_) capsa(root_.path(), {"delete", "--force", id});
  }

  // A detached `sleep` container with `edit` applied to its config; returns its id.
  std::string start(const std::function<void(nlohmann::json&)>& edit) {
    bundle_.emplace(std::vector<std::string>{"/bin/sleep", "300"});
    edit(bundle_->config());
    bundle_->save();
    std::string id = unique_id("ocifields-attrs");
    auto r = capsa(root_.path(), {"run", "-d", "--bundle", bundle_->path(), id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code == 0) started_.push_back(id);
    return id;
  }
  pid_t init_pid(const std::string& id) {
    auto r = capsa(root_.path(), {"state", id});
    return nlohmann::json::parse(r.out).value("pid", -1);
  }
  // `capsa exec -d` of a process.json; returns the host pid of the process.
  pid_t exec_process_file(const std::string& id, const nlohmann::json& process) {
    std::string file = root_.path() + "/process.json", pid_file = root_.path() + "/exec.pid";
    write_file_atomic(file, process.dump());
    auto r = capsa(root_.path(), {"exec", "-d", "--pid-file", pid_file, "--process", file, id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? std::stoi(read_file(pid_file)) : -1;
  }

  TempDir root_{"ocifields-root"};
  std::optional<Bundle> bundle_;
  std::vector<std::string> started_;
};

TEST_F(ProcessAttrs, Linux32PersonalityGovernsTheInitAndExecdProcesses) {
  std::string id = start([](auto& c) { c["linux"]["personality"] = {{"domain", "LINUX32"}, {"flags", {"ADDR_NO_RANDOMIZE"}}}; });
  pid_t pid = init_pid(id);
  ASSERT_GT(pid, 0);
  // PER_LINUX32 (0x0008) | ADDR_NO_RANDOMIZE (0x0040000), as the kernel shows it.
  EXPECT_EQ(read_file_or_empty("/proc/" + std::to_string(pid) + "/personality"), "00040008\n");
  auto r = capsa(root_.path(), {"exec", id, "sh", "-c", "uname -m; cat /proc/self/personality"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "i686\n00040008\n");

  Bundle plain({"/bin/uname", "-m"});
  plain.config()["linux"]["personality"] = {{"domain", "LINUX"}};
  plain.save();
  auto linux64 = capsa(root_.path(), {"run", "--bundle", plain.path(), unique_id("ocifields-per")});
  EXPECT_EQ(linux64.exit_code, 0) << linux64.err;
  EXPECT_EQ(linux64.out, "x86_64\n");
}

TEST_F(ProcessAttrs, IoPriorityOfTheInitAndOfExecFromConfigOrProcessFile) {
  std::string id = start([](auto& c) { c["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_BE"}, {"priority", 6}}; });
  pid_t pid = init_pid(id);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(ioprio_of(pid), (kIoprioClassBe << 13) | 6);

  // Without --process, exec takes the config's process, ioPriority included.
  std::string pid_file = root_.path() + "/inherit.pid";
  ASSERT_EQ(capsa(root_.path(), {"exec", "-d", "--pid-file", pid_file, id, "sleep", "60"}).exit_code, 0);
  EXPECT_EQ(ioprio_of(std::stoi(read_file(pid_file))), (kIoprioClassBe << 13) | 6);

  pid_t idle = exec_process_file(id, {{"args", {"sleep", "60"}}, {"ioPriority", {{"class", "IOPRIO_CLASS_IDLE"}, {"priority", 0}}}});
  ASSERT_GT(idle, 0);
  EXPECT_EQ(ioprio_of(idle), kIoprioClassIdle << 13);
}

TEST_F(ProcessAttrs, SchedulerPolicyAndNiceOfTheInitAndOfExec) {
  std::string id = start([](auto& c) { c["process"]["scheduler"] = {{"policy", "SCHED_BATCH"}, {"nice", 7}}; });
  pid_t pid = init_pid(id);
  ASSERT_GT(pid, 0);
  auto init = sched_of(pid);
  EXPECT_EQ(init.sched_policy, static_cast<uint32_t>(SCHED_BATCH));
  EXPECT_EQ(init.sched_nice, 7);

  pid_t idle = exec_process_file(
      id, {{"args", {"sleep", "60"}},
           {"scheduler", {{"policy", "SCHED_IDLE"}, {"flags", {"SCHED_FLAG_RESET_ON_FORK"}}}}});
  ASSERT_GT(idle, 0);
  auto ex = sched_of(idle);
  EXPECT_EQ(ex.sched_policy, static_cast<uint32_t>(SCHED_IDLE));
  EXPECT_EQ(ex.sched_flags & 0x01, 0x01u) << "SCHED_FLAG_RESET_ON_FORK";

  // A bad process file is refused before anything runs, naming file and field.
  std::string file = root_.path() + "/bad.json";
  write_file_atomic(file, R"({"args": ["true"], "scheduler": {"policy": "SCHED_OTHER", "priority": 10}})");
  auto bad = capsa(root_.path(), {"exec", "--process", file, id});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find(file + ": scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority"), std::string::npos)
      << bad.err;
}

}  // namespace
}  // namespace capsa::test
