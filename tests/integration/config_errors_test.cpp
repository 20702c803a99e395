// Bad bundles fail with a message naming the field and leave nothing behind:
// no state directory, no cgroup, no mount.
#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

struct BadConfig {
  const char* name;
  std::function<void(Bundle&)> spoil;
  const char* expected;  // must appear in stderr
};

// Keeps ctest's test names readable.
void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

class ConfigErrors : public ::testing::TestWithParam<BadConfig> {
protected:
  void SetUp() override { CAPSA_REQUIRE_ROOT(); }
  TempDir root_{"capsa-root"};
};

TEST_P(ConfigErrors, FailNamingTheFieldAndLeaveNoState) {
  Bundle b({"/bin/true"});
  GetParam().spoil(b);
  std::string id = unique_id("bad");
  for (const char* cmd : {"create", "run"}) {
    auto r = capsa(root_.path(), {cmd, "--bundle", b.path(), id});
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_NE(r.err.find(GetParam().expected), std::string::npos) << cmd << ": " << r.err;
    EXPECT_EQ(leftovers_of_failed_create(root_.path(), id, b.path()), "") << cmd;
  }
}

void write_config(Bundle& b, const std::string& text) { write_file_atomic(b.path() + "/config.json", text); }

INSTANTIATE_TEST_SUITE_P(
    Bundles, ConfigErrors,
    ::testing::Values(
        BadConfig{"BadJson", [](Bundle& b) { write_config(b, "{\n  \"ociVersion\": \"1.2.0\",\n  \"root\": {\n}"); },
                  "config.json: invalid JSON at line 4"},
        BadConfig{"MissingRootPath",
                  [](Bundle& b) {
                    b.config()["root"].erase("path");
                    b.save();
                  },
                  "root.path"},
        BadConfig{"UnknownNamespaceType",
                  [](Bundle& b) {
                    b.config()["linux"]["namespaces"].push_back({{"type", "bogus"}});
                    b.save();
                  },
                  "linux.namespaces[6].type: unknown namespace type \"bogus\""},
        BadConfig{"RootfsMissing",
                  [](Bundle& b) {
                    b.config()["root"]["path"] = "no-such-rootfs";
                    b.save();
                  },
                  "root.path"},
        BadConfig{"MissingExecutable",
                  [](Bundle& b) {
                    b.config()["process"]["args"] = {"/bin/no-such-binary"};
                    b.save();
                  },
                  "/bin/no-such-binary"},
        BadConfig{"BadMount",
                  [](Bundle& b) {
                    b.config()["mounts"].push_back(
                        {{"destination", "/data"}, {"type", "bind"}, {"source", "/no/such/dir"}, {"options", {"rbind"}}});
                    b.save();
                  },
                  "mounts[7] (/data)"},
        BadConfig{"MemoryLimitNotANumber",
                  [](Bundle& b) {
                    b.config()["linux"]["resources"]["memory"] = {{"limit", "lots"}};
                    b.save();
                  },
                  "linux.resources.memory.limit"},
        BadConfig{"BadCpuset",
                  [](Bundle& b) {
                    b.config()["linux"]["resources"]["cpu"] = {{"cpus", "999"}};
                    b.save();
                  },
                  "linux.resources.cpu.cpus"},
        BadConfig{"DeviceRuleType",
                  [](Bundle& b) {
                    auto& d = b.config()["linux"]["resources"]["devices"];
                    d.push_back({{"allow", true}, {"type", "c"}, {"access", "r"}});
                    d.push_back({{"allow", true}, {"type", "x"}, {"access", "r"}});
                    b.save();
                  },
                  "linux.resources.devices[2].type: expected \"a\", \"c\" or \"b\", got \"x\""},
        BadConfig{"DeviceRuleAccess",
                  [](Bundle& b) {
                    auto& d = b.config()["linux"]["resources"]["devices"];
                    d.push_back({{"allow", true}, {"type", "c"}, {"access", "r"}});
                    d.push_back({{"allow", true}, {"type", "c"}, {"access", "rwz"}});
                    b.save();
                  },
                  "linux.resources.devices[2].access: expected a combination of r, w and m, got \"rwz\""},
        // Passes the parser, fails the reduction: the devices controller
        // cannot take one device out of an earlier wildcard.
        BadConfig{"DeviceRuleHoleInWildcard",
                  [](Bundle& b) {
                    auto& d = b.config()["linux"]["resources"]["devices"];
                    d.push_back({{"allow", true}, {"type", "b"}, {"major", 7}, {"access", "rw"}});
                    d.push_back({{"allow", false}, {"type", "b"}, {"major", 7}, {"minor", 1}, {"access", "r"}});
                    b.save();
                  },
                  "linux.resources.devices[2]: denying b 7:1 r (linux.resources.devices[2]) after allowing b 7:* rw"},
        BadConfig{"SchedulerPriorityWithoutRealtimePolicy",
                  [](Bundle& b) {
                    b.config()["process"]["scheduler"] = {{"policy", "SCHED_OTHER"}, {"priority", 10}};
                    b.save();
                  },
                  "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority, not SCHED_OTHER"},
        // Passes the parser, fails in the init: no kernel implements SCHED_ISO.
        BadConfig{"SchedulerIsoRefusedByTheKernel",
                  [](Bundle& b) {
                    b.config()["process"]["scheduler"] = {{"policy", "SCHED_ISO"}};
                    b.save();
                  },
                  "process.scheduler: sched_setattr SCHED_ISO (no mainline kernel implements SCHED_ISO): Invalid argument"},
        BadConfig{"PersonalityDomain",
                  [](Bundle& b) {
                    b.config()["linux"]["personality"] = {{"domain", "SVR4"}};
                    b.save();
                  },
                  "linux.personality.domain: unknown personality domain \"SVR4\" (expected LINUX or LINUX32)"},
        BadConfig{"IoPriorityLevel",
                  [](Bundle& b) {
                    b.config()["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_BE"}, {"priority", 9}};
                    b.save();
                  },
                  "process.ioPriority.priority: value 9 out of range (0 to 7)"},
        BadConfig{"RidmapWithoutUserNamespace",
                  [](Bundle& b) {
                    b.config()["mounts"].push_back(
                        {{"destination", "/data"}, {"type", "bind"}, {"source", "/tmp"}, {"options", {"rbind", "ridmap"}}});
                    b.save();
                  },
                  "mounts[7].options: \"ridmap\" without uidMappings/gidMappings takes the mappings of a new user "
                  "namespace"},
        // Passes the parser, fails in the runtime before anything exists.
        BadConfig{"IdmappedMountOfAMissingSource",
                  [](Bundle& b) {
                    nlohmann::json map = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
                    b.config()["mounts"].push_back({{"destination", "/data"},
                                                    {"type", "bind"},
                                                    {"source", "/no/such/dir"},
                                                    {"options", {"rbind"}},
                                                    {"uidMappings", map},
                                                    {"gidMappings", map}});
                    b.save();
                  },
                  "mounts[7] (/data): clone the tree of /no/such/dir (open_tree): No such file or directory"},
        BadConfig{"BlockIoWeightOutOfRange",
                  [](Bundle& b) {
                    b.config()["linux"]["resources"]["blockIO"] = {{"weight", 5}};
                    b.save();
                  },
                  "linux.resources.blockIO.weight: value 5 out of range (10 to 1000)"},
        BadConfig{"BlockIoDeviceMinorNegative",
                  [](Bundle& b) {
                    b.config()["linux"]["resources"]["blockIO"]["throttleReadBpsDevice"] = {
                        {{"major", 254}, {"minor", -1}, {"rate", 1}}};
                    b.save();
                  },
                  "linux.resources.blockIO.throttleReadBpsDevice[0].minor: value -1 out of range (0 to 1048575)"},
        // Passes the parser; the host has no such disk.
        BadConfig{"BlockIoDeviceMissing",
                  [](Bundle& b) {
                    b.config()["linux"]["resources"]["blockIO"]["throttleWriteIOPSDevice"] = {
                        {{"major", 4095}, {"minor", 1048575}, {"rate", 1}}};
                    b.save();
                  },
                  "linux.resources.blockIO.throttleWriteIOPSDevice[0]: no block device 4095:1048575 on this host"},
        BadConfig{"HugepageSizeMalformed",
                  [](Bundle& b) {
                    b.config()["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", "2M"}, {"limit", 0}}};
                    b.save();
                  },
                  "linux.resources.hugepageLimits[0].pageSize: expected a size such as \"2MB\""},
        // Well formed, but no kernel has 4KB huge pages.
        BadConfig{"HugepageSizeUnknown",
                  [](Bundle& b) {
                    b.config()["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", "4KB"}, {"limit", 0}}};
                    b.save();
                  },
                  "linux.resources.hugepageLimits[0].pageSize: \"4KB\" is not a huge page size of this kernel"},
        BadConfig{"MissingConfig", [](Bundle& b) { ::unlink((b.path() + "/config.json").c_str()); },
                  "config.json"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace capsa::test
