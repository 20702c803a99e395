#include <unistd.h>

#include <regex>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/file_util.h"
#include "daemon/listen_address.h"
#include "state/container_state.h"
#include "state/process_probe.h"
#include "state/state_store.h"
#include "test_env.h"

namespace capsa::state {
namespace {

TEST(StateIds, RuncRulesAreEnforced) {
  for (const char* ok : {"a", "web-1", "A_b.c+d", "x.y"}) EXPECT_NO_THROW(validate_container_id(ok)) << ok;
  for (const char* bad : {"", ".", "..", "a/b", "a b", "ü", "x;rm"}) EXPECT_THROW(validate_container_id(bad), Error) << bad;
}

TEST(StateJson, OciStateHasRuncsShape) {
  ContainerState s;
  s.id = "c1";
  s.init_pid = 42;
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.created = "2026-01-02T03:04:05.5Z";
  s.annotations = {{"k", "v"}};
  auto j = oci_state(s, Status::Running);
  EXPECT_EQ(j["ociVersion"], "1.2.0");
  EXPECT_EQ(j["id"], "c1");
  EXPECT_EQ(j["pid"], 42);
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["bundle"], "/b");
  EXPECT_EQ(j["rootfs"], "/b/rootfs");
  EXPECT_EQ(j["created"], "2026-01-02T03:04:05.5Z");
  EXPECT_EQ(j["owner"], "");
  EXPECT_EQ(j["annotations"]["k"], "v");
  EXPECT_EQ(oci_state(s, Status::Stopped)["pid"], 0);
}

TEST(StateJson, InternalStateRoundTripsAndCorruptionIsReported) {
  ContainerState s;
  s.id = "c";
  s.init_pid = 7;
  s.init_start_time = 99;
  s.cgroup_id = 1234;
  s.cgroup = {{"x", 1}};
  auto back = from_json(to_json(s), "f");
  EXPECT_EQ(back.init_start_time, 99u);
  EXPECT_EQ(back.cgroup_id, 1234u);
  EXPECT_EQ(back.cgroup["x"], 1);
  try {
    from_json(nlohmann::json{{"id", 3}}, "/run/capsa/c/state.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/run/capsa/c/state.json: corrupt container state"), std::string::npos);
  }
}

TEST(StateTime, Rfc3339NanoInUtc) {
  std::regex re(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$)");
  EXPECT_TRUE(std::regex_match(now_rfc3339nano(), re)) << now_rfc3339nano();
}

TEST(StateProbe, OwnProcessIsAliveAndStartTimeMatters) {
  auto st = read_proc_stat(::getpid());
  ASSERT_TRUE(st);
  EXPECT_TRUE(process_alive(::getpid(), st->start_time));
  EXPECT_FALSE(process_alive(::getpid(), st->start_time + 1));
  EXPECT_FALSE(process_alive(0, 0));
}

TEST(StateStoreDirs, CreateIsExclusiveAndOpenFindsIt) {
  test::TempDir root("capsa-store");
  StateStore store(root.path() + "/r");
  {
    auto d = store.create("c1");
    EXPECT_THROW(store.create("c1"), Error);
    EXPECT_FALSE(d.load());  // no state written yet
  }
  EXPECT_EQ(store.list_ids(), std::vector<std::string>{"c1"});
  auto d = store.open("c1", LockMode::Shared);
  d.remove();
  EXPECT_FALSE(store.try_open("c1", LockMode::Shared));
  EXPECT_THROW(store.open("c1", LockMode::Shared), Error);
  EXPECT_THROW(StateStore("relative/root"), Error);
}

TEST(ListenAddress, ParsesHostPortAndRejectsGarbage) {
  auto a = daemon::parse_listen_address("127.0.0.1:9464", "--listen");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 9464);
  EXPECT_EQ(daemon::parse_listen_address("[::1]:80", "--listen").host, "::1");
  EXPECT_EQ(daemon::parse_listen_address(":80", "--listen").host, "0.0.0.0");
  for (const char* bad : {"9464", "host:", "host:0", "host:70000", "host:x1"})
    EXPECT_THROW(daemon::parse_listen_address(bad, "--listen"), Error) << bad;
}

}  // namespace
}  // namespace capsa::state
