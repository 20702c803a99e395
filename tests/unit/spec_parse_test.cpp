#include <gtest/gtest.h>

#include "common/error.h"
#include "common/file_util.h"
#include "spec/default_spec.h"
#include "spec/parse.h"
#include "test_env.h"

namespace capsa::spec {
namespace {

nlohmann::json base() { return nlohmann::json::parse(default_spec_json()); }

// The error message parse_spec gives for `j`, or "" when it parses.
std::string error_of(const nlohmann::json& j) {
  try {
    parse_spec(j.dump(), "config.json");
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

TEST(SpecParse, HooksOfEveryKindParse) {
  auto j = base();
  j["hooks"] = nlohmann::json::parse(R"({
    "prestart": [{"path": "/bin/pre"}],
    "createRuntime": [{"path": "/bin/cr", "args": ["cr", "-v"], "env": ["A=1"], "timeout": 5}],
    "createContainer": [{"path": "/bin/cc"}, {"path": "/bin/cc2"}],
    "startContainer": [{"path": "/bin/sc"}],
    "poststart": [{"path": "/bin/ps"}],
    "poststop": [{"path": "/bin/pst", "timeout": 1}]
  })");
  Spec s = parse_spec(j.dump(), "config.json");
  ASSERT_EQ(s.hooks.prestart.size(), 1u);
  EXPECT_EQ(s.hooks.prestart[0].path, "/bin/pre");
  EXPECT_FALSE(s.hooks.prestart[0].timeout);
  ASSERT_EQ(s.hooks.create_runtime.size(), 1u);
  EXPECT_EQ(s.hooks.create_runtime[0].args, (std::vector<std::string>{"cr", "-v"}));
  EXPECT_EQ(s.hooks.create_runtime[0].env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(s.hooks.create_runtime[0].timeout, 5);
  ASSERT_EQ(s.hooks.create_container.size(), 2u);
  EXPECT_EQ(s.hooks.create_container[1].path, "/bin/cc2");
  ASSERT_EQ(s.hooks.start_container.size(), 1u);
  ASSERT_EQ(s.hooks.poststart.size(), 1u);
  ASSERT_EQ(s.hooks.poststop.size(), 1u);
  EXPECT_EQ(s.hooks.poststop[0].timeout, 1);
}

TEST(SpecParse, TheDefaultSpecParses) {
  Spec s = parse_spec(default_spec_json(), "config.json");
  EXPECT_EQ(s.root.path, "rootfs");
  EXPECT_TRUE(s.root.readonly);
  ASSERT_TRUE(s.process);
  EXPECT_EQ(s.process->args, std::vector<std::string>{"sh"});
  EXPECT_TRUE(s.process->terminal);
  ASSERT_TRUE(s.process->capabilities);
  EXPECT_EQ(s.process->capabilities->bounding.size(), 3u);
  ASSERT_EQ(s.process->rlimits.size(), 1u);
  EXPECT_EQ(s.process->rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(s.mounts.size(), 7u);
  ASSERT_TRUE(s.linux);
  EXPECT_EQ(s.linux->namespaces.size(), 6u);
  EXPECT_TRUE(s.has_namespace(NamespaceType::Cgroup));
  EXPECT_EQ(s.linux->masked_paths.size(), 10u);
  ASSERT_TRUE(s.linux->resources);
  ASSERT_EQ(s.linux->resources->devices.size(), 1u);
  EXPECT_FALSE(s.linux->resources->devices[0].allow);
  EXPECT_EQ(s.hostname, "capsa");
}

TEST(SpecParse, RootlessDefaultHasAUserNamespaceAndNoNetwork) {
  auto j = nlohmann::json::parse(default_spec_json(true));
  std::vector<std::string> types;
  for (auto& n : j["linux"]["namespaces"]) types.push_back(n["type"]);
  EXPECT_NE(std::find(types.begin(), types.end(), "user"), types.end());
  EXPECT_EQ(std::find(types.begin(), types.end(), "network"), types.end());
  EXPECT_TRUE(j["linux"].contains("uidMappings"));
  EXPECT_NO_THROW(parse_spec(j.dump(), "config.json"));
}

TEST(SpecParse, IdMappingsAndTimeOffsetsAreRead) {
  auto j = base();
  j["linux"]["namespaces"].push_back({{"type", "user"}});
  j["linux"]["namespaces"].push_back({{"type", "time"}});
  j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 1000}},
                               {{"containerID", 1000}, {"hostID", 5000}, {"size", 1}}};
  j["linux"]["timeOffsets"] = {{"monotonic", {{"secs", -3600}}}, {"boottime", {{"secs", 86400}, {"nanosecs", 5}}}};
  auto s = parse_spec(j.dump(), "config.json");
  ASSERT_EQ(s.linux->uid_mappings.size(), 1u);
  EXPECT_EQ(s.linux->uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(s.linux->uid_mappings[0].size, 65536u);
  ASSERT_EQ(s.linux->gid_mappings.size(), 2u);
  EXPECT_EQ(s.linux->gid_mappings[1].container_id, 1000u);
  EXPECT_EQ(s.linux->time_offsets.at("monotonic").secs, -3600);
  EXPECT_EQ(s.linux->time_offsets.at("boottime").nanosecs, 5u);
}

// Its maps, and the process's ids in them, are checked at create, where the
// namespace can be read (tests/integration/user_time_ns_test.cpp).
TEST(SpecParse, AUserNamespaceJoinedByPathNeedsNoMappingsAndMayRepeatThem) {
  auto j = base();
  j["linux"]["namespaces"].push_back({{"type", "user"}, {"path", "/proc/4242/ns/user"}});
  j["process"]["user"] = {{"uid", 5000}, {"gid", 5000}};
  auto s = parse_spec(j.dump(), "config.json");
  EXPECT_EQ(s.find_namespace(NamespaceType::User)->path, "/proc/4242/ns/user");
  EXPECT_TRUE(s.linux->uid_mappings.empty());
  j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  EXPECT_EQ(parse_spec(j.dump(), "config.json").linux->uid_mappings.size(), 1u);
}

TEST(SpecParse, ResourcesAreRead) {
  auto j = base();
  j["linux"]["resources"]["memory"] = {{"limit", 1 << 26}, {"swap", -1}, {"swappiness", 10}};
  j["linux"]["resources"]["cpu"] = {{"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "0-1"}};
  j["linux"]["resources"]["pids"] = {{"limit", 32}};
  j["linux"]["resources"]["unified"] = {{"memory.high", "1000000"}};
  j["linux"]["cgroupsPath"] = "/mine/c1";
  auto s = parse_spec(j.dump(), "config.json");
  const auto& r = *s.linux->resources;
  EXPECT_EQ(*r.memory->limit, 1 << 26);
  EXPECT_EQ(*r.memory->swap, -1);
  EXPECT_EQ(*r.cpu->shares, 512u);
  EXPECT_EQ(r.cpu->cpus, "0-1");
  EXPECT_EQ(r.pids->limit, 32);
  EXPECT_EQ(r.unified.at("memory.high"), "1000000");
  EXPECT_EQ(s.linux->cgroups_path, "/mine/c1");
}

struct Case {
  const char* name;
  std::function<void(nlohmann::json&)> spoil;
  const char* message;
};

class SpecErrors : public ::testing::TestWithParam<Case> {};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

TEST_P(SpecErrors, NameTheFieldAndWhatWasExpected) {
  auto j = base();
  GetParam().spoil(j);
  auto msg = error_of(j);
  EXPECT_NE(msg.find(GetParam().message), std::string::npos) << "got: " << msg;
  EXPECT_EQ(msg.rfind("config.json: ", 0), 0u) << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, SpecErrors,
    ::testing::Values(
        Case{"NoVersion", [](auto& j) { j.erase("ociVersion"); }, "ociVersion: required field missing"},
        Case{"NoRootPath", [](auto& j) { j["root"].erase("path"); }, "root.path: required field missing"},
        Case{"ArgsNotStrings", [](auto& j) { j["process"]["args"] = {1}; }, "process.args[0]: expected string, got integer"},
        Case{"ArgsEmpty", [](auto& j) { j["process"]["args"] = nlohmann::json::array(); }, "process.args: must not be empty"},
        Case{"RelativeCwd", [](auto& j) { j["process"]["cwd"] = "tmp"; }, "process.cwd: must be an absolute path"},
        Case{"EnvWithoutEquals", [](auto& j) { j["process"]["env"] = {"FOO"}; }, "process.env: [0]: expected NAME=value"},
        Case{"UnknownCap", [](auto& j) { j["process"]["capabilities"]["bounding"] = {"CAP_FLY"}; },
             "process.capabilities.bounding: [0]: unknown capability \"CAP_FLY\""},
        Case{"UnknownRlimit", [](auto& j) { j["process"]["rlimits"][0]["type"] = "RLIMIT_FOO"; },
             "process.rlimits[0].type: unknown rlimit"},
        Case{"SoftAboveHard", [](auto& j) { j["process"]["rlimits"][0]["soft"] = 4096; }, "process.rlimits[0]: soft limit"},
        Case{"OomScoreRange", [](auto& j) { j["process"]["oomScoreAdj"] = 5000; }, "process.oomScoreAdj: value 5000 out of range"},
        Case{"UidNegative", [](auto& j) { j["process"]["user"]["uid"] = -1; }, "process.user.uid: expected a non-negative integer"},
        Case{"RelativeMount", [](auto& j) { j["mounts"][1]["destination"] = "dev"; }, "mounts[1].destination: must be an absolute path"},
        Case{"UnknownNamespace", [](auto& j) { j["linux"]["namespaces"][2]["type"] = "foo"; },
             "linux.namespaces[2].type: unknown namespace type \"foo\" (expected one of: pid, network, mount, ipc, uts, user, cgroup, time)"},
        Case{"DuplicateNamespace", [](auto& j) { j["linux"]["namespaces"][1]["type"] = "pid"; },
             "linux.namespaces[1].type: duplicate namespace type \"pid\""},
        Case{"NoMountNamespace",
             [](auto& j) {
               auto& ns = j["linux"]["namespaces"];
               for (size_t i = 0; i < ns.size(); ++i)
                 if (ns[i]["type"] == "mount") ns.erase(i);
             },
             "linux.namespaces: a mount namespace is required"},
        Case{"HostnameWithoutUts",
             [](auto& j) {
               auto& ns = j["linux"]["namespaces"];
               for (size_t i = 0; i < ns.size(); ++i)
                 if (ns[i]["type"] == "uts") ns.erase(i);
             },
             "hostname: requires a new uts namespace"},
        Case{"MemoryLimitString", [](auto& j) { j["linux"]["resources"]["memory"] = {{"limit", "1G"}}; },
             "linux.resources.memory.limit: expected integer, got string"},
        Case{"PidsZero", [](auto& j) { j["linux"]["resources"]["pids"] = {{"limit", 0}}; },
             "linux.resources.pids.limit: must be positive"},
        Case{"BadCpus", [](auto& j) { j["linux"]["resources"]["cpu"] = {{"cpus", "all"}}; },
             "linux.resources.cpu.cpus: expected a list"},
        Case{"MappingsWithoutUserNs",
             [](auto& j) { j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}}; },
             "linux.uidMappings: set, but linux.namespaces has no user namespace"},
        Case{"UserNsWithoutGidMappings",
             [](auto& j) {
               j["linux"]["namespaces"].push_back({{"type", "user"}});
               j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
             },
             "linux.gidMappings: required with a new user namespace"},
        Case{"MappingSizeZero",
             [](auto& j) { j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 0}}}; },
             "linux.uidMappings[0].size: required, at least 1"},
        Case{"MappingPastTheLargestId",
             [](auto& j) { j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 4294967000u}, {"size", 65536}}}; },
             "linux.gidMappings[0].size: the range goes past the largest id"},
        Case{"MappingsOverlap",
             [](auto& j) {
               j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 1000}},
                                            {{"containerID", 500}, {"hostID", 300000}, {"size", 10}}};
             },
             "linux.uidMappings[1].containerID: overlaps the container range of entry 0"},
        Case{"UserNotMapped",
             [](auto& j) {
               j["linux"]["namespaces"].push_back({{"type", "user"}});
               j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 1000}}};
               j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 1000}}};
               j["process"]["user"] = {{"uid", 5000}, {"gid", 0}};
             },
             "process.user.uid: 5000 is not mapped by linux.uidMappings"},
        Case{"AdditionalGidNotMapped",
             [](auto& j) {
               j["linux"]["namespaces"].push_back({{"type", "user"}});
               j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 1000}}};
               j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 1000}}};
               j["process"]["user"] = {{"uid", 0}, {"gid", 0}, {"additionalGids", {10, 70000}}};
             },
             "process.user.additionalGids[1]: 70000 is not mapped by linux.gidMappings"},
        Case{"TimeOffsetsWithoutTimeNs",
             [](auto& j) { j["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 86400}}}}; },
             "linux.timeOffsets: set, but linux.namespaces has no new time namespace"},
        Case{"UnknownClock",
             [](auto& j) { j["linux"]["timeOffsets"] = {{"realtime", {{"secs", 1}}}}; },
             "linux.timeOffsets.realtime: unknown clock (expected \"monotonic\" or \"boottime\")"},
        Case{"NanosecsTooBig",
             [](auto& j) { j["linux"]["timeOffsets"] = {{"boottime", {{"secs", 1}, {"nanosecs", 1000000000}}}}; },
             "linux.timeOffsets.boottime.nanosecs:"},
        Case{"BadPropagation", [](auto& j) { j["linux"]["rootfsPropagation"] = "sideways"; },
             "linux.rootfsPropagation: unknown propagation \"sideways\""},
        Case{"DeviceTypeBad", [](auto& j) { j["linux"]["devices"] = {{{"path", "/dev/x"}, {"type", "z"}}}; },
             "linux.devices[0].type: expected"},
        Case{"DeviceRuleTypeBad",
             [](auto& j) { j["linux"]["resources"]["devices"][0]["type"] = "x"; },
             "linux.resources.devices[0].type: expected \"a\", \"c\" or \"b\", got \"x\""},
        Case{"DeviceRuleAccessBad",
             [](auto& j) {
               j["linux"]["resources"]["devices"].push_back({{"allow", true}, {"type", "c"}, {"access", "rwz"}});
             },
             "linux.resources.devices[1].access: expected a combination of r, w and m, got \"rwz\""},
        Case{"DeviceRuleAccessEmpty",
             [](auto& j) { j["linux"]["resources"]["devices"][0]["access"] = ""; },
             "linux.resources.devices[0].access: must not be empty"},
        Case{"DeviceRuleNoAllow",
             [](auto& j) { j["linux"]["resources"]["devices"][0].erase("allow"); },
             "linux.resources.devices[0].allow: required field missing"},
        Case{"LinuxNotObject", [](auto& j) { j["linux"] = 3; }, "linux: expected object, got integer"},
        Case{"HooksNotObject", [](auto& j) { j["hooks"] = 1; }, "hooks: expected object, got integer"},
        Case{"HookListNotArray", [](auto& j) { j["hooks"] = nlohmann::json::parse(R"({"prestart": {"path": "/x"}})"); },
             "hooks.prestart: expected array, got object"},
        Case{"HookNotObject", [](auto& j) { j["hooks"] = nlohmann::json::parse(R"({"poststart": ["/x"]})"); },
             "hooks.poststart[0]: expected object, got string"},
        Case{"HookNoPath", [](auto& j) { j["hooks"] = nlohmann::json::parse(R"({"createRuntime": [{"args": ["x"]}]})"); },
             "hooks.createRuntime[0].path: required field missing"},
        Case{"HookRelativePath",
             [](auto& j) { j["hooks"] = nlohmann::json::parse(R"({"prestart": [{"path": "/a"}, {"path": "bin/true"}]})"); },
             "hooks.prestart[1].path: must be an absolute path, got \"bin/true\""},
        Case{"HookArgsNotStrings",
             [](auto& j) { j["hooks"] = nlohmann::json::parse(R"({"startContainer": [{"path": "/a", "args": [1]}]})"); },
             "hooks.startContainer[0].args[0]: expected string, got integer"},
        Case{"HookEnvWithoutEquals",
             [](auto& j) { j["hooks"] = nlohmann::json::parse(R"({"createContainer": [{"path": "/a", "env": ["X"]}]})"); },
             "hooks.createContainer[0].env: [0]: expected NAME=value, got \"X\""},
        Case{"HookZeroTimeout",
             [](auto& j) { j["hooks"] = nlohmann::json::parse(R"({"poststop": [{"path": "/a", "timeout": 0}]})"); },
             "hooks.poststop[0].timeout: must be a positive number of seconds, got 0"},
        Case{"HookNegativeTimeout",
             [](auto& j) { j["hooks"] = nlohmann::json::parse(R"({"poststop": [{"path": "/a", "timeout": -3}]})"); },
             "hooks.poststop[0].timeout: must be a positive number of seconds, got -3"},
        Case{"HookTimeoutNotInteger",
             [](auto& j) { j["hooks"] = nlohmann::json::parse(R"({"prestart": [{"path": "/a", "timeout": "5"}]})"); },
             "hooks.prestart[0].timeout: expected integer, got string"},
        // Fields capsa cannot honour are refused, never ignored.
        Case{"SeccompNoDefault", [](auto& j) { j["linux"]["seccomp"] = nlohmann::json::object({{"syscalls", nlohmann::json::array()}}); },
             "linux.seccomp.defaultAction: required field missing"},
        Case{"SeccompUnknownAction", [](auto& j) { j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_MAYBE"}}; },
             "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_MAYBE\" (expected one of: SCMP_ACT_KILL,"},
        Case{"SeccompNotifyDefault", [](auto& j) { j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_NOTIFY"}}; },
             "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default"},
        Case{"SeccompRetOnAllow",
             [](auto& j) { j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"defaultErrnoRet", 1}}; },
             "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return value"},
        Case{"SeccompArch",
             [](auto& j) { j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_Z80"}}}; },
             "linux.seccomp.architectures: [0]: unknown architecture \"SCMP_ARCH_Z80\""},
        Case{"SeccompFlag",
             [](auto& j) { j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {"SECCOMP_FILTER_FLAG_FAST"}}}; },
             "linux.seccomp.flags: [0]: unsupported flag \"SECCOMP_FILTER_FLAG_FAST\""},
        Case{"SeccompSyscallName",
             [](auto& j) {
               j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                        {"syscalls", {{{"names", {"mkdir", "Mk Dir"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
             },
             "linux.seccomp.syscalls[0].names: [1]: \"Mk Dir\" is not a syscall name"},
        Case{"SeccompArgIndex",
             [](auto& j) {
               j["linux"]["seccomp"] = {
                   {"defaultAction", "SCMP_ACT_ALLOW"},
                   {"syscalls",
                    {{{"names", {"socket"}}, {"action", "SCMP_ACT_ERRNO"}, {"args", {{{"index", 6}, {"value", 2}, {"op", "SCMP_CMP_EQ"}}}}}}}};
             },
             "linux.seccomp.syscalls[0].args[0].index: value 6 out of range (at most 5)"},
        Case{"SeccompArgOp",
             [](auto& j) {
               j["linux"]["seccomp"] = {
                   {"defaultAction", "SCMP_ACT_ALLOW"},
                   {"syscalls",
                    {{{"names", {"socket"}}, {"action", "SCMP_ACT_ERRNO"}, {"args", {{{"index", 0}, {"value", 2}, {"op", "EQ"}}}}}}}};
             },
             "linux.seccomp.syscalls[0].args[0].op: unknown operator \"EQ\""},
        Case{"SeccompNotifyNeedsListener",
             [](auto& j) {
               j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                        {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
             },
             "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY"},
        Case{"AppArmor", [](auto& j) { j["process"]["apparmorProfile"] = "docker-default"; },
             "process.apparmorProfile: AppArmor is not an active LSM here"},
        Case{"SelinuxLabel", [](auto& j) { j["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"; },
             "process.selinuxLabel: SELinux is not an active LSM here"},
        Case{"IntelRdt", [](auto& j) { j["linux"]["intelRdt"] = {{"closID", "x"}}; },
             "linux.intelRdt: Intel RDT is not supported"},
        Case{"PersonalityDomain", [](auto& j) { j["linux"]["personality"] = {{"domain", "LINUX64"}}; },
             "linux.personality.domain: unknown personality domain \"LINUX64\" (expected LINUX or LINUX32)"},
        Case{"PersonalityFlag",
             [](auto& j) { j["linux"]["personality"] = {{"domain", "LINUX"}, {"flags", {"ADDR_NO_RANDOMIZE", "FAST"}}}; },
             "linux.personality.flags[1]: unknown personality flag \"FAST\""},
        Case{"IoPriorityClass", [](auto& j) { j["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_NONE"}, {"priority", 1}}; },
             "process.ioPriority.class: unknown class \"IOPRIO_CLASS_NONE\" (expected IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or "
             "IOPRIO_CLASS_IDLE)"},
        Case{"IoPriorityLevel", [](auto& j) { j["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_BE"}, {"priority", 8}}; },
             "process.ioPriority.priority: value 8 out of range (0 to 7)"},
        Case{"SchedulerPolicy", [](auto& j) { j["process"]["scheduler"] = {{"policy", "SCHED_FAST"}}; },
             "process.scheduler.policy: unknown policy \"SCHED_FAST\""},
        Case{"SchedulerNice", [](auto& j) { j["process"]["scheduler"] = {{"policy", "SCHED_OTHER"}, {"nice", 20}}; },
             "process.scheduler.nice: value 20 out of range (-20 to 19)"},
        Case{"SchedulerPriorityNotRealtime",
             [](auto& j) { j["process"]["scheduler"] = {{"policy", "SCHED_BATCH"}, {"priority", 5}}; },
             "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority, not SCHED_BATCH"},
        Case{"SchedulerRealtimeNeedsPriority", [](auto& j) { j["process"]["scheduler"] = {{"policy", "SCHED_RR"}}; },
             "process.scheduler.priority: required for SCHED_RR (1 to 99)"},
        Case{"SchedulerRuntimeNotDeadline",
             [](auto& j) { j["process"]["scheduler"] = {{"policy", "SCHED_OTHER"}, {"runtime", 100000}}; },
             "process.scheduler.runtime: only SCHED_DEADLINE takes runtime, deadline and period"},
        Case{"SchedulerDeadlineOrder",
             [](auto& j) {
               j["process"]["scheduler"] = {
                   {"policy", "SCHED_DEADLINE"}, {"runtime", 2000000}, {"deadline", 1000000}, {"period", 3000000}};
             },
             "process.scheduler.deadline: must be at least the runtime (2000000), got 1000000"},
        Case{"SchedulerPeriodOrder",
             [](auto& j) {
               j["process"]["scheduler"] = {
                   {"policy", "SCHED_DEADLINE"}, {"runtime", 1000000}, {"deadline", 2000000}, {"period", 1500000}};
             },
             "process.scheduler.period: must be 0 or at least the deadline (2000000), got 1500000"},
        Case{"SchedulerFlag",
             [](auto& j) { j["process"]["scheduler"] = {{"policy", "SCHED_OTHER"}, {"flags", {"SCHED_FLAG_FAST"}}}; },
             "process.scheduler.flags[0]: unknown scheduler flag \"SCHED_FLAG_FAST\""},
        Case{"IdmapWithoutMappingsOrUserNamespace",
             [](auto& j) {
               j["mounts"].push_back({{"destination", "/data"}, {"type", "bind"}, {"source", "/tmp"}, {"options", {"rbind", "idmap"}}});
             },
             "mounts[7].options: \"idmap\" without uidMappings/gidMappings takes the mappings of a new user namespace, "
             "and linux.namespaces has none"},
        Case{"MountUidMappingsWithoutGid",
             [](auto& j) {
               j["mounts"].push_back({{"destination", "/data"},
                                      {"type", "bind"},
                                      {"source", "/tmp"},
                                      {"uidMappings", {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}}}});
             },
             "mounts[7].gidMappings: required with an id-mapped mount (both uidMappings and gidMappings)"},
        Case{"IdmapOfANonBindMount",
             [](auto& j) {
               j["mounts"].push_back({{"destination", "/data"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                                      {"uidMappings", {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}}},
                                      {"gidMappings", {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}}}});
             },
             "mounts[7]: uidMappings/gidMappings: id-mapped mounts need a bind mount"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SpecParse, PersonalityIoPriorityAndSchedulerAreRead) {
  auto j = base();
  j["linux"]["personality"] = {{"domain", "LINUX32"}, {"flags", {"ADDR_NO_RANDOMIZE"}}};
  j["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_IDLE"}, {"priority", 7}};
  j["process"]["scheduler"] = {{"policy", "SCHED_DEADLINE"}, {"runtime", 10000000}, {"deadline", 20000000},
                               {"period", 30000000}, {"flags", {"SCHED_FLAG_RESET_ON_FORK"}}};
  Spec s = parse_spec(j.dump(), "config.json");
  ASSERT_TRUE(s.linux->personality);
  EXPECT_EQ(s.linux->personality->domain, "LINUX32");
  EXPECT_EQ(s.linux->personality->flags, std::vector<std::string>{"ADDR_NO_RANDOMIZE"});
  ASSERT_TRUE(s.process->io_priority);
  EXPECT_EQ(s.process->io_priority->io_class, "IOPRIO_CLASS_IDLE");
  EXPECT_EQ(s.process->io_priority->priority, 7);
  ASSERT_TRUE(s.process->scheduler);
  EXPECT_EQ(s.process->scheduler->policy, "SCHED_DEADLINE");
  EXPECT_EQ(s.process->scheduler->runtime, 10000000u);
  EXPECT_EQ(s.process->scheduler->deadline, 20000000u);
  EXPECT_EQ(s.process->scheduler->period, 30000000u);
  EXPECT_EQ(s.process->scheduler->flags, std::vector<std::string>{"SCHED_FLAG_RESET_ON_FORK"});
  j["process"]["scheduler"] = {{"policy", "SCHED_FIFO"}, {"priority", 99}};
  EXPECT_EQ(error_of(j), "");
}

TEST(SpecParse, IdmappedMountsTakeTheirOwnMappingsOrTheUserNamespaces) {
  auto j = base();
  j["mounts"].push_back({{"destination", "/own"}, {"type", "bind"}, {"source", "/tmp"}, {"options", {"rbind"}},
                         {"uidMappings", {{{"containerID", 0}, {"hostID", 1000}, {"size", 10}}}},
                         {"gidMappings", {{{"containerID", 0}, {"hostID", 2000}, {"size", 10}}}}});
  j["mounts"].push_back({{"destination", "/ns"}, {"type", "bind"}, {"source", "/tmp"}, {"options", {"rbind", "ridmap"}}});
  j["linux"]["namespaces"].push_back({{"type", "user"}});
  j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  Spec s = parse_spec(j.dump(), "config.json");
  const auto& own = s.mounts[7];
  EXPECT_TRUE(own.idmap);
  EXPECT_FALSE(own.idmap_recursive);
  ASSERT_EQ(own.gid_mappings.size(), 1u);
  EXPECT_EQ(own.gid_mappings[0].host_id, 2000u);
  const auto& ns = s.mounts[8];
  EXPECT_TRUE(ns.idmap);
  EXPECT_TRUE(ns.idmap_recursive);
  ASSERT_EQ(ns.uid_mappings.size(), 1u);
  EXPECT_EQ(ns.uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(ns.uid_mappings[0].size, 65536u);
  EXPECT_FALSE(s.mounts[0].idmap);
}

TEST(SpecParse, EmptyUnsupportedFieldsAreHarmless) {
  auto j = base();
  j["hooks"] = nlohmann::json::object();
  j["process"]["apparmorProfile"] = "";
  EXPECT_EQ(error_of(j), "");
}

TEST(SpecParse, JsonSyntaxErrorsGiveLineAndColumn) {
  try {
    parse_spec("{\n  \"ociVersion\": \"1.2.0\",\n  \"root\": {,\n}", "/b/config.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/b/config.json: invalid JSON at line 3, column 12"), std::string::npos)
        << e.what();
  }
}

TEST(SpecBundle, RootfsIsCheckedAndResolvedAgainstTheBundle) {
  test::TempDir dir("capsa-spec");
  std::string b = dir.path();
  try {
    load_bundle_spec(b);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(b + "/config.json: No such file or directory"), std::string::npos) << e.what();
  }
  write_file_atomic(b + "/config.json", default_spec_json());
  try {
    load_bundle_spec(b);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("root.path: " + b + "/rootfs: No such file or directory"), std::string::npos)
        << e.what();
  }
  write_file_atomic(b + "/rootfs", "not a dir");
  EXPECT_THROW(load_bundle_spec(b), Error);
  ::unlink((b + "/rootfs").c_str());
  make_dirs(b + "/rootfs");
  auto s = load_bundle_spec(b);
  EXPECT_EQ(rootfs_path(s, b), b + "/rootfs");
  s.root.path = "/abs/root";
  EXPECT_EQ(rootfs_path(s, b), "/abs/root");
  s.root.path = "./x/../rootfs";
  EXPECT_EQ(rootfs_path(s, b), b + "/rootfs");
}

}  // namespace
}  // namespace capsa::spec
