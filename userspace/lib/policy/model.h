// The policy language as parsed from YAML: what a security team writes.
// Compiled into BPF map entries by policy/compiler.h; nothing here touches
// the kernel.
//
//   apiVersion: capsa.io/v1
//   kind: Policy
//   metadata: {name: web}
//   spec:
//     mode: enforce                       # enforce | audit (audit: every hit only reported)
//     default: false                      # the policy of containers nothing else selects
//     selector: {containers: ["web-*"]}   # id globs; annotation io.capsa.policy=<name> wins
//     exec:     {default: allow, rules: [{paths: [/usr/bin/wget], action: kill}]}
//     network:  {default: allow, rules: [{direction: egress, cidrs: [127.0.0.1/32],
//                                         ports: ["8000-8100"], protocol: tcp, action: deny}]}
//     sysctls:  {rules: [{names: [kernel.hostname, "net.ipv4.*"], access: [write], action: deny}]}
//     devices:  {rules: [{type: c, major: 1, minor: "*", access: rwm, action: deny}]}
//     syscalls: {rules: [{names: [ptrace], action: kill}]}
//     files:    {landlock: false,                 # also refuse deny/kill rules with a Landlock ruleset
//                rules: [{paths: [/etc/shadow, /secret/], access: [read], action: deny}]}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace capsa::policy {

// Ordered by severity: a stronger action never loses to a weaker one.
enum class Action : uint8_t { Allow = 0, Audit = 1, Deny = 2, Kill = 3 };
const char* to_string(Action a);

enum class Mode : uint8_t { Enforce, Audit };
const char* to_string(Mode m);

// Where a node was written: 1-based line and column in `file`.
struct SourceLoc {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;  // "file:line:column"
};

// What every rule has: an optional name (for metrics and events; else the
// rule is called "<kind>[<index>]"), the action on a hit, where it was written.
struct RuleBase {
  std::string name;
  Action action = Action::Deny;
  SourceLoc loc;
};

enum FileAccess : uint8_t {
  kFileRead = 1 << 0,
  kFileWrite = 1 << 1,
  kFileExec = 1 << 2,
  kFileCreate = 1 << 3,
  kFileUnlink = 1 << 4,
};

// A path ending in "/" is a prefix (the directory and all below it);
// otherwise the path names exactly one file. Paths are absolute, inside the
// container's root, normalised (no "." / ".." / "//").
struct PathPattern {
  std::string path;  // without the trailing "/" of a prefix ("/" itself stays "/")
  bool prefix = false;
  bool operator==(const PathPattern&) const = default;
};

struct FileRule : RuleBase {
  std::vector<PathPattern> paths;
  uint8_t access = 0;  // FileAccess bits, at least one
};

struct ExecRule : RuleBase {
  std::vector<PathPattern> paths;
};

struct ExecSection {
  Action default_action = Action::Allow;
  std::vector<ExecRule> rules;
};

enum class Direction : uint8_t { Egress, Bind };
enum class Protocol : uint8_t { Any, Tcp, Udp };

struct Cidr {
  bool v6 = false;
  uint8_t addr[16] = {};  // v4 in the first 4 bytes, network byte order, host bits zero
  uint8_t prefix_len = 0;  // 0..32 for v4, 0..128 for v6
  std::string text;        // as written
};

struct PortRange {
  uint16_t lo = 0, hi = 65535;
};

struct NetworkRule : RuleBase {
  Direction direction = Direction::Egress;
  Protocol protocol = Protocol::Any;
  std::vector<Cidr> cidrs;        // empty: every address (0.0.0.0/0 and ::/0)
  std::vector<PortRange> ports;   // empty: every port
};

struct NetworkSection {
  Action default_action = Action::Allow;
  std::vector<NetworkRule> rules;
};

enum SysctlAccess : uint8_t { kSysctlRead = 1 << 0, kSysctlWrite = 1 << 1 };

// "kernel.hostname" is exact; "net.ipv4.*" is every sysctl below net.ipv4.
// The dotted form policies use ("net.ipv4.conf.eth0/100.rp_filter") and the
// kernel's ("net/ipv4/conf/eth0.100/rp_filter") turn into each other by
// swapping '.' and '/'.
std::string swap_sysctl_separators(std::string name);

struct SysctlPattern {
  std::string name;  // dotted (a dot within a component written "/"), without the ".*"
  bool prefix = false;
};

struct SysctlRule : RuleBase {
  std::vector<SysctlPattern> names;
  uint8_t access = kSysctlWrite;  // SysctlAccess bits
};

enum DeviceAccess : uint8_t { kDevMknod = 1 << 0, kDevRead = 1 << 1, kDevWrite = 1 << 2 };
enum class DeviceType : uint8_t { All, Char, Block };

struct DeviceRule : RuleBase {
  DeviceType type = DeviceType::All;
  std::optional<uint32_t> major;  // nullopt: "*"
  std::optional<uint32_t> minor;
  uint8_t access = kDevMknod | kDevRead | kDevWrite;  // from "rwm"
};

struct SyscallRule : RuleBase {
  std::vector<std::string> names;  // validated against this architecture's table
  std::vector<int> numbers;        // same order as names
};

struct Policy {
  std::string api_version;  // "capsa.io/v1"
  std::string name;         // metadata.name: [a-z0-9]([-a-z0-9.]*[a-z0-9])?, at most 63
  SourceLoc loc;            // of the document
  std::string source_file;
  Mode mode = Mode::Enforce;
  bool is_default = false;
  std::vector<std::string> container_globs;  // fnmatch(3) patterns on the container id
  std::vector<FileRule> files;
  // spec.files.landlock: the runtime also installs a Landlock ruleset for the
  // deny and kill file rules (enforce mode only) in each process it starts
  // (see policy/landlock_rules.h).
  bool files_landlock = false;
  ExecSection exec;
  NetworkSection network;
  std::vector<SysctlRule> sysctls;
  std::vector<DeviceRule> devices;
  std::vector<SyscallRule> syscalls;
};

// The OCI annotation that names the policy of a container.
inline constexpr const char* kPolicyAnnotation = "io.capsa.policy";

}  // namespace capsa::policy
