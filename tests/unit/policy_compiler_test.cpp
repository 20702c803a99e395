// The policy compiler: rule ids and names, and the exact BPF map entries it
// produces for every section, checked both field by field and through small
// reference matchers that look entries up the way bpf/policy.bpf.c does
// (longest-prefix match, strongest action over what matched, the section
// default only when nothing matched). resolve_exec() is checked against a
// fake container root in a temporary directory.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "policy/compiler.h"
#include "policy/parse.h"

namespace capsa::policy {
namespace {

constexpr uint8_t kTcp = IPPROTO_TCP, kUdp = IPPROTO_UDP;
constexpr uint8_t kAllow = CAPSA_ACT_ALLOW, kAudit = CAPSA_ACT_AUDIT, kDeny = CAPSA_ACT_DENY, kKill = CAPSA_ACT_KILL;

// Line 5 of the YAML text is the first line of `spec_body`.
Policy parse(const std::string& spec_body) {
  return parse_policy("apiVersion: capsa.io/v1\nkind: Policy\nmetadata: {name: t}\nspec:\n" + spec_body, "t.yaml");
}

CompiledPolicy compile(const std::string& spec_body, uint32_t id = 7) { return compile_policy(parse(spec_body), id); }

// The PolicyError compile_policy throws, or "" when it does not.
std::string compile_error(const std::string& spec_body) {
  Policy p = parse(spec_body);
  try {
    compile_policy(p, 1);
  } catch (const PolicyError& e) {
    return e.what();
  }
  return "";
}

capsa_verdict V(uint8_t action, uint32_t rule_id) {
  capsa_verdict v{};
  v.action = action;
  v.rule_id = rule_id;
  return v;
}

bool same(const capsa_verdict& a, const capsa_verdict& b) {
  return a.action == b.action && a.rule_id == b.rule_id && a.pad[0] == 0 && a.pad[1] == 0 && a.pad[2] == 0;
}

std::string show(const capsa_verdict& v) {
  return "{action " + std::to_string(v.action) + ", rule " + std::to_string(v.rule_id) + "}";
}

#define EXPECT_VERDICT(actual, expected) EXPECT_TRUE(same(actual, expected)) << show(actual) << " != " << show(expected)

// ---------------------------------------------------------------- network

// The 16 address bytes the kernel puts in the key: IPv4 mapped ::ffff:a.b.c.d.
std::array<uint8_t, 16> key_addr(const std::string& text) {
  std::array<uint8_t, 16> a{};
  if (text.find(':') != std::string::npos) {
    EXPECT_EQ(::inet_pton(AF_INET6, text.c_str(), a.data()), 1) << text;
  } else {
    a[10] = a[11] = 0xff;
    EXPECT_EQ(::inet_pton(AF_INET, text.c_str(), a.data() + 12), 1) << text;
  }
  return a;
}

bool prefix_match(const uint8_t* entry, const uint8_t* addr, int bits) {
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((entry[i] & mask) != (addr[i] & mask)) return false;
  }
  return true;
}

// The entry with exactly this key, or nullptr. `len` is the address prefix
// as written (IPv4 /8 is 8 here), `addr` as written.
const capsa_net_value* net_entry(const CompiledPolicy& c, uint8_t dir, uint8_t proto, const std::string& addr,
                                 int len) {
  bool v6 = addr.find(':') != std::string::npos;
  uint32_t prefixlen = 64 + (v6 || addr.empty() ? 0 : 96) + len;
  std::array<uint8_t, 16> a{};
  if (!addr.empty()) a = key_addr(addr);
  for (const auto& [k, v] : c.net)
    if (k.policy_id == c.id && k.direction == dir && k.protocol == proto && k.prefixlen == prefixlen &&
        std::memcmp(k.addr, a.data(), 16) == 0)
      return &v;
  return nullptr;
}

// What the kernel decides (net_decide): one longest-prefix lookup, the
// strongest range covering the port, the direction's default otherwise.
capsa_verdict net_lookup(const CompiledPolicy& c, uint8_t dir, uint8_t proto, const std::string& addr, uint16_t port) {
  auto a = key_addr(addr);
  const capsa_net_value* best = nullptr;
  uint32_t best_len = 0;
  for (const auto& [k, v] : c.net) {
    if (k.policy_id != c.id || k.direction != dir || k.protocol != proto || k.pad != 0) continue;
    if (!prefix_match(k.addr, a.data(), static_cast<int>(k.prefixlen) - 64)) continue;
    if (!best || k.prefixlen > best_len) best = &v, best_len = k.prefixlen;
  }
  capsa_verdict out{};
  bool found = false;
  if (best) {
    for (uint32_t i = 0; i < best->nranges && i < CAPSA_NET_MAX_RANGES; ++i) {
      const auto& r = best->ranges[i];
      if (port < r.lo || port > r.hi) continue;
      if (!found || r.verdict.action > out.action) out = r.verdict;
      found = true;
    }
  }
  if (!found) out = dir == CAPSA_NET_BIND ? c.defaults.net_bind : c.defaults.net_egress;
  return out;
}

// Every LPM key must be unique (a duplicate would overwrite) and its address
// bits past the prefix zero (the kernel rejects nothing, but a stray bit
// changes what the entry matches).
void expect_well_formed_net(const CompiledPolicy& c) {
  std::set<std::tuple<uint32_t, uint8_t, uint8_t, std::string>> keys;
  for (const auto& [k, v] : c.net) {
    EXPECT_EQ(k.policy_id, c.id);
    EXPECT_EQ(k.pad, 0);
    EXPECT_GE(k.prefixlen, 64u);
    EXPECT_LE(k.prefixlen, 64u + 128u);
    EXPECT_TRUE(k.protocol == kTcp || k.protocol == kUdp || k.protocol == CAPSA_NET_PROTO_OTHER);
    EXPECT_TRUE(k.direction == CAPSA_NET_EGRESS || k.direction == CAPSA_NET_BIND);
    uint8_t zero[16] = {};
    std::array<uint8_t, 16> masked{};
    std::memcpy(masked.data(), k.addr, 16);
    int bits = static_cast<int>(k.prefixlen) - 64;
    for (int i = 0; i < 16; ++i) {
      int keep = std::clamp(bits - 8 * i, 0, 8);
      masked[i] &= keep == 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
    }
    EXPECT_EQ(std::memcmp(masked.data(), k.addr, 16), 0) << "host bits set in an LPM key";
    (void)zero;
    EXPECT_TRUE(keys.insert({k.prefixlen, k.direction, k.protocol, std::string(k.addr, k.addr + 16)}).second)
        << "duplicate LPM key";
    // No ranges: only the mapped IPv4 space beneath an IPv6-only CIDR,
    // where the default decides.
    if (v.nranges == 0) {
      EXPECT_EQ(k.prefixlen, 64u + 96u) << "an LPM entry without ranges";
    }
    EXPECT_LE(v.nranges, static_cast<uint32_t>(CAPSA_NET_MAX_RANGES));
    EXPECT_EQ(v.pad, 0u);
  }
}

bool has_range(const capsa_net_value& v, uint16_t lo, uint16_t hi, capsa_verdict verdict) {
  for (uint32_t i = 0; i < v.nranges; ++i)
    if (v.ranges[i].lo == lo && v.ranges[i].hi == hi && same(v.ranges[i].verdict, verdict)) return true;
  return false;
}

// ---------------------------------------------------------------- sysctls

// The name as the kernel hands it to the program: '/'-separated, truncated
// to 63 bytes, NUL-padded to the key size.
std::string sysctl_key_name(const std::string& slashed) {
  std::string n = slashed.substr(0, CAPSA_POLICY_SYSCTL_LEN - 1);
  n.resize(CAPSA_POLICY_SYSCTL_LEN, '\0');
  return n;
}

const capsa_sysctl_value* sysctl_lookup(const CompiledPolicy& c, const std::string& slashed) {
  std::string q = sysctl_key_name(slashed);
  const capsa_sysctl_value* best = nullptr;
  uint32_t best_len = 0;
  for (const auto& [k, v] : c.sysctl) {
    if (k.policy_id != c.id) continue;
    size_t bytes = (k.prefixlen - 32) / 8;
    if (std::memcmp(k.name, q.data(), bytes) != 0) continue;
    if (!best || k.prefixlen > best_len) best = &v, best_len = k.prefixlen;
  }
  return best;
}

const capsa_sysctl_value* sysctl_entry(const CompiledPolicy& c, const std::string& key_bytes) {
  for (const auto& [k, v] : c.sysctl)
    if (k.prefixlen == 32 + 8 * key_bytes.size() && std::memcmp(k.name, key_bytes.data(), key_bytes.size()) == 0)
      return &v;
  return nullptr;
}

// ---------------------------------------------------------------- rule ids

TEST(PolicyCompiler, RuleIdsAreSequentialAcrossSectionsInFixedOrder) {
  auto c = compile(R"(  mode: audit
  syscalls:
    rules:
      - {names: [getpid], action: audit}
  devices:
    rules:
      - {name: nulldev, type: c, major: 1, minor: 3}
  sysctls:
    rules:
      - {names: [kernel.hostname]}
  network:
    default: deny
    rules:
      - {cidrs: [10.0.0.0/8], action: allow}
      - {name: web, ports: [80], action: audit}
  exec:
    default: audit
    rules:
      - {name: wget, paths: [/usr/bin/wget], action: kill}
      - {paths: [/usr/bin/], action: allow}
  files:
    rules:
      - {name: shadow, paths: [/etc/shadow], access: [read]}
      - {paths: [/secret/], access: [write], action: audit}
)",
                   42);
  EXPECT_EQ(c.id, 42u);
  EXPECT_EQ(c.name, "t");
  EXPECT_EQ(c.mode, Mode::Audit);

  struct Want {
    uint32_t id;
    const char* kind;
    const char* name;
    Action action;
  };
  const Want want[] = {
      {1, "files", "shadow", Action::Deny},
      {2, "files", "files[1]", Action::Audit},
      {3, "exec", "wget", Action::Kill},
      {4, "exec", "exec[1]", Action::Allow},
      {5, "network", "network[0]", Action::Allow},
      {6, "network", "web", Action::Audit},
      {7, "sysctls", "sysctls[0]", Action::Deny},
      {8, "devices", "nulldev", Action::Deny},
      {9, "syscalls", "syscalls[0]", Action::Audit},
      {CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_EXEC, "exec", "exec.default", Action::Audit},
      {CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_NETWORK, "network", "network.default", Action::Deny},
  };
  ASSERT_EQ(c.rules.size(), std::size(want));
  for (const auto& w : want) {
    auto it = c.rules.find(w.id);
    ASSERT_NE(it, c.rules.end()) << "rule id " << w.id;
    EXPECT_EQ(it->second.kind, w.kind) << w.id;
    EXPECT_EQ(it->second.name, w.name) << w.id;
    EXPECT_EQ(it->second.action, w.action) << w.id;
  }

  EXPECT_VERDICT(c.defaults.exec, V(kAudit, CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_EXEC));
  EXPECT_VERDICT(c.defaults.net_egress, V(kDeny, CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_NETWORK));
  EXPECT_VERDICT(c.defaults.net_bind, V(kDeny, CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_NETWORK));

  // read and write are enforceable on every tier.
  EXPECT_TRUE(c.unenforced.empty());
  ASSERT_EQ(c.file_paths.size(), 2u);
  EXPECT_EQ(c.file_paths[0].path.path, "/etc/shadow");
  EXPECT_FALSE(c.file_paths[0].path.prefix);
  EXPECT_EQ(c.file_paths[0].access, kFileRead);
  EXPECT_VERDICT(c.file_paths[0].verdict, V(kDeny, 1));
  EXPECT_TRUE(c.file_paths[1].path.prefix);
  EXPECT_EQ(c.file_paths[1].access, kFileWrite);
  EXPECT_VERDICT(c.file_paths[1].verdict, V(kAudit, 2));
  for (const auto& f : c.file_paths) EXPECT_EQ(c.rules.at(f.verdict.rule_id).kind, "files");

  // Every verdict in every map names a rule of its own kind (or the default).
  for (const auto& e : c.exec_paths) EXPECT_EQ(c.rules.at(e.verdict.rule_id).kind, "exec");
  for (const auto& [k, v] : c.net)
    for (uint32_t i = 0; i < v.nranges; ++i) EXPECT_EQ(c.rules.at(v.ranges[i].verdict.rule_id).kind, "network");
  for (const auto& [k, v] : c.sysctl) EXPECT_EQ(c.rules.at(v.write.rule_id).kind, "sysctls");
  for (const auto& [k, v] : c.dev) EXPECT_EQ(c.rules.at(v.access[0].rule_id).kind, "devices");
  for (const auto& [k, v] : c.syscalls) EXPECT_EQ(c.rules.at(v.rule_id).kind, "syscalls");
}

TEST(PolicyCompiler, EmptyPolicyHasOnlyTheDefaults) {
  auto c = compile("  mode: enforce\n", 3);
  EXPECT_EQ(c.mode, Mode::Enforce);
  EXPECT_EQ(c.rules.size(), 2u);
  EXPECT_EQ(c.rules.at(CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_EXEC).name, "exec.default");
  EXPECT_EQ(c.rules.at(CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_EXEC).action, Action::Allow);
  EXPECT_EQ(c.rules.at(CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_NETWORK).name, "network.default");
  EXPECT_VERDICT(c.defaults.exec, V(kAllow, CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_EXEC));
  EXPECT_VERDICT(c.defaults.net_egress, V(kAllow, CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_NETWORK));
  EXPECT_TRUE(c.unenforced.empty());
  EXPECT_TRUE(c.exec_paths.empty());
  EXPECT_TRUE(c.net.empty());
  EXPECT_TRUE(c.sysctl.empty());
  EXPECT_TRUE(c.dev.empty());
  EXPECT_TRUE(c.syscalls.empty());
}

TEST(PolicyCompiler, ExecPathsKeepTheirRuleVerdicts) {
  auto c = compile(R"(  exec:
    default: deny
    rules:
      - {paths: [/usr/bin/, /bin/sh], action: allow}
      - {paths: [/], action: audit}
)");
  ASSERT_EQ(c.exec_paths.size(), 3u);
  EXPECT_EQ(c.exec_paths[0].path.path, "/usr/bin");
  EXPECT_TRUE(c.exec_paths[0].path.prefix);
  EXPECT_VERDICT(c.exec_paths[0].verdict, V(kAllow, 1));
  EXPECT_EQ(c.exec_paths[1].path.path, "/bin/sh");
  EXPECT_FALSE(c.exec_paths[1].path.prefix);
  EXPECT_VERDICT(c.exec_paths[1].verdict, V(kAllow, 1));
  EXPECT_EQ(c.exec_paths[2].path.path, "/");
  EXPECT_VERDICT(c.exec_paths[2].verdict, V(kAudit, 2));
}

// ---------------------------------------------------------------- network

TEST(PolicyCompiler, NetworkMoreSpecificPrefixInheritsEnclosingRanges) {
  auto c = compile(R"(  network:
    rules:
      - {name: lan, cidrs: [10.0.0.0/8], action: deny}
      - {name: web, cidrs: [10.1.0.0/16], ports: [80], action: allow}
)");
  expect_well_formed_net(c);
  // protocol any: one entry per protocol (tcp, udp, any other) and prefix.
  ASSERT_EQ(c.net.size(), 6u);
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_EGRESS, CAPSA_NET_PROTO_OTHER, "10.1.2.3", 0), V(kDeny, 1));
  for (uint8_t proto : {kTcp, kUdp}) {
    SCOPED_TRACE(int(proto));
    const auto* wide = net_entry(c, CAPSA_NET_EGRESS, proto, "10.0.0.0", 8);
    ASSERT_NE(wide, nullptr);
    ASSERT_EQ(wide->nranges, 1u);
    EXPECT_EQ(wide->ranges[0].lo, 0);
    EXPECT_EQ(wide->ranges[0].hi, 65535);
    EXPECT_VERDICT(wide->ranges[0].verdict, V(kDeny, 1));

    const auto* narrow = net_entry(c, CAPSA_NET_EGRESS, proto, "10.1.0.0", 16);
    ASSERT_NE(narrow, nullptr);
    ASSERT_EQ(narrow->nranges, 2u);
    EXPECT_TRUE(has_range(*narrow, 80, 80, V(kAllow, 2)));
    EXPECT_TRUE(has_range(*narrow, 0, 65535, V(kDeny, 1)));  // inherited from the /8
  }
  // The exact key bytes of one entry: prefixlen 64 + 96 + 16, ::ffff:10.1.0.0.
  bool seen = false;
  for (const auto& [k, v] : c.net) {
    if (k.prefixlen != 64 + 96 + 16 || k.protocol != kTcp) continue;
    seen = true;
    EXPECT_EQ(k.policy_id, 7u);
    EXPECT_EQ(k.direction, CAPSA_NET_EGRESS);
    const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 0, 0};
    EXPECT_EQ(std::memcmp(k.addr, want, 16), 0);
  }
  EXPECT_TRUE(seen);
  // Strongest wins: a deny rule is not carved out by a narrower allow rule.
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_EGRESS, kTcp, "10.1.2.3", 80), V(kDeny, 1));
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_EGRESS, kTcp, "10.2.0.1", 80), V(kDeny, 1));
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_EGRESS, kTcp, "11.0.0.1", 80),
                 V(kAllow, CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_NETWORK));
}

TEST(PolicyCompiler, NetworkProtocolDirectionAndPorts) {
  auto c = compile(R"(  network:
    rules:
      - {protocol: tcp, cidrs: [192.168.1.0/24], ports: [22, "8000-8100"], action: kill}
      - {direction: bind, protocol: udp, ports: ["1-1023"], action: deny}
      - {protocol: any, cidrs: ["fd00::/8", "::1", 127.0.0.1, 0.0.0.0/0], action: audit}
)");
  expect_well_formed_net(c);
  // rule 1: tcp only, egress, two ranges.
  const auto* r1 = net_entry(c, CAPSA_NET_EGRESS, kTcp, "192.168.1.0", 24);
  ASSERT_NE(r1, nullptr);
  ASSERT_EQ(r1->nranges, 3u);  // + the audit rule's 0.0.0.0/0, which encloses it
  EXPECT_TRUE(has_range(*r1, 22, 22, V(kKill, 1)));
  EXPECT_TRUE(has_range(*r1, 8000, 8100, V(kKill, 1)));
  EXPECT_TRUE(has_range(*r1, 0, 65535, V(kAudit, 3)));
  EXPECT_EQ(net_entry(c, CAPSA_NET_EGRESS, kUdp, "192.168.1.0", 24), nullptr);
  EXPECT_EQ(net_entry(c, CAPSA_NET_BIND, kTcp, "192.168.1.0", 24), nullptr);

  // rule 2: bind, udp, no cidrs -> the whole address space, prefixlen 64.
  const auto* r2 = net_entry(c, CAPSA_NET_BIND, kUdp, "", 0);
  ASSERT_NE(r2, nullptr);
  ASSERT_EQ(r2->nranges, 1u);
  EXPECT_TRUE(has_range(*r2, 1, 1023, V(kDeny, 2)));
  EXPECT_EQ(net_entry(c, CAPSA_NET_BIND, kTcp, "", 0), nullptr);
  EXPECT_EQ(net_entry(c, CAPSA_NET_EGRESS, kUdp, "", 0), nullptr);

  // rule 3: IPv6 prefixes are not mapped; IPv4 host addresses are /32.
  for (uint8_t proto : {kTcp, kUdp}) {
    const auto* fd = net_entry(c, CAPSA_NET_EGRESS, proto, "fd00::", 8);
    ASSERT_NE(fd, nullptr);
    EXPECT_TRUE(has_range(*fd, 0, 65535, V(kAudit, 3)));
    EXPECT_NE(net_entry(c, CAPSA_NET_EGRESS, proto, "::1", 128), nullptr);
    EXPECT_NE(net_entry(c, CAPSA_NET_EGRESS, proto, "127.0.0.1", 32), nullptr);
    EXPECT_NE(net_entry(c, CAPSA_NET_EGRESS, proto, "0.0.0.0", 0), nullptr);  // prefixlen 64 + 96
  }
  std::set<uint32_t> lens;
  for (const auto& [k, v] : c.net) lens.insert(k.prefixlen);
  EXPECT_EQ(lens, (std::set<uint32_t>{64, 64 + 8, 64 + 128, 64 + 96 + 32, 64 + 96, 64 + 96 + 24}));
  // egress: tcp fd00::/8, ::1, 127.0.0.1, 0.0.0.0/0, 192.168.1.0/24; udp and
  // other protocols the first four; bind: udp everything.
  EXPECT_EQ(c.net.size(), 5u + 4u + 4u + 1u);
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_EGRESS, CAPSA_NET_PROTO_OTHER, "10.9.9.9", 0), V(kAudit, 3));
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_BIND, CAPSA_NET_PROTO_OTHER, "10.9.9.9", 0),
                 V(kAllow, CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_NETWORK));  // the udp-only bind rule

  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_BIND, kUdp, "10.0.0.1", 53), V(kDeny, 2));
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_BIND, kUdp, "fe80::1", 1023), V(kDeny, 2));
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_BIND, kUdp, "10.0.0.1", 1024),
                 V(kAllow, CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_NETWORK));
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_BIND, kTcp, "10.0.0.1", 53),
                 V(kAllow, CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_NETWORK));
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_EGRESS, kTcp, "192.168.1.9", 8050), V(kKill, 1));
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_EGRESS, kTcp, "192.168.1.9", 8101), V(kAudit, 3));
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_EGRESS, kUdp, "192.168.1.9", 22), V(kAudit, 3));
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_EGRESS, kTcp, "fd12::1", 22), V(kAudit, 3));
  EXPECT_VERDICT(net_lookup(c, CAPSA_NET_EGRESS, kTcp, "::2", 22),
                 V(kAllow, CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_NETWORK));
}

// Reference lookups through a policy written as an allow-list: deny by
// default, allow rules carve exceptions, stronger rules still win inside them.
TEST(PolicyCompiler, NetworkVerdictTable) {
  auto c = compile(R"(  network:
    default: deny
    rules:
      - {name: https-lan, cidrs: [10.0.0.0/8], ports: [443], action: allow}
      - {name: ssh-box, protocol: tcp, cidrs: [10.9.9.9/32], ports: [22], action: kill}
      - {name: dhcp-lan, protocol: udp, cidrs: [192.168.1.0/24], action: allow}
      - {name: dns, protocol: udp, ports: [53], action: audit}
      - {name: v6-dns, cidrs: ["fd00::/8"], ports: [53], action: allow}
      - {name: listen, direction: bind, protocol: tcp, cidrs: [0.0.0.0/0], ports: ["8000-8100"], action: allow}
      - {name: deep, protocol: tcp, cidrs: [10.9.0.0/16, 10.9.9.0/24], ports: ["440-450"], action: audit}
)");
  expect_well_formed_net(c);
  const capsa_verdict dflt = V(kDeny, CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_NETWORK);
  struct Row {
    uint8_t dir, proto;
    const char* addr;
    uint16_t port;
    capsa_verdict want;
  };
  const Row rows[] = {
      {CAPSA_NET_EGRESS, kTcp, "10.1.2.3", 443, V(kAllow, 1)},
      {CAPSA_NET_EGRESS, kUdp, "10.1.2.3", 443, V(kAllow, 1)},
      {CAPSA_NET_EGRESS, kTcp, "10.1.2.3", 80, dflt},
      {CAPSA_NET_EGRESS, kTcp, "11.1.2.3", 443, dflt},
      {CAPSA_NET_EGRESS, kTcp, "10.9.9.9", 22, V(kKill, 2)},
      // The /32 entry must still carry the /8's allow and the /16 and /24 audits.
      {CAPSA_NET_EGRESS, kTcp, "10.9.9.9", 443, V(kAudit, 7)},
      {CAPSA_NET_EGRESS, kTcp, "10.9.9.9", 441, V(kAudit, 7)},
      {CAPSA_NET_EGRESS, kTcp, "10.9.9.9", 80, dflt},
      {CAPSA_NET_EGRESS, kTcp, "10.9.8.1", 443, V(kAudit, 7)},
      {CAPSA_NET_EGRESS, kTcp, "10.8.8.1", 441, dflt},
      {CAPSA_NET_EGRESS, kTcp, "10.8.8.1", 443, V(kAllow, 1)},
      {CAPSA_NET_EGRESS, kUdp, "10.9.9.9", 443, V(kAllow, 1)},  // the tcp-only rules do not apply
      // The ::/0 udp entry (no cidrs) is inherited by every udp prefix.
      {CAPSA_NET_EGRESS, kUdp, "10.9.9.9", 53, V(kAudit, 4)},
      {CAPSA_NET_EGRESS, kUdp, "8.8.8.8", 53, V(kAudit, 4)},
      {CAPSA_NET_EGRESS, kUdp, "2001:db8::1", 53, V(kAudit, 4)},
      {CAPSA_NET_EGRESS, kTcp, "8.8.8.8", 53, dflt},
      {CAPSA_NET_EGRESS, kUdp, "192.168.1.50", 67, V(kAllow, 3)},
      {CAPSA_NET_EGRESS, kUdp, "192.168.1.50", 53, V(kAudit, 4)},  // audit beats allow
      {CAPSA_NET_EGRESS, kTcp, "192.168.1.50", 67, dflt},
      {CAPSA_NET_EGRESS, kUdp, "192.168.2.50", 67, dflt},
      {CAPSA_NET_EGRESS, kTcp, "fd00::53", 53, V(kAllow, 5)},
      {CAPSA_NET_EGRESS, kUdp, "fdff:1::", 53, V(kAudit, 4)},
      {CAPSA_NET_EGRESS, kTcp, "fe80::1", 53, dflt},
      {CAPSA_NET_BIND, kTcp, "0.0.0.0", 8080, V(kAllow, 6)},
      {CAPSA_NET_BIND, kTcp, "127.0.0.1", 8100, V(kAllow, 6)},
      {CAPSA_NET_BIND, kTcp, "127.0.0.1", 8101, dflt},
      {CAPSA_NET_BIND, kTcp, "::", 8080, dflt},  // 0.0.0.0/0 is the mapped IPv4 space only
      {CAPSA_NET_BIND, kUdp, "0.0.0.0", 8080, dflt},
      {CAPSA_NET_BIND, kTcp, "10.1.2.3", 443, dflt},  // egress rules do not apply to bind
      {CAPSA_NET_EGRESS, kTcp, "1.2.3.4", 8080, dflt},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(std::string(r.dir == CAPSA_NET_BIND ? "bind " : "egress ") + (r.proto == kTcp ? "tcp " : "udp ") +
                 r.addr + " port " + std::to_string(r.port));
    EXPECT_VERDICT(net_lookup(c, r.dir, r.proto, r.addr, r.port), r.want);
  }
}

// IPv4 addresses are looked up beneath ::ffff:0:0/96: an IPv6 CIDR that
// encloses that space (::/0 written to mean "all of IPv6") leaves IPv4 to
// the IPv4 rules and the default; one written inside it is IPv4's.
TEST(PolicyCompiler, NetworkIpv6CidrsDoNotCoverIpv4) {
  auto c = compile(R"(  network:
    default: allow
    rules:
      - {name: no-v6, cidrs: ["::/0"], action: deny}
      - {name: v6-web, cidrs: ["::/1"], ports: [80], action: audit}
      - {name: lan-ssh, cidrs: [10.0.0.0/8], ports: [22], action: kill}
      - {name: mapped, cidrs: ["::ffff:192.168.0.0/112"], action: audit}
)");
  expect_well_formed_net(c);
  const capsa_verdict dflt = V(kAllow, CAPSA_RULE_DEFAULT_BASE + CAPSA_KIND_NETWORK);
  struct Row {
    uint8_t proto;
    const char* addr;
    uint16_t port;
    capsa_verdict want;
  };
  const Row rows[] = {
      {kTcp, "2001:db8::1", 443, V(kDeny, 1)},
      {kUdp, "::1", 53, V(kDeny, 1)},
      {kTcp, "::1", 80, V(kDeny, 1)},  // deny beats the audit of ::/1
      {kTcp, "8.8.8.8", 443, dflt},
      {kTcp, "8.8.8.8", 80, dflt},
      {kUdp, "8.8.8.8", 53, dflt},
      {kTcp, "10.1.1.1", 22, V(kKill, 3)},
      {kTcp, "10.1.1.1", 443, dflt},
      {kTcp, "192.168.5.5", 443, V(kAudit, 4)},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(std::string(r.proto == kTcp ? "tcp " : "udp ") + r.addr + " port " + std::to_string(r.port));
    EXPECT_VERDICT(net_lookup(c, CAPSA_NET_EGRESS, r.proto, r.addr, r.port), r.want);
  }
}

TEST(PolicyCompiler, NetworkSixteenRangesFitSeventeenThrowAtTheRule) {
  // 9 + 7 = 16 ranges on the /16: fits exactly.
  auto c = compile(R"(  network:
    rules:
      - {name: a, protocol: tcp, cidrs: [10.0.0.0/8], ports: [1, 2, 3, 4, 5, 6, 7, 8, 9]}
      - {name: b, protocol: tcp, cidrs: [10.1.0.0/16], ports: [11, 12, 13, 14, 15, 16, 17]}
)");
  const auto* b = net_entry(c, CAPSA_NET_EGRESS, kTcp, "10.1.0.0", 16);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->nranges, 16u);

  // 9 + 8 = 17: reported at rule b (line 8, column 9 of the file).
  std::string err = compile_error(R"(  network:
    rules:
      - {name: a, protocol: tcp, cidrs: [10.0.0.0/8], ports: [1, 2, 3, 4, 5, 6, 7, 8, 9]}
      - {name: b, protocol: tcp, cidrs: [10.1.0.0/16], ports: [11, 12, 13, 14, 15, 16, 17, 18]}
)");
  EXPECT_EQ(err.rfind("t.yaml:8:9: ", 0), 0u) << err;
  EXPECT_NE(err.find("17"), std::string::npos) << err;

  // One rule alone with 17 ports on a block-style rule.
  err = compile_error(R"(  network:
    default: deny
    rules:
      - name: many
        ports: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]
)");
  EXPECT_EQ(err.rfind("t.yaml:8:9: ", 0), 0u) << err;

  // Disjoint prefixes do not add up.
  EXPECT_EQ(compile_error(R"(  network:
    rules:
      - {protocol: tcp, cidrs: [10.0.0.0/16], ports: [1, 2, 3, 4, 5, 6, 7, 8, 9]}
      - {protocol: tcp, cidrs: [10.1.0.0/16], ports: [11, 12, 13, 14, 15, 16, 17, 18]}
      - {protocol: udp, cidrs: [10.0.0.0/8], ports: [11, 12, 13, 14, 15, 16, 17, 18]}
)"),
            "");

  // Overlap through ::/0 counts too: the IPv4 entry inherits the catch-all.
  err = compile_error(R"(  network:
    rules:
      - {protocol: udp, ports: [1, 2, 3, 4, 5, 6, 7, 8, 9]}
      - {protocol: udp, cidrs: [127.0.0.0/8], ports: [11, 12, 13, 14, 15, 16, 17, 18]}
)");
  EXPECT_EQ(err.rfind("t.yaml:8:9: ", 0), 0u) << err;
}

// ---------------------------------------------------------------- sysctls

TEST(PolicyCompiler, SysctlKeysAndPrefixLengths) {
  auto c = compile(R"(  sysctls:
    rules:
      - {names: [kernel.hostname, "net.ipv4.*"], action: deny}
)",
                   9);
  ASSERT_EQ(c.sysctl.size(), 2u);
  for (const auto& [k, v] : c.sysctl) {
    EXPECT_EQ(k.policy_id, 9u);
    std::string key_bytes(k.name, (k.prefixlen - 32) / 8);
    std::string rest(k.name + key_bytes.size(), CAPSA_POLICY_SYSCTL_LEN - key_bytes.size());
    EXPECT_EQ(rest, std::string(rest.size(), '\0')) << "NUL padding after the compared bytes";
    EXPECT_VERDICT(v.write, V(kDeny, 1));
    EXPECT_VERDICT(v.read, V(0, 0));  // no read rule: no verdict (rule id 0)
  }
  ASSERT_NE(sysctl_entry(c, std::string("kernel/hostname\0", 16)), nullptr);
  ASSERT_NE(sysctl_entry(c, "net/ipv4/"), nullptr);
  std::set<uint32_t> lens;
  for (const auto& [k, v] : c.sysctl) lens.insert(k.prefixlen);
  EXPECT_EQ(lens, (std::set<uint32_t>{32 + 8 * 16, 32 + 8 * 9}));

  // How the kernel's lookup lands.
  auto hit = [&](const std::string& name) { return sysctl_lookup(c, name); };
  EXPECT_EQ(hit("kernel/hostname"), sysctl_entry(c, std::string("kernel/hostname\0", 16)));
  EXPECT_EQ(hit("kernel/hostnamex"), nullptr);
  EXPECT_EQ(hit("kernel/host"), nullptr);
  EXPECT_EQ(hit("net/ipv4/ip_forward"), sysctl_entry(c, "net/ipv4/"));
  EXPECT_EQ(hit("net/ipv4/conf/all/rp_filter"), sysctl_entry(c, "net/ipv4/"));
  EXPECT_EQ(hit("net/ipv4"), nullptr);
  EXPECT_EQ(hit("net/ipv6/conf/all/forwarding"), nullptr);
}

// A dot within a component (a VLAN interface's sysctls): the /proc/sys form
// keeps it, the dotted form writes it "/", as sysctl(8) does.
TEST(PolicyCompiler, SysctlComponentsWithADot) {
  auto c = compile(R"(  sysctls:
    rules:
      - {names: [net/ipv4/conf/eth0.100/rp_filter], action: deny}
      - {names: [net.ipv6.conf.eth0/200.forwarding, "net/ipv4/neigh/eth0.7/*"], action: deny}
)");
  ASSERT_EQ(c.sysctl.size(), 3u);
  EXPECT_NE(sysctl_entry(c, std::string("net/ipv4/conf/eth0.100/rp_filter\0", 33)), nullptr);
  EXPECT_NE(sysctl_entry(c, std::string("net/ipv6/conf/eth0.200/forwarding\0", 34)), nullptr);
  EXPECT_NE(sysctl_entry(c, "net/ipv4/neigh/eth0.7/"), nullptr);
  EXPECT_EQ(sysctl_lookup(c, "net/ipv4/conf/eth0/100/rp_filter"), nullptr);
}

TEST(PolicyCompiler, SysctlExactEntryInheritsEnclosingPrefixes) {
  auto c = compile(R"(  sysctls:
    rules:
      - {names: [kernel.hostname, "net.ipv4.*"], action: deny}
      - {names: [net.ipv4.ip_forward], access: [read], action: audit}
      - {names: ["net.*"], access: [read], action: deny}
      - {names: [net.ipv4.ip_forward, kernel.hostname], action: kill}
      - {names: [kernel.hostname], access: [read, write], action: audit}
)");
  ASSERT_EQ(c.sysctl.size(), 4u);
  const auto* net = sysctl_entry(c, "net/");
  const auto* ipv4 = sysctl_entry(c, "net/ipv4/");
  const auto* fwd = sysctl_entry(c, std::string("net/ipv4/ip_forward\0", 20));
  const auto* host = sysctl_entry(c, std::string("kernel/hostname\0", 16));
  ASSERT_TRUE(net && ipv4 && fwd && host);

  EXPECT_VERDICT(net->read, V(kDeny, 3));
  EXPECT_EQ(net->write.rule_id, 0u);
  EXPECT_VERDICT(ipv4->read, V(kDeny, 3));   // from net.*
  EXPECT_VERDICT(ipv4->write, V(kDeny, 1));
  EXPECT_VERDICT(fwd->read, V(kDeny, 3));    // its own audit loses to the enclosing deny
  EXPECT_VERDICT(fwd->write, V(kKill, 4));   // its own kill beats the enclosing deny
  EXPECT_VERDICT(host->read, V(kAudit, 5));
  EXPECT_VERDICT(host->write, V(kKill, 4));  // deny, kill, audit on one key: kill

  EXPECT_EQ(sysctl_lookup(c, "net/ipv4/ip_forward"), fwd);
  EXPECT_EQ(sysctl_lookup(c, "net/ipv4/ip_forward_use_pmtu"), ipv4);
  EXPECT_EQ(sysctl_lookup(c, "net/core/somaxconn"), net);
}

TEST(PolicyCompiler, SysctlNamesLongerThanTheKeyThrow) {
  // 63 bytes + NUL fill the 64-byte key exactly.
  std::string n63(63, 'a');
  auto c = compile("  sysctls: {rules: [{names: [" + n63 + "]}]}\n");
  ASSERT_EQ(c.sysctl.size(), 1u);
  EXPECT_EQ(c.sysctl[0].first.prefixlen, 32u + 8 * 64);
  EXPECT_EQ(sysctl_lookup(c, n63), &c.sysctl[0].second);

  std::string err = compile_error("  sysctls:\n    rules:\n      - {names: [" + std::string(64, 'a') + "]}\n");
  EXPECT_EQ(err.rfind("t.yaml:7:9: ", 0), 0u) << err;

  // A prefix of 62 bytes plus its "/" still fits (and matches the truncated
  // names the kernel hands over); one of 63 bytes plus "/" could never
  // match, since the kernel's copy of the name is NUL-terminated at byte 63.
  std::string p62 = std::string(30, 'b') + "." + std::string(31, 'c');
  c = compile("  sysctls: {rules: [{names: [\"" + p62 + ".*\"]}]}\n");
  ASSERT_EQ(c.sysctl.size(), 1u);
  EXPECT_EQ(c.sysctl[0].first.prefixlen, 32u + 8 * 63);
  std::string slashed = std::string(30, 'b') + "/" + std::string(31, 'c') + "/";
  EXPECT_EQ(sysctl_lookup(c, slashed + "some_long_leaf_name"), &c.sysctl[0].second);

  std::string p63 = std::string(31, 'b') + "." + std::string(31, 'c');
  err = compile_error("  sysctls:\n    rules:\n      - {names: [\"" + p63 + ".*\"]}\n");
  EXPECT_EQ(err.rfind("t.yaml:7:9: ", 0), 0u) << err;
}

// ---------------------------------------------------------------- devices

const capsa_dev_value* dev_entry(const CompiledPolicy& c, uint32_t type, uint32_t major, uint32_t minor) {
  for (const auto& [k, v] : c.dev)
    if (k.policy_id == c.id && k.type == type && k.major == major && k.minor == minor) return &v;
  return nullptr;
}

TEST(PolicyCompiler, DeviceWildcardsAccessBitsAndMerging) {
  auto c = compile(R"(  devices:
    rules:
      - {type: c, major: 1, minor: "*", access: rm, action: deny}
      - {type: c, major: 1, minor: "*", access: w, action: audit}
      - {type: c, major: 1, minor: "*", access: r, action: kill}
      - {}
      - {type: b, major: 8, minor: 0, access: m, action: audit}
      - {type: a, major: 10, access: rw, action: deny}
      - {type: c, major: 1, minor: "*", access: m, action: audit}
)",
                   5);
  ASSERT_EQ(c.dev.size(), 4u);
  for (const auto& [k, v] : c.dev) EXPECT_EQ(k.policy_id, 5u);

  const auto* mem = dev_entry(c, CAPSA_DEV_TYPE_CHAR, 1, CAPSA_DEV_ANY);
  ASSERT_NE(mem, nullptr);
  EXPECT_VERDICT(mem->access[0], V(kDeny, 1));   // mknod: deny beats the later audit (rule 7)
  EXPECT_VERDICT(mem->access[1], V(kKill, 3));   // read: kill beats deny
  EXPECT_VERDICT(mem->access[2], V(kAudit, 2));  // write

  const auto* all = dev_entry(c, CAPSA_DEV_TYPE_ANY, CAPSA_DEV_ANY, CAPSA_DEV_ANY);
  ASSERT_NE(all, nullptr);
  for (int i = 0; i < 3; ++i) EXPECT_VERDICT(all->access[i], V(kDeny, 4));

  const auto* sda = dev_entry(c, CAPSA_DEV_TYPE_BLOCK, 8, 0);
  ASSERT_NE(sda, nullptr);
  EXPECT_VERDICT(sda->access[0], V(kAudit, 5));
  EXPECT_VERDICT(sda->access[1], V(0, 0));
  EXPECT_VERDICT(sda->access[2], V(0, 0));

  const auto* misc = dev_entry(c, CAPSA_DEV_TYPE_ANY, 10, CAPSA_DEV_ANY);
  ASSERT_NE(misc, nullptr);
  EXPECT_VERDICT(misc->access[0], V(0, 0));
  EXPECT_VERDICT(misc->access[1], V(kDeny, 6));
  EXPECT_VERDICT(misc->access[2], V(kDeny, 6));
}

// The kernel looks up (type, major, minor), (type, major, *), (type, *, *)
// for the device's type and for "any": a rule with a wildcard major but a
// fixed minor would never be found, so it must not compile silently.
TEST(PolicyCompiler, DeviceRuleTheKernelCannotLookUpIsRejected) {
  std::string err = compile_error(R"(  devices:
    rules:
      - {type: c, major: 1, minor: 3}
      - {type: c, major: "*", minor: 3, action: deny}
)");
  EXPECT_EQ(err.rfind("t.yaml:8:9: ", 0), 0u) << err;
}

// ---------------------------------------------------------------- syscalls

TEST(PolicyCompiler, SyscallNumbersAndDuplicatesMergeStrongest) {
  auto c = compile(R"(  syscalls:
    rules:
      - {names: [getpid, ptrace], action: audit}
      - {name: nopid, names: [getpid], action: kill}
      - {names: [ptrace, getpid], action: deny}
      - {names: [ptrace], action: audit}
)",
                   11);
  ASSERT_EQ(c.syscalls.size(), 2u);
  std::map<uint32_t, capsa_verdict> got;
  for (const auto& [k, v] : c.syscalls) {
    EXPECT_EQ(k.policy_id, 11u);
    EXPECT_TRUE(got.emplace(k.nr, v).second) << "duplicate syscall key " << k.nr;
  }
  ASSERT_EQ(got.count(SYS_getpid), 1u);
  ASSERT_EQ(got.count(SYS_ptrace), 1u);
  EXPECT_VERDICT(got[SYS_getpid], V(kKill, 2));
  EXPECT_VERDICT(got[SYS_ptrace], V(kDeny, 3));
  EXPECT_EQ(c.rules.at(2).name, "nopid");
  EXPECT_EQ(c.rules.at(4).name, "syscalls[3]");
}

// ---------------------------------------------------------------- exec

class FakeRoot {
public:
  FakeRoot() {
    char tmpl[] = "/tmp/capsa-compiler-XXXXXX";
    const char* p = ::mkdtemp(tmpl);
    if (p) path_ = p;
  }
  ~FakeRoot() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  const std::string& path() const { return path_; }
  int open_root() {
    fd_ = ::open(path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    return fd_;
  }

private:
  std::string path_;
  int fd_ = -1;
};

struct stat stat_of(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st;
}

TEST(PolicyCompiler, ResolveExecStaysInsideTheRoot) {
  FakeRoot root;
  ASSERT_FALSE(root.path().empty());
  const std::string r = root.path();
  ASSERT_EQ(::mkdir((r + "/bin").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((r + "/opt").c_str(), 0755), 0);
  std::ofstream(r + "/bin/tool") << "#!/bin/sh\n";
  ASSERT_EQ(::symlink("/bin/tool", (r + "/bin/link").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", (r + "/bin/evil").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../../../etc/passwd", (r + "/bin/up").c_str()), 0);
  struct stat host_passwd {};
  ASSERT_EQ(::stat("/etc/passwd", &host_passwd), 0) << "the test needs a host /etc/passwd to escape to";

  auto c = compile(R"(  exec:
    rules:
      - {name: tool, paths: [/bin/tool], action: deny}
      - {paths: [/bin/link], action: kill}
      - {paths: [/opt/], action: audit}
      - {paths: [/missing/thing, /bin/evil], action: deny}
      - {paths: [/bin/up], action: kill}
      - {paths: [/bin/tool], action: audit}
)",
                   13);
  int fd = root.open_root();
  ASSERT_GE(fd, 0);
  std::vector<std::string> missing;
  auto got = resolve_exec(c, fd, &missing);

  EXPECT_EQ(missing, (std::vector<std::string>{"/missing/thing", "/bin/evil", "/bin/up"}));

  struct stat tool = stat_of(r + "/bin/tool"), opt = stat_of(r + "/opt");
  ASSERT_EQ(got.size(), 2u);
  std::map<std::pair<uint64_t, uint64_t>, capsa_verdict> by_inode;
  for (const auto& [k, v] : got) {
    EXPECT_EQ(k.policy_id, 13u);
    EXPECT_EQ(k.pad, 0u);
    EXPECT_FALSE(k.dev == kernel_dev(host_passwd.st_dev) && k.ino == host_passwd.st_ino) << "escaped the root";
    by_inode[{k.dev, k.ino}] = v;
  }
  auto tool_key = std::make_pair(kernel_dev(tool.st_dev), static_cast<uint64_t>(tool.st_ino));
  auto opt_key = std::make_pair(kernel_dev(opt.st_dev), static_cast<uint64_t>(opt.st_ino));
  ASSERT_EQ(by_inode.count(tool_key), 1u);
  ASSERT_EQ(by_inode.count(opt_key), 1u);
  // /bin/tool (deny, audit) and /bin/link -> /bin/tool (kill): one inode, kill.
  EXPECT_VERDICT(by_inode[tool_key], V(kKill, 2));
  EXPECT_VERDICT(by_inode[opt_key], V(kAudit, 3));

  // A null `missing` is allowed.
  EXPECT_EQ(resolve_exec(c, fd, nullptr).size(), 2u);

  // A file created later is found at the next resolution.
  ASSERT_EQ(::mkdir((r + "/etc").c_str(), 0755), 0);
  std::ofstream(r + "/etc/passwd") << "root:x:0:0::/:/bin/sh\n";
  missing.clear();
  got = resolve_exec(c, fd, &missing);
  EXPECT_EQ(missing, (std::vector<std::string>{"/missing/thing"}));
  struct stat fake_passwd = stat_of(r + "/etc/passwd");
  bool seen = false;
  for (const auto& [k, v] : got)
    if (k.dev == kernel_dev(fake_passwd.st_dev) && k.ino == fake_passwd.st_ino) {
      seen = true;
      EXPECT_VERDICT(v, V(kKill, 5));  // /bin/evil (deny 4) and /bin/up (kill 5)
    }
  EXPECT_TRUE(seen);
}

TEST(PolicyCompiler, CreateAndUnlinkAreListedAsNeedingBpfLsm) {
  auto c = compile("  files:\n    rules:\n      - {paths: [/data/], access: [create, unlink]}\n");
  ASSERT_EQ(c.unenforced.count("files.create,unlink"), 1u);
  EXPECT_NE(c.unenforced.at("files.create,unlink").find("BPF-LSM"), std::string::npos);
}

TEST(PolicyCompiler, LandlockEnforcesCreateAndUnlinkDenialsButNotAudits) {
  auto c = compile("  files:\n    landlock: true\n    rules:\n      - {paths: [/data/], access: [create, unlink]}\n");
  EXPECT_EQ(c.unenforced.count("files.create,unlink"), 0u);
  c = compile("  files:\n    landlock: true\n    rules:\n"
              "      - {paths: [/data/], access: [create], action: audit}\n");
  EXPECT_EQ(c.unenforced.count("files.create,unlink"), 1u);
  c = compile("  mode: audit\n  files:\n    landlock: true\n    rules:\n      - {paths: [/data/], access: [unlink]}\n");
  EXPECT_EQ(c.unenforced.count("files.create,unlink"), 1u);
}

// A prefix rule covers the directory itself and what is below it; an exact
// rule only the file. Rules on one inode merge per access.
TEST(PolicyCompiler, ResolveFilesMergesPerAccessAndSeparatesSelfFromBelow) {
  FakeRoot root;
  ASSERT_FALSE(root.path().empty());
  const std::string r = root.path();
  ASSERT_EQ(::mkdir((r + "/secret").c_str(), 0755), 0);
  std::ofstream(r + "/shadow") << "x\n";
  ASSERT_EQ(::symlink("/secret", (r + "/alias").c_str()), 0);
  auto c = compile(R"(  files:
    rules:
      - {paths: [/secret/], access: [read], action: deny}
      - {paths: [/alias], access: [read, write], action: kill}
      - {paths: [/shadow, /nope], access: [write], action: audit}
)",
                   21);
  int fd = root.open_root();
  ASSERT_GE(fd, 0);
  std::vector<std::string> missing;
  auto got = resolve_files(c, fd, &missing);
  EXPECT_EQ(missing, (std::vector<std::string>{"/nope"}));
  ASSERT_EQ(got.size(), 2u);
  struct stat secret = stat_of(r + "/secret"), shadow = stat_of(r + "/shadow");
  for (const auto& [k, v] : got) {
    EXPECT_EQ(k.policy_id, 21u);
    if (k.ino == secret.st_ino) {
      EXPECT_EQ(k.dev, kernel_dev(secret.st_dev));
      EXPECT_VERDICT(v.self[CAPSA_FILE_READ], V(kKill, 2));  // deny (prefix) + kill (exact, via the symlink)
      EXPECT_VERDICT(v.self[CAPSA_FILE_WRITE], V(kKill, 2));
      EXPECT_VERDICT(v.below[CAPSA_FILE_READ], V(kDeny, 1));  // only the prefix rule reaches below
      EXPECT_VERDICT(v.below[CAPSA_FILE_WRITE], V(0, 0));
    } else {
      ASSERT_EQ(k.ino, shadow.st_ino);
      EXPECT_VERDICT(v.self[CAPSA_FILE_WRITE], V(kAudit, 3));
      EXPECT_VERDICT(v.self[CAPSA_FILE_READ], V(0, 0));
      EXPECT_VERDICT(v.below[CAPSA_FILE_WRITE], V(0, 0));
    }
  }
}

TEST(PolicyCompiler, KernelDevEncoding) {
  EXPECT_EQ(kernel_dev(makedev(8, 1)), (8u << 20) | 1u);
  EXPECT_EQ(kernel_dev(makedev(0, 0)), 0u);
  EXPECT_EQ(kernel_dev(makedev(259, 65536)), (259ull << 20) | 65536u);  // minor above 8 bits
  EXPECT_EQ(kernel_dev(makedev(4095, 0xfffff)), (4095ull << 20) | 0xfffffu);
}

}  // namespace
}  // namespace capsa::policy
