// The policy parser (every section, and the exact location and wording of
// its errors), directory loading, and which policy a container gets.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <seccomp.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "policy/parse.h"
#include "policy/policy_dir.h"
#include "policy/selection.h"

namespace capsa::policy {
namespace {

const char* kFull = R"(apiVersion: capsa.io/v1
kind: Policy
metadata:
  name: web
  labels: {team: sec}
spec:
  mode: audit
  default: true
  selector: {containers: ["web-*", "api-?"]}
  files:
    rules:
      - name: shadow
        paths: [/etc/shadow, /secret/, /]
        access: [read, unlink]
  exec:
    default: deny
    rules:
      - {paths: [/usr/bin/], action: allow}
      - {paths: [/usr/bin/wget], action: kill}
  network:
    default: allow
    rules:
      - direction: egress
        protocol: tcp
        cidrs: [10.0.0.0/8, 127.0.0.1, "fd00::/8", "::1"]
        ports: [80, "443", "8000-8100"]
        action: deny
      - {direction: bind, action: audit}
  sysctls:
    rules:
      - {names: [kernel.hostname, "net.ipv4.*", "net/core/somaxconn"], action: deny}
      - {names: [vm.swappiness], access: [read, write], action: audit}
  devices:
    rules:
      - {type: c, major: 1, minor: "*", access: rm, action: deny}
      - {}
  syscalls:
    rules:
      - {names: [ptrace, bpf], action: kill}
)";

TEST(PolicyParse, FullPolicyRoundTrip) {
  Policy p = parse_policy(kFull, "web.yaml");
  EXPECT_EQ(p.api_version, "capsa.io/v1");
  EXPECT_EQ(p.name, "web");
  EXPECT_EQ(p.source_file, "web.yaml");
  EXPECT_EQ(p.loc.str(), "web.yaml:1:1");
  EXPECT_EQ(p.mode, Mode::Audit);
  EXPECT_TRUE(p.is_default);
  EXPECT_EQ(p.container_globs, (std::vector<std::string>{"web-*", "api-?"}));

  ASSERT_EQ(p.files.size(), 1u);
  const FileRule& f = p.files[0];
  EXPECT_EQ(f.name, "shadow");
  EXPECT_EQ(f.action, Action::Deny);
  EXPECT_EQ(f.loc.str(), "web.yaml:12:9");
  ASSERT_EQ(f.paths.size(), 3u);
  EXPECT_EQ(f.paths[0].path, "/etc/shadow");
  EXPECT_FALSE(f.paths[0].prefix);
  EXPECT_EQ(f.paths[1].path, "/secret");
  EXPECT_TRUE(f.paths[1].prefix);
  EXPECT_EQ(f.paths[2].path, "/");
  EXPECT_TRUE(f.paths[2].prefix);
  EXPECT_EQ(f.access, kFileRead | kFileUnlink);

  EXPECT_EQ(p.exec.default_action, Action::Deny);
  ASSERT_EQ(p.exec.rules.size(), 2u);
  EXPECT_EQ(p.exec.rules[0].action, Action::Allow);
  EXPECT_TRUE(p.exec.rules[0].paths[0].prefix);
  EXPECT_EQ(p.exec.rules[0].paths[0].path, "/usr/bin");
  EXPECT_EQ(p.exec.rules[1].action, Action::Kill);
  EXPECT_EQ(p.exec.rules[1].loc.str(), "web.yaml:19:9");

  EXPECT_EQ(p.network.default_action, Action::Allow);
  ASSERT_EQ(p.network.rules.size(), 2u);
  const NetworkRule& n = p.network.rules[0];
  EXPECT_EQ(n.direction, Direction::Egress);
  EXPECT_EQ(n.protocol, Protocol::Tcp);
  ASSERT_EQ(n.cidrs.size(), 4u);
  EXPECT_FALSE(n.cidrs[0].v6);
  EXPECT_EQ(n.cidrs[0].prefix_len, 8);
  EXPECT_EQ(n.cidrs[0].addr[0], 10);
  EXPECT_EQ(n.cidrs[0].text, "10.0.0.0/8");
  EXPECT_EQ(n.cidrs[1].prefix_len, 32);
  EXPECT_EQ(n.cidrs[1].addr[0], 127);
  EXPECT_EQ(n.cidrs[1].addr[3], 1);
  EXPECT_TRUE(n.cidrs[2].v6);
  EXPECT_EQ(n.cidrs[2].prefix_len, 8);
  EXPECT_EQ(n.cidrs[2].addr[0], 0xfd);
  EXPECT_EQ(n.cidrs[3].prefix_len, 128);
  EXPECT_EQ(n.cidrs[3].addr[15], 1);
  ASSERT_EQ(n.ports.size(), 3u);
  EXPECT_EQ(n.ports[0].lo, 80);
  EXPECT_EQ(n.ports[0].hi, 80);
  EXPECT_EQ(n.ports[1].lo, 443);
  EXPECT_EQ(n.ports[2].lo, 8000);
  EXPECT_EQ(n.ports[2].hi, 8100);
  const NetworkRule& b = p.network.rules[1];
  EXPECT_EQ(b.direction, Direction::Bind);
  EXPECT_EQ(b.protocol, Protocol::Any);
  EXPECT_EQ(b.action, Action::Audit);
  EXPECT_TRUE(b.cidrs.empty());
  EXPECT_TRUE(b.ports.empty());

  ASSERT_EQ(p.sysctls.size(), 2u);
  ASSERT_EQ(p.sysctls[0].names.size(), 3u);
  EXPECT_EQ(p.sysctls[0].names[0].name, "kernel.hostname");
  EXPECT_FALSE(p.sysctls[0].names[0].prefix);
  EXPECT_EQ(p.sysctls[0].names[1].name, "net.ipv4");
  EXPECT_TRUE(p.sysctls[0].names[1].prefix);
  EXPECT_EQ(p.sysctls[0].names[2].name, "net.core.somaxconn");
  EXPECT_EQ(p.sysctls[0].access, kSysctlWrite);
  EXPECT_EQ(p.sysctls[1].access, kSysctlRead | kSysctlWrite);
  EXPECT_EQ(p.sysctls[1].action, Action::Audit);

  ASSERT_EQ(p.devices.size(), 2u);
  EXPECT_EQ(p.devices[0].type, DeviceType::Char);
  EXPECT_EQ(p.devices[0].major, 1u);
  EXPECT_FALSE(p.devices[0].minor);
  EXPECT_EQ(p.devices[0].access, kDevRead | kDevMknod);
  EXPECT_EQ(p.devices[1].type, DeviceType::All);  // every default
  EXPECT_FALSE(p.devices[1].major);
  EXPECT_EQ(p.devices[1].access, kDevRead | kDevWrite | kDevMknod);
  EXPECT_EQ(p.devices[1].action, Action::Deny);

  ASSERT_EQ(p.syscalls.size(), 1u);
  EXPECT_EQ(p.syscalls[0].action, Action::Kill);
  EXPECT_EQ(p.syscalls[0].names, (std::vector<std::string>{"ptrace", "bpf"}));
  EXPECT_EQ(p.syscalls[0].numbers,
            (std::vector<int>{seccomp_syscall_resolve_name("ptrace"), seccomp_syscall_resolve_name("bpf")}));
  EXPECT_GT(p.syscalls[0].numbers[0], 0);
}

TEST(PolicyParse, MinimalPolicyGetsDefaults) {
  Policy p = parse_policy("apiVersion: capsa.io/v1\nkind: Policy\nmetadata: {name: a.b-c}\nspec: {}\n", "m.yaml");
  EXPECT_EQ(p.name, "a.b-c");
  EXPECT_EQ(p.mode, Mode::Enforce);
  EXPECT_FALSE(p.is_default);
  EXPECT_EQ(p.exec.default_action, Action::Allow);
  EXPECT_EQ(p.network.default_action, Action::Allow);
  EXPECT_TRUE(p.files.empty() && p.exec.rules.empty() && p.syscalls.empty());
}

TEST(PolicyModel, Names) {
  EXPECT_STREQ(to_string(Action::Allow), "allow");
  EXPECT_STREQ(to_string(Action::Kill), "kill");
  EXPECT_STREQ(to_string(Mode::Audit), "audit");
  EXPECT_EQ((SourceLoc{"f", 3, 7}.str()), "f:3:7");
}

// The header every bad-input case shares; the body starts on line 5.
std::string with_spec(const std::string& spec_body) {
  return "apiVersion: capsa.io/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n" + spec_body;
}

struct BadCase {
  const char* label;
  std::string yaml;
  const char* prefix;  // "origin:line:col: "
  const char* phrase;
};

std::string error_of(const std::string& yaml) {
  try {
    parse_policy(yaml, "p.yaml");
    return "";
  } catch (const PolicyError& e) {
    return e.what();
  }
}

TEST(PolicyParse, BadInputsReportExactLocation) {
  const std::vector<BadCase> cases = {
      {"unknown field",
       with_spec("  network:\n    rules:\n      - {cidrs: [10.0.0.0/8]}\n      - {ports: [80], foo: 1}\n"),
       "p.yaml:8:23: ",
       "unknown field \"foo\" in spec.network.rules[1] (expected one of: action, cidrs, direction, name, ports, "
       "protocol)"},
      {"wrong type", with_spec("  exec:\n    rules:\n      - paths: {a: b}\n"), "p.yaml:7:16: ",
       "spec.exec.rules[0].paths: expected a sequence of strings, got a mapping"},
      {"host bits", with_spec("  network: {rules: [{cidrs: [10.0.0.1/8]}]}\n"), "p.yaml:5:30: ",
       "10.0.0.1/8: host bits set (did you mean 10.0.0.0/8?)"},
      {"host bits v6", with_spec("  network: {rules: [{cidrs: [\"fd00::1/64\"]}]}\n"), "p.yaml:5:30: ",
       "did you mean fd00::/64?"},
      {"bad prefix", with_spec("  network: {rules: [{cidrs: [10.0.0.0/33]}]}\n"), "p.yaml:5:30: ",
       "prefix length must be 0..32"},
      {"garbage cidr", with_spec("  network: {rules: [{cidrs: [10.0.0/8]}]}\n"), "p.yaml:5:30: ",
       "is not an IPv4 or IPv6 address"},
      {"port range reversed", with_spec("  network: {rules: [{ports: [\"9000-8000\"]}]}\n"), "p.yaml:5:30: ",
       "low end above high end"},
      {"port too big", with_spec("  network: {rules: [{ports: [80, 70000]}]}\n"), "p.yaml:5:34: ",
       "out of range (0..65535)"},
      {"unknown syscall", with_spec("  syscalls:\n    rules:\n      - names: [ptrace, fooo]\n"), "p.yaml:7:25: ",
       "spec.syscalls.rules[0].names[1]: unknown syscall \"fooo\" (not in this architecture's syscall table)"},
      {"bad action", with_spec("  files: {rules: [{paths: [/a], access: [read], action: nuke}]}\n"), "p.yaml:5:57: ",
       "\"nuke\" is not one of: audit, deny, kill"},
      {"allow in files", with_spec("  files: {rules: [{paths: [/a], access: [read], action: allow}]}\n"),
       "p.yaml:5:57: ", "\"allow\" is only valid in exec and network rules"},
      {"dotdot path", with_spec("  files: {rules: [{paths: [/etc/../shadow], access: [read]}]}\n"), "p.yaml:5:28: ",
       "has a \"..\" component"},
      {"double slash", with_spec("  exec: {rules: [{paths: [/usr//bin]}]}\n"), "p.yaml:5:27: ", "contains \"//\""},
      {"relative path", with_spec("  exec: {rules: [{paths: [bin/sh]}]}\n"), "p.yaml:5:27: ", "not an absolute path"},
      {"missing access", with_spec("  files:\n    rules:\n      - paths: [/a]\n"), "p.yaml:7:9: ",
       "spec.files.rules[0]: required field \"access\" missing"},
      {"bad landlock", with_spec("  files:\n    landlock: yes-please\n    rules: []\n"), "p.yaml:6:15: ",
       "spec.files.landlock: expected true or false, got the string \"yes-please\""},
      {"landlock as a list", with_spec("  files: {landlock: [true]}\n"), "p.yaml:5:21: ",
       "spec.files.landlock: expected true or false, got a sequence"},
      {"unknown files field", with_spec("  files: {landlok: true}\n"), "p.yaml:5:11: ",
       "unknown field \"landlok\" in spec.files (expected one of: landlock, rules)"},
      {"duplicate access", with_spec("  files: {rules: [{paths: [/a], access: [read, read]}]}\n"), "p.yaml:5:48: ",
       "duplicate access \"read\""},
      {"bad apiVersion", "apiVersion: capsa.io/v2\nkind: Policy\nmetadata: {name: p}\nspec: {}\n", "p.yaml:1:13: ",
       "unsupported apiVersion \"capsa.io/v2\""},
      {"bad kind", "apiVersion: capsa.io/v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n", "p.yaml:2:7: ",
       "unsupported kind"},
      {"missing spec", "apiVersion: capsa.io/v1\nkind: Policy\nmetadata: {name: p}\n", "p.yaml:1:1: ",
       "required field \"spec\" missing"},
      {"bad name", "apiVersion: capsa.io/v1\nkind: Policy\nmetadata: {name: Web_1}\nspec: {}\n", "p.yaml:3:18: ",
       "not a valid policy name"},
      {"duplicate key", with_spec("  mode: audit\n  mode: enforce\n"), "p.yaml:6:3: ",
       "duplicate key \"mode\" in spec"},
      {"bad mode", with_spec("  mode: strict\n"), "p.yaml:5:9: ", "\"strict\" is not one of: enforce, audit"},
      {"bad bool", with_spec("  default: maybe\n"), "p.yaml:5:12: ", "expected true or false"},
      {"bad sysctl", with_spec("  sysctls: {rules: [{names: [\"net..ipv4\"]}]}\n"), "p.yaml:5:30: ",
       "is not a sysctl name"},
      {"bad device access", with_spec("  devices: {rules: [{access: rwx}]}\n"), "p.yaml:5:30: ",
       "access letters are r, w and m"},
      {"bad device major", with_spec("  devices: {rules: [{major: -1}]}\n"), "p.yaml:5:29: ",
       "expected a device number or \"*\""},
      {"device minor past dev_t", with_spec("  devices: {rules: [{major: 1, minor: 4294967295}]}\n"), "p.yaml:5:39: ",
       "device number 4294967295 out of range (0..1048575)"},
      {"device major past dev_t", with_spec("  devices: {rules: [{major: 5000}]}\n"), "p.yaml:5:29: ",
       "device number 5000 out of range (0..4095)"},
      {"empty cidrs", with_spec("  network: {rules: [{cidrs: []}]}\n"), "p.yaml:5:29: ", "must list at least one entry"},
      {"empty ports", with_spec("  network: {rules: [{ports: []}]}\n"), "p.yaml:5:29: ",
       "must list at least one port or range"},
      {"glob path", with_spec("  exec: {rules: [{paths: [/etc/*.key]}]}\n"), "p.yaml:5:27: ", "paths take no wildcards"},
      {"long path component", with_spec("  exec: {rules: [{paths: [/" + std::string(256, 'a') + "]}]}\n"), "p.yaml:5:27: ",
       "component of 256 bytes, longer than the kernel's 255"},
      {"alias", with_spec("  exec:\n    rules:\n      - &r {paths: [/bin/sh]}\n  syscalls:\n    rules:\n      - *r\n"),
       "p.yaml:10:9: ", "YAML aliases (*name) are not taken in policy files"},
      {"sysctl dot component", with_spec("  sysctls: {rules: [{names: [kernel/./hostname]}]}\n"), "p.yaml:5:30: ",
       "is not a sysctl name"},
      {"sysctl dotdot component", with_spec("  sysctls: {rules: [{names: [net.ipv4.conf.//.rp_filter]}]}\n"),
       "p.yaml:5:30: ", "is not a sysctl name"},
      {"bad rule name", with_spec("  syscalls: {rules: [{name: \"a b\", names: [bpf]}]}\n"), "p.yaml:5:29: ",
       "rule name \"a b\""},
      {"null value points at key", with_spec("  exec:\n"), "p.yaml:5:3: ", "spec.exec: expected a mapping, got null"},
      {"yaml syntax", with_spec("  exec: {rules: [\n"), "p.yaml:", "end of"},
      {"two documents", with_spec("  {}\n---\nfoo: 1\n"), "p.yaml:7:1: ", "second YAML document"},
      {"empty file", "", "p.yaml:1:1: ", "empty policy file"},
      {"not a mapping", "- a\n", "p.yaml:1:1: ", "document: expected a mapping, got a sequence"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    std::string err = error_of(c.yaml);
    ASSERT_FALSE(err.empty()) << "parsed but should not:\n" << c.yaml;
    EXPECT_EQ(err.rfind(c.prefix, 0), 0u) << err;
    EXPECT_NE(err.find(c.phrase), std::string::npos) << err;
  }
}

TEST(PolicyParse, FilesLandlockIsOptIn) {
  EXPECT_FALSE(parse_policy(kFull, "web.yaml").files_landlock);
  Policy p = parse_policy("apiVersion: capsa.io/v1\nkind: Policy\nmetadata: {name: l}\nspec:\n  files:\n"
                          "    landlock: true\n    rules: [{paths: [/secret/], access: [read]}]\n",
                          "l.yaml");
  EXPECT_TRUE(p.files_landlock);
  ASSERT_EQ(p.files.size(), 1u);
  EXPECT_FALSE(parse_policy("apiVersion: capsa.io/v1\nkind: Policy\nmetadata: {name: l}\nspec:\n  files:\n"
                            "    landlock: false\n",
                            "l.yaml")
                   .files_landlock);
}

TEST(PolicyParse, SyntaxErrorKeepsYamlCppPosition) {
  try {
    parse_policy("a: [1\n", "s.yaml");
    FAIL() << "parsed";
  } catch (const PolicyError& e) {
    EXPECT_EQ(e.loc().str(), "s.yaml:2:1");
    EXPECT_EQ(std::string(e.what()), "s.yaml:2:1: end of sequence flow not found");
  }
}

TEST(PolicyParse, LoadPolicyFileNamesUnreadableFile) {
  try {
    load_policy_file("/nonexistent/capsa-policy.yaml");
    FAIL() << "loaded";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("/nonexistent/capsa-policy.yaml"), std::string::npos) << m;
    EXPECT_NE(m.find("No such file"), std::string::npos) << m;
  }
}

// ---- directories ----

class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/capsa-policy-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path_ + "/" + name) << text; }

private:
  std::string path_;
};

std::string policy_yaml(const std::string& name, bool is_default = false) {
  return "apiVersion: capsa.io/v1\nkind: Policy\nmetadata: {name: " + name + "}\nspec: {default: " +
         (is_default ? "true" : "false") + "}\n";
}

std::vector<std::string> names_of(const std::vector<Policy>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(p.name);
  return out;
}

TEST(PolicyDir, LoadsSortedAndSkipsOtherFiles) {
  TempDir d;
  d.write("b.yml", policy_yaml("bee"));
  d.write("a.yaml", policy_yaml("ay"));
  d.write(".hidden.yaml", policy_yaml("hidden"));
  d.write("notes.txt", "not yaml: [");
  std::filesystem::create_directory(d.path() + "/dir.yaml");
  PolicyDirLoad l = load_policy_dir(d.path());
  EXPECT_TRUE(l.errors.empty());
  EXPECT_EQ(names_of(l.policies), (std::vector<std::string>{"ay", "bee"}));
  EXPECT_EQ(l.policies[0].source_file, d.path() + "/a.yaml");
}

TEST(PolicyDir, BadFileDoesNotStopOthers) {
  TempDir d;
  d.write("1.yaml", policy_yaml("one"));
  d.write("2.yaml", with_spec("  bogus: 1\n"));
  d.write("3.yaml", policy_yaml("three"));
  PolicyDirLoad l = load_policy_dir(d.path());
  EXPECT_EQ(names_of(l.policies), (std::vector<std::string>{"one", "three"}));
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_EQ(l.errors[0].file, d.path() + "/2.yaml");
  EXPECT_EQ(l.errors[0].message.rfind(d.path() + "/2.yaml:5:3: unknown field \"bogus\"", 0), 0u) << l.errors[0].message;
}

TEST(PolicyDir, DuplicateNameRejectsLaterFile) {
  TempDir d;
  d.write("a.yaml", policy_yaml("web"));
  d.write("b.yaml", policy_yaml("web"));
  PolicyDirLoad l = load_policy_dir(d.path());
  EXPECT_EQ(names_of(l.policies), (std::vector<std::string>{"web"}));
  EXPECT_EQ(l.policies[0].source_file, d.path() + "/a.yaml");
  ASSERT_EQ(l.errors.size(), 1u);
  const std::string& m = l.errors[0].message;
  EXPECT_EQ(m.rfind(d.path() + "/b.yaml:1:1: ", 0), 0u) << m;
  EXPECT_NE(m.find("already defined in " + d.path() + "/a.yaml"), std::string::npos) << m;
}

TEST(PolicyDir, SecondDefaultRejected) {
  TempDir d;
  d.write("a.yaml", policy_yaml("first", true));
  d.write("b.yaml", policy_yaml("second", true));
  d.write("c.yaml", policy_yaml("third", false));
  PolicyDirLoad l = load_policy_dir(d.path());
  EXPECT_EQ(names_of(l.policies), (std::vector<std::string>{"first", "third"}));
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_NE(l.errors[0].message.find("default: true"), std::string::npos) << l.errors[0].message;
  EXPECT_NE(l.errors[0].message.find("\"first\""), std::string::npos) << l.errors[0].message;
}

// A file that now fails keeps its version in force (capsad's reload): the
// name and default that version holds are not free for another file.
TEST(PolicyDir, AVersionInForceKeepsItsNameAndDefaultWhileItsFileIsBroken) {
  TempDir d;
  d.write("b.yaml", policy_yaml("web", true));
  Policy old = load_policy_file(d.path() + "/b.yaml");
  d.write("b.yaml", with_spec("  bogus: 1\n"));
  d.write("a.yaml", policy_yaml("web"));
  d.write("c.yaml", policy_yaml("other", true));
  PolicyDirLoad l = load_policy_dir(d.path(), {{d.path() + "/b.yaml", &old}});
  EXPECT_TRUE(l.policies.empty()) << names_of(l.policies).size();
  ASSERT_EQ(l.errors.size(), 3u);
  EXPECT_EQ(l.errors[0].file, d.path() + "/a.yaml");
  EXPECT_NE(l.errors[0].message.find("already defined in " + d.path() + "/b.yaml (its version in force)"),
            std::string::npos)
      << l.errors[0].message;
  EXPECT_EQ(l.errors[1].file, d.path() + "/b.yaml");
  EXPECT_EQ(l.errors[2].file, d.path() + "/c.yaml");
  EXPECT_NE(l.errors[2].message.find("\"web\" in " + d.path() + "/b.yaml (its version in force) already is the default"),
            std::string::npos)
      << l.errors[2].message;
  // Without a version in force the name is free.
  EXPECT_EQ(names_of(load_policy_dir(d.path()).policies), (std::vector<std::string>{"web", "other"}));
}

// A name given up by a file's new version is free in the same load.
TEST(PolicyDir, ANameGivenUpIsFreeForANewFile) {
  TempDir d;
  d.write("b.yaml", policy_yaml("web"));
  Policy old = load_policy_file(d.path() + "/b.yaml");
  d.write("b.yaml", policy_yaml("web-v2"));
  d.write("a.yaml", policy_yaml("web"));
  PolicyDirLoad l = load_policy_dir(d.path(), {{d.path() + "/b.yaml", &old}});
  EXPECT_TRUE(l.errors.empty()) << l.errors[0].message;
  EXPECT_EQ(names_of(l.policies), (std::vector<std::string>{"web", "web-v2"}));
}

// A new version that parses but fails the caller's check (capsad compiles)
// is rejected like a parse error: its version in force keeps its claims.
TEST(PolicyDir, ANewVersionFailingTheCheckKeepsItsClaims) {
  TempDir d;
  d.write("a.yaml", policy_yaml("first", true));
  Policy old = load_policy_file(d.path() + "/a.yaml");
  d.write("a.yaml", policy_yaml("first-v2"));
  d.write("b.yaml", policy_yaml("second", true));
  auto check = [](const Policy& p) {
    if (p.name == "first-v2") throw PolicyError(p.loc, "too big for the kernel side");
  };
  PolicyDirLoad l = load_policy_dir(d.path(), {{d.path() + "/a.yaml", &old}}, check);
  EXPECT_TRUE(l.policies.empty()) << names_of(l.policies).size();
  ASSERT_EQ(l.errors.size(), 2u);
  EXPECT_NE(l.errors[0].message.find("too big for the kernel side"), std::string::npos) << l.errors[0].message;
  EXPECT_NE(l.errors[1].message.find("(its version in force) already is the default"), std::string::npos)
      << l.errors[1].message;
}

// Names move between files in one load whatever order the files sort in.
TEST(PolicyDir, NamesMoveBetweenFilesInOneLoad) {
  TempDir d;
  d.write("a.yaml", policy_yaml("alpha"));
  d.write("b.yaml", policy_yaml("beta"));
  Policy a = load_policy_file(d.path() + "/a.yaml"), b = load_policy_file(d.path() + "/b.yaml");
  d.write("a.yaml", policy_yaml("beta"));
  d.write("b.yaml", policy_yaml("gamma"));
  PolicyDirLoad l = load_policy_dir(d.path(), {{d.path() + "/a.yaml", &a}, {d.path() + "/b.yaml", &b}});
  EXPECT_TRUE(l.errors.empty()) << l.errors[0].message;
  EXPECT_EQ(names_of(l.policies), (std::vector<std::string>{"beta", "gamma"}));
}

TEST(PolicyDir, MissingDirThrows) {
  try {
    load_policy_dir("/nonexistent/capsa-policies");
    FAIL() << "loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/capsa-policies"), std::string::npos) << e.what();
  }
}

// ---- selection ----

Policy named(const std::string& name, std::vector<std::string> globs, bool is_default = false) {
  Policy p;
  p.name = name;
  p.container_globs = std::move(globs);
  p.is_default = is_default;
  return p;
}

TEST(PolicySelection, Precedence) {
  std::vector<Policy> ps = {named("fallback", {}, true), named("web", {"web-*"}), named("web2", {"web-1*"}),
                            named("db", {"db-?"})};
  std::map<std::string, std::string> none;

  // The annotation beats a matching glob.
  Selection s = explain_selection(ps, "web-1", {{kPolicyAnnotation, "db"}});
  ASSERT_NE(s.policy, nullptr);
  EXPECT_EQ(s.policy->name, "db");
  EXPECT_EQ(s.reason, "annotation io.capsa.policy=db");

  // First matching glob in vector order wins.
  s = explain_selection(ps, "web-1", none);
  EXPECT_EQ(s.policy->name, "web");
  EXPECT_EQ(s.reason, "selector glob \"web-*\"");
  EXPECT_EQ(select_policy(ps, "db-7", none)->name, "db");

  // An annotation naming no loaded policy falls through, visibly.
  s = explain_selection(ps, "db-12", {{kPolicyAnnotation, "nope"}});
  EXPECT_EQ(s.policy->name, "fallback");
  EXPECT_NE(s.reason.find("default"), std::string::npos);
  EXPECT_NE(s.reason.find("nope"), std::string::npos);

  ps.erase(ps.begin());
  s = explain_selection(ps, "other", none);
  EXPECT_EQ(s.policy, nullptr);
  EXPECT_EQ(s.reason, "none");
  EXPECT_EQ(select_policy({}, "x", none), nullptr);
}

}  // namespace
}  // namespace capsa::policy
