// The policy events of the confinements: a unix socket reached from outside
// the root (root-escape, access connect) and a ptrace or signal to a task
// outside the container (task-escape, an owner past the quota included), as
// the JSON lines say them.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/event_log.h"
#include "test_env.h"

using namespace capsa;
using namespace capsa::test;

namespace {

nlohmann::json written(const capsa_policy_event& ev, const std::string& rule) {
  TempDir dir("capsa-events");
  std::string path = dir.path() + "/events";
  {
    daemon::EventLog log(path);
    log.write_policy(ev, "c1", "", rule);
  }
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return nlohmann::json::parse(line);
}

TEST(EventLogConfinement, AUnixSocketOutsideTheRootIsARootEscapeWithAccessConnect) {
  capsa_policy_event ev{};
  ev.kind = CAPSA_KIND_ROOT_ESCAPE;
  ev.action = CAPSA_ACT_DENY;
  ev.enforced = 1;
  ev.access = CAPSA_ACCESS_UNIX_CONNECT;
  ev.ino = 42;
  std::strcpy(ev.path, "/proc/1/root/run/x.sock");
  auto j = written(ev, "root-confinement");
  EXPECT_EQ(j["kind"], "root-escape") << j.dump();
  EXPECT_EQ(j["action"], "deny");
  EXPECT_EQ(j["access"], nlohmann::json::array({"connect"}));
  EXPECT_EQ(j["path"], "/proc/1/root/run/x.sock");
  EXPECT_EQ(j["inode"], 42);
}

TEST(EventLogConfinement, ASignalToATaskOutsideIsATaskEscape) {
  capsa_policy_event ev{};
  ev.kind = CAPSA_KIND_TASK_ESCAPE;
  ev.action = CAPSA_ACT_DENY;
  ev.enforced = 1;
  ev.access = CAPSA_TASK_SIGNAL;
  ev.target_pid = 777;
  ev.signal = 15;
  ev.syscall_nr = 62;  // kill
  std::strcpy(ev.path, "sshd");
  auto j = written(ev, "task-confinement");
  EXPECT_EQ(j["kind"], "task-escape") << j.dump();
  EXPECT_EQ(j["rule"], "task-confinement");
  EXPECT_EQ(j["operation"], "signal");
  EXPECT_EQ(j["target_pid"], 777);
  EXPECT_EQ(j["target_comm"], "sshd");
  EXPECT_EQ(j["signal"], 15);
  EXPECT_EQ(j["syscall"], "kill");
}

TEST(EventLogConfinement, APtraceOfATaskOutsideCarriesNoSignal) {
  capsa_policy_event ev{};
  ev.kind = CAPSA_KIND_TASK_ESCAPE;
  ev.action = CAPSA_ACT_DENY;
  ev.access = CAPSA_TASK_PTRACE;
  ev.target_pid = 9;
  ev.syscall_nr = -1;
  auto j = written(ev, "task-confinement");
  EXPECT_EQ(j["operation"], "ptrace") << j.dump();
  EXPECT_FALSE(j.contains("signal")) << j.dump();
  EXPECT_FALSE(j.contains("syscall")) << j.dump();
}

TEST(EventLogConfinement, AnOwnerPastTheQuotaNamesTheLimitAndNoTarget) {
  capsa_policy_event ev{};
  ev.kind = CAPSA_KIND_TASK_ESCAPE;
  ev.action = CAPSA_ACT_KILL;
  ev.enforced = 1;
  ev.access = CAPSA_TASK_OWNER_QUOTA;
  ev.limit = 4096;
  ev.syscall_nr = 72;  // fcntl
  auto j = written(ev, "task-confinement");
  EXPECT_EQ(j["kind"], "task-escape") << j.dump();
  EXPECT_EQ(j["action"], "kill");
  EXPECT_EQ(j["operation"], "owner-quota");
  EXPECT_EQ(j["limit"], 4096);
  EXPECT_EQ(j["syscall"], "fcntl");
  EXPECT_FALSE(j.contains("target_pid")) << j.dump();
  ev.access = CAPSA_TASK_OWNERS_FULL;
  ev.limit = 0;
  j = written(ev, "task-confinement");
  EXPECT_EQ(j["operation"], "owners-full") << j.dump();
  EXPECT_FALSE(j.contains("limit")) << j.dump();
}

}  // namespace
