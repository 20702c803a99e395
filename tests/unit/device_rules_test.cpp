// The reduction of linux.resources.devices to what the devices controller
// (and the cgroup/dev program) holds: runc's order and defaults, later rules
// winning, and refusals for what cannot be enforced.
#include <gtest/gtest.h>

#include "cgroup/device_rules.h"
#include "common/error.h"

namespace capsa::cgroup {
namespace {

spec::DeviceRule rule(bool allow, std::string type, std::optional<int64_t> major, std::optional<int64_t> minor,
                      std::string access) {
  return {allow, std::move(type), major, minor, std::move(access)};
}

spec::Spec with_rules(std::vector<spec::DeviceRule> rules, std::vector<spec::Device> devices = {}) {
  spec::Spec s;
  s.linux.emplace();
  s.linux->resources.emplace();
  s.linux->resources->devices = std::move(rules);
  s.linux->devices = std::move(devices);
  return s;
}

std::vector<std::string> lines(const DevicePolicy& p) {
  std::vector<std::string> out;
  for (const auto& e : p.exceptions) out.push_back(e.to_string());
  return out;
}

const std::vector<std::string> kDefaults = {"b *:* m",     "c *:* m",     "c 1:3 rwm", "c 1:5 rwm",
                                            "c 1:7 rwm",   "c 1:8 rwm",   "c 1:9 rwm", "c 5:0 rwm",
                                            "c 5:2 rwm",   "c 136:* rwm"};

std::string error_of(const spec::Spec& s) {
  try {
    device_policy(s);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

TEST(DeviceRules, NoRulesStillDenyAllButRuncsDefaults) {
  spec::Spec s;
  s.linux.emplace();
  auto p = device_policy(s);
  EXPECT_FALSE(p.default_allow);
  EXPECT_FALSE(p.user_rules);
  EXPECT_EQ(lines(p), kDefaults);
}

TEST(DeviceRules, DenyAllThenAllowAddsToTheDefaults) {
  auto p = device_policy(with_rules({rule(false, "a", {}, {}, "rwm"), rule(true, "c", 1, 4, "r")}));
  EXPECT_TRUE(p.user_rules);
  auto l = lines(p);
  EXPECT_NE(std::find(l.begin(), l.end(), "c 1:4 r"), l.end());
  EXPECT_EQ(l.size(), kDefaults.size() + 1);
}

TEST(DeviceRules, LaterDenyTakesBackAnEarlierAllow) {
  auto p = device_policy(with_rules({rule(true, "c", 1, 4, "rw"), rule(false, "c", 1, 4, "w")}));
  auto l = lines(p);
  EXPECT_NE(std::find(l.begin(), l.end(), "c 1:4 r"), l.end());
  p = device_policy(with_rules({rule(true, "c", 1, 4, "rwm"), rule(false, "c", 1, 4, "rwm")}));
  EXPECT_EQ(lines(p), kDefaults);
}

TEST(DeviceRules, AWiderLaterDenyCoversNarrowerAllows) {
  // v1 alone would keep c 10:229: it only edits exceptions with the same numbers.
  auto p = device_policy(with_rules({rule(true, "c", 10, 229, "rwm"), rule(true, "c", 10, 200, "r"),
                                     rule(false, "c", 10, {}, "rwm")}));
  EXPECT_EQ(lines(p), kDefaults);
}

TEST(DeviceRules, AllowAllMakesTheDefaultAllowAndDeniesBecomeExceptions) {
  auto p = device_policy(with_rules({rule(true, "", {}, {}, "rwm"), rule(false, "b", 8, {}, "w")}));
  EXPECT_TRUE(p.default_allow);
  EXPECT_EQ(lines(p), std::vector<std::string>{"b 8:* w"});
}

TEST(DeviceRules, DefaultsCannotBeTakenAwayAsInRunc) {
  auto p = device_policy(with_rules({rule(false, "c", 1, 3, "rwm"), rule(false, "c", {}, {}, "m")}));
  EXPECT_EQ(lines(p), kDefaults);
}

TEST(DeviceRules, AllTypeWithFewerRightsAppliesToCharAndBlock) {
  auto p = device_policy(with_rules({rule(true, "a", {}, {}, "rwm"), rule(false, "a", 8, {}, "w")}));
  EXPECT_TRUE(p.default_allow);
  EXPECT_EQ(lines(p), (std::vector<std::string>{"b 8:* w", "c 8:* w"}));
  // Denying writes to everything would take w from the defaults' /dev/null.
  auto err = error_of(with_rules({rule(true, "a", {}, {}, "rwm"), rule(false, "a", {}, {}, "w")}));
  EXPECT_NE(err.find("allowing c 1:3 rwm (the default device /dev/null) after denying c *:* w"), std::string::npos)
      << err;
}

TEST(DeviceRules, LinuxDevicesAreAllowedAndReplaceTheDefaultOfTheirPath) {
  spec::Device fuse{"/dev/fuse", 'c', 10, 229};
  spec::Device null{"/dev/null", 'c', 1, 99};
  spec::Device fifo{"/dev/pipe", 'p', 0, 0};
  auto p = device_policy(with_rules({rule(false, "a", {}, {}, "rwm")}, {fuse, null, fifo}));
  auto l = lines(p);
  EXPECT_NE(std::find(l.begin(), l.end(), "c 10:229 rwm"), l.end());
  EXPECT_NE(std::find(l.begin(), l.end(), "c 1:99 rwm"), l.end());
  EXPECT_EQ(std::find(l.begin(), l.end(), "c 1:3 rwm"), l.end());
  EXPECT_EQ(l.size(), kDefaults.size() + 1);
}

TEST(DeviceRules, HolesInWildcardsAreRefusedNamingTheRule) {
  auto err = error_of(with_rules({rule(true, "c", 4, {}, "rw"), rule(false, "c", 4, 1, "w")}));
  EXPECT_NE(err.find("linux.resources.devices[1]: denying c 4:1 w"), std::string::npos) << err;
  EXPECT_NE(err.find("allowing c 4:* rw (linux.resources.devices[0])"), std::string::npos) << err;
  // Disjoint rights are fine.
  EXPECT_EQ(error_of(with_rules({rule(true, "c", 4, {}, "r"), rule(false, "c", 4, 1, "w")})), "");
  // In allow-all mode a default allow would punch the hole: the user's deny is named.
  err = error_of(with_rules({rule(true, "a", {}, {}, "rwm"), rule(false, "c", 1, {}, "rwm")}));
  EXPECT_EQ(err.rfind("linux.resources.devices[1]: ", 0), 0u) << err;
  EXPECT_NE(err.find("the default device /dev/null"), std::string::npos) << err;
}

TEST(DeviceRules, TooManyRulesAreRefused) {
  std::vector<spec::DeviceRule> rules;
  for (int i = 0; i < 300; ++i) rules.push_back(rule(true, "c", 200, i, "r"));
  auto err = error_of(with_rules(rules));
  EXPECT_NE(err.find("linux.resources.devices: 310 distinct device rules"), std::string::npos) << err;
  EXPECT_NE(err.find("at most 256"), std::string::npos) << err;
}

TEST(DeviceRules, AccessParsing) {
  EXPECT_EQ(parse_device_access("mwr", "f"), kDevAll);
  EXPECT_EQ(device_access_string(kDevMknod | kDevRead), "rm");
  EXPECT_THROW(parse_device_access("rx", "f"), Error);
  EXPECT_THROW(parse_device_access("", "f"), Error);
}

}  // namespace
}  // namespace capsa::cgroup
