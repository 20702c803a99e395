// capsa features: runc's JSON shape, listing only what capsa implements.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_env.h"

namespace capsa::test {
namespace {

TEST(Features, ListsWhatCapsaImplementsInRuncsShape) {
  TempDir root("capsa-root");
  auto r = capsa(root.path(), {"features"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto f = nlohmann::json::parse(r.out);
  EXPECT_EQ(f["ociVersionMax"], "1.2.0");
  auto has = [](const nlohmann::json& list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  };
  EXPECT_TRUE(has(f["mountOptions"], "rbind"));
  EXPECT_TRUE(has(f["mountOptions"], "nosuid"));
  for (const char* o : {"rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec", "rnoatime", "ratime",
                        "rrelatime", "rnorelatime", "rstrictatime", "rnostrictatime", "rnodiratime", "rdiratime",
                        "rnosymfollow", "rsymfollow"})
    EXPECT_TRUE(has(f["mountOptions"], o)) << o;
  EXPECT_FALSE(has(f["mountOptions"], "idmap")) << "as runc: id-mapping is a mount extension, not a mount(2) option";
  EXPECT_TRUE(f["linux"]["mountExtensions"]["idmap"]["enabled"].get<bool>());
  EXPECT_EQ(f["linux"]["personality"]["domains"], nlohmann::json({"LINUX", "LINUX32"}));
  EXPECT_TRUE(has(f["linux"]["personality"]["flags"], "ADDR_NO_RANDOMIZE"));
  EXPECT_TRUE(has(f["process"]["scheduler"]["policies"], "SCHED_DEADLINE"));
  EXPECT_TRUE(has(f["process"]["scheduler"]["flags"], "SCHED_FLAG_RESET_ON_FORK"));
  EXPECT_EQ(f["process"]["ioPriority"]["classes"],
            nlohmann::json({"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"}));
  EXPECT_TRUE(has(f["linux"]["namespaces"], "cgroup"));
  EXPECT_TRUE(has(f["linux"]["namespaces"], "user"));
  EXPECT_TRUE(has(f["linux"]["namespaces"], "time"));
  EXPECT_TRUE(has(f["linux"]["capabilities"], "CAP_SYS_ADMIN"));
  EXPECT_EQ(f["linux"]["capabilities"].size(), 41u);
  EXPECT_EQ(f["hooks"], nlohmann::json({"prestart", "createRuntime", "createContainer", "startContainer",
                                          "poststart", "poststop"}));
  EXPECT_TRUE(f["linux"]["seccomp"]["enabled"].get<bool>());
  EXPECT_NE(std::find(f["linux"]["seccomp"]["actions"].begin(), f["linux"]["seccomp"]["actions"].end(), "SCMP_ACT_NOTIFY"),
            f["linux"]["seccomp"]["actions"].end());
  EXPECT_NE(std::find(f["linux"]["seccomp"]["archs"].begin(), f["linux"]["seccomp"]["archs"].end(), "SCMP_ARCH_X86_64"),
            f["linux"]["seccomp"]["archs"].end());
  EXPECT_TRUE(f["linux"]["cgroup"]["v1"].get<bool>());
  EXPECT_TRUE(f["linux"]["cgroup"]["v2"].get<bool>());
}

}  // namespace
}  // namespace capsa::test
