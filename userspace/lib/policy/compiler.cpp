#include "policy/compiler.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <set>
#include <tuple>

#include "common/unique_fd.h"
#include "policy/parse.h"

namespace capsa::policy {

namespace {

constexpr uint8_t kIpTcp = 6, kIpUdp = 17;

capsa_verdict verdict(Action a, uint32_t rule_id) {
  capsa_verdict v{};
  v.action = static_cast<uint8_t>(a);
  v.rule_id = rule_id;
  return v;
}

// Keeps the stronger of two verdicts for the same key.
void merge(capsa_verdict& into, const capsa_verdict& v) {
  if (into.rule_id == 0 || v.action > into.action) into = v;
}

class RuleIds {
public:
  explicit RuleIds(CompiledPolicy& out) : out_(out) {}
  uint32_t add(const char* kind, size_t index, const RuleBase& r) {
    uint32_t id = next_++;
    out_.rules[id] = {kind, r.name.empty() ? std::string(kind) + "[" + std::to_string(index) + "]" : r.name,
                      r.action};
    return id;
  }
  uint32_t add_default(const char* kind, uint8_t kind_code, Action a) {
    uint32_t id = CAPSA_RULE_DEFAULT_BASE + kind_code;
    out_.rules[id] = {kind, std::string(kind) + ".default", a};
    return id;
  }

private:
  CompiledPolicy& out_;
  uint32_t next_ = 1;
};

// ---- network: one LPM entry per (direction, protocol, prefix) ----

struct NetPrefix {
  uint8_t direction, protocol;
  std::array<uint8_t, 16> addr;  // masked to len bits
  int len;                       // 0..128, over the mapped address
  auto tie() const { return std::tie(direction, protocol, addr, len); }
  bool operator<(const NetPrefix& o) const { return tie() < o.tie(); }
};

std::array<uint8_t, 16> masked(const std::array<uint8_t, 16>& a, int len) {
  std::array<uint8_t, 16> out{};
  for (int i = 0; i < 16; ++i) {
    int bits = std::clamp(len - 8 * i, 0, 8);
    out[i] = bits == 0 ? 0 : static_cast<uint8_t>(a[i] & (0xff << (8 - bits)));
  }
  return out;
}

std::pair<std::array<uint8_t, 16>, int> mapped(const Cidr& c) {
  std::array<uint8_t, 16> a{};
  if (c.v6) {
    std::memcpy(a.data(), c.addr, 16);
    return {a, c.prefix_len};
  }
  a[10] = a[11] = 0xff;
  std::memcpy(a.data() + 12, c.addr, 4);
  return {a, 96 + c.prefix_len};
}

// IPv4 addresses are looked up as ::ffff:a.b.c.d, beneath this prefix.
constexpr std::array<uint8_t, 16> kV4Mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};

bool in_v4_space(const NetPrefix& k) { return k.len >= 96 && masked(k.addr, 96) == kV4Mapped; }

void compile_network(const Policy& p, RuleIds& ids, CompiledPolicy& out) {
  struct Entry {
    std::vector<capsa_port_range> ranges;      // for every address beneath
    std::vector<capsa_port_range> v6_ranges;   // for every IPv6 address beneath
    const SourceLoc* loc = nullptr;
  };
  std::map<NetPrefix, Entry> entries;
  for (size_t i = 0; i < p.network.rules.size(); ++i) {
    const auto& r = p.network.rules[i];
    uint32_t id = ids.add("network", i, r);
    std::vector<uint8_t> protos;
    if (r.protocol != Protocol::Udp) protos.push_back(kIpTcp);
    if (r.protocol != Protocol::Tcp) protos.push_back(kIpUdp);
    if (r.protocol == Protocol::Any) protos.push_back(CAPSA_NET_PROTO_OTHER);
    struct Prefix {
      std::array<uint8_t, 16> addr;
      int len;
      bool v6_only;
    };
    std::vector<Prefix> prefixes;
    for (const auto& c : r.cidrs) {
      auto [addr, len] = mapped(c);
      // An IPv6 CIDR (::/0, ::/64, ...) means IPv6 addresses, though the
      // mapped IPv4 space lies beneath it.
      prefixes.push_back({addr, len, c.v6 && len < 96 && masked(kV4Mapped, len) == masked(addr, len)});
    }
    if (prefixes.empty()) prefixes.push_back({{}, 0, false});  // no cidrs: every address, IPv4 too
    std::vector<PortRange> ports = r.ports.empty() ? std::vector<PortRange>{PortRange{}} : r.ports;
    for (uint8_t proto : protos) {
      for (const auto& px : prefixes) {
        uint8_t dir = static_cast<uint8_t>(r.direction == Direction::Bind ? CAPSA_NET_BIND : CAPSA_NET_EGRESS);
        auto& e = entries[NetPrefix{dir, proto, masked(px.addr, px.len), px.len}];
        if (!e.loc) e.loc = &r.loc;
        for (const auto& pr : ports) (px.v6_only ? e.v6_ranges : e.ranges).push_back({pr.lo, pr.hi, verdict(r.action, id)});
        // The mapped IPv4 space gets an entry of its own, so the longest
        // match for an IPv4 address stops there rather than at this one.
        if (px.v6_only) entries[NetPrefix{dir, proto, kV4Mapped, 96}];
      }
    }
  }
  // One longest-prefix lookup must see every rule that covers the address:
  // each entry also carries the ranges of the entries enclosing it.
  for (auto& [key, e] : entries) {
    bool v4 = in_v4_space(key);
    std::vector<capsa_port_range> all = e.ranges;
    all.insert(all.end(), e.v6_ranges.begin(), e.v6_ranges.end());
    const SourceLoc* blame = e.loc;  // none for the mapped space's own entry: an enclosing rule's
    for (int len = key.len - 1; len >= 0; --len) {
      NetPrefix up{key.direction, key.protocol, masked(key.addr, len), len};
      auto it = entries.find(up);
      if (it == entries.end()) continue;
      all.insert(all.end(), it->second.ranges.begin(), it->second.ranges.end());
      if (!v4) all.insert(all.end(), it->second.v6_ranges.begin(), it->second.v6_ranges.end());
      if (!blame && !it->second.ranges.empty()) blame = it->second.loc;
    }
    if (all.size() > CAPSA_NET_MAX_RANGES)
      throw PolicyError(*blame, "network rules: " + std::to_string(all.size()) +
                                    " port ranges apply to one address prefix; the kernel side holds at most " +
                                    std::to_string(CAPSA_NET_MAX_RANGES) + " (merge ranges or split the CIDRs)");
    capsa_net_key k{};
    k.prefixlen = 64 + key.len;
    k.policy_id = out.id;
    k.direction = key.direction;
    k.protocol = key.protocol;
    std::memcpy(k.addr, key.addr.data(), 16);
    capsa_net_value v{};
    v.nranges = static_cast<uint32_t>(all.size());
    std::copy(all.begin(), all.end(), v.ranges);
    out.net.emplace_back(k, v);
  }
}

// ---- sysctls: an LPM entry per name or name prefix ----

void compile_sysctls(const Policy& p, RuleIds& ids, CompiledPolicy& out) {
  std::map<std::string, std::pair<capsa_sysctl_value, const SourceLoc*>> entries;  // key bytes incl. NUL for exact
  for (size_t i = 0; i < p.sysctls.size(); ++i) {
    const auto& r = p.sysctls[i];
    uint32_t id = ids.add("sysctls", i, r);
    for (const auto& n : r.names) {
      std::string kname = swap_sysctl_separators(n.name);  // as the kernel names it
      kname += n.prefix ? std::string("/") : std::string(1, '\0');
      // The kernel's copy of a name is NUL-terminated within the key, so a
      // prefix (no NUL of its own) can use one byte less than an exact name.
      if (kname.size() > (n.prefix ? CAPSA_POLICY_SYSCTL_LEN - 1 : CAPSA_POLICY_SYSCTL_LEN))
        throw PolicyError(r.loc, "sysctl name \"" + n.name + "\" is longer than the " +
                                     std::to_string(CAPSA_POLICY_SYSCTL_LEN - 1) + " bytes the kernel side compares");
      auto& [v, loc] = entries[kname];
      if (!loc) loc = &r.loc;
      if (r.access & kSysctlRead) merge(v.read, verdict(r.action, id));
      if (r.access & kSysctlWrite) merge(v.write, verdict(r.action, id));
    }
  }
  for (const auto& [name, entry] : entries) {
    capsa_sysctl_value v = entry.first;
    for (const auto& [other, oentry] : entries) {
      if (other.size() < name.size() && other.back() == '/' && name.compare(0, other.size(), other) == 0) {
        if (oentry.first.read.rule_id) merge(v.read, oentry.first.read);
        if (oentry.first.write.rule_id) merge(v.write, oentry.first.write);
      }
    }
    capsa_sysctl_key k{};
    k.prefixlen = static_cast<uint32_t>(32 + 8 * name.size());
    k.policy_id = out.id;
    std::memcpy(k.name, name.data(), name.size());
    out.sysctl.emplace_back(k, v);
  }
}

void compile_devices(const Policy& p, RuleIds& ids, CompiledPolicy& out) {
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>, capsa_dev_value> entries;
  for (size_t i = 0; i < p.devices.size(); ++i) {
    const auto& r = p.devices[i];
    uint32_t id = ids.add("devices", i, r);
    uint32_t type = r.type == DeviceType::Char    ? CAPSA_DEV_TYPE_CHAR
                    : r.type == DeviceType::Block ? CAPSA_DEV_TYPE_BLOCK
                                                  : CAPSA_DEV_TYPE_ANY;
    // The kernel side looks up (major, minor), (major, *) and (*, *) only.
    if (!r.major && r.minor)
      throw PolicyError(r.loc, "device rule: a fixed minor needs a fixed major (major \"*\" with minor " +
                                   std::to_string(*r.minor) + " cannot be looked up)");
    auto& v = entries[{type, r.major.value_or(CAPSA_DEV_ANY), r.minor.value_or(CAPSA_DEV_ANY)}];
    for (int bit = 0; bit < 3; ++bit)
      if (r.access & (1 << bit)) merge(v.access[bit], verdict(r.action, id));
  }
  for (const auto& [t, v] : entries) {
    capsa_dev_key k{out.id, std::get<0>(t), std::get<1>(t), std::get<2>(t)};
    out.dev.emplace_back(k, v);
  }
}

void compile_syscalls(const Policy& p, RuleIds& ids, CompiledPolicy& out) {
  std::map<uint32_t, capsa_verdict> entries;
  for (size_t i = 0; i < p.syscalls.size(); ++i) {
    const auto& r = p.syscalls[i];
    uint32_t id = ids.add("syscalls", i, r);
    for (int nr : r.numbers) merge(entries[static_cast<uint32_t>(nr)], verdict(r.action, id));
  }
  for (const auto& [nr, v] : entries) out.syscalls.push_back({capsa_syscall_key{out.id, nr}, v});
}

}  // namespace

uint64_t kernel_dev(uint64_t st_dev) {
  return (static_cast<uint64_t>(major(st_dev)) << 20) | minor(st_dev);
}

CompiledPolicy compile_policy(const Policy& p, uint32_t id) {
  CompiledPolicy out;
  out.id = id;
  out.name = p.name;
  out.mode = p.mode;
  RuleIds ids(out);

  bool create_or_unlink = false;
  for (size_t i = 0; i < p.files.size(); ++i) {
    const auto& r = p.files[i];
    uint32_t rid = ids.add("files", i, r);
    // Landlock refuses what an opted-in policy denies (policy/landlock_rules.h);
    // an audit it cannot see.
    bool by_landlock = p.files_landlock && p.mode == Mode::Enforce && (r.action == Action::Deny || r.action == Action::Kill);
    create_or_unlink |= (r.access & (kFileCreate | kFileUnlink)) != 0 && !by_landlock;
    for (const auto& path : r.paths) out.file_paths.push_back({path, r.access, verdict(r.action, rid)});
  }
  if (create_or_unlink)
    out.unenforced["files.create,unlink"] =
        "create and unlink accesses are decided by BPF-LSM (inode_create, inode_unlink) only; on a host without "
        "it they are validated and listed, not enforced (read, write and exec are; deny and kill rules of a policy "
        "with files.landlock: true are refused by Landlock)";
  for (size_t i = 0; i < p.exec.rules.size(); ++i) {
    const auto& r = p.exec.rules[i];
    uint32_t rid = ids.add("exec", i, r);
    for (const auto& path : r.paths) out.exec_paths.push_back({path, verdict(r.action, rid)});
  }
  out.defaults.exec = verdict(p.exec.default_action, ids.add_default("exec", CAPSA_KIND_EXEC, p.exec.default_action));
  compile_network(p, ids, out);
  auto net_default = verdict(p.network.default_action,
                             ids.add_default("network", CAPSA_KIND_NETWORK, p.network.default_action));
  out.defaults.net_egress = net_default;
  out.defaults.net_bind = net_default;
  compile_sysctls(p, ids, out);
  compile_devices(p, ids, out);
  compile_syscalls(p, ids, out);
  return out;
}

namespace {

// (kernel dev, inode) of `path` inside root_fd, symlinks resolved without
// leaving it; nullopt (and the path added to *missing) when it is not there.
// The dev is the super block's of the mount the path ends on (`mounts`).
std::optional<std::pair<uint64_t, uint64_t>> inode_in_root(int root_fd, const std::string& path,
                                                           std::vector<std::string>* missing,
                                                           const std::vector<MountInfo>& mounts) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how)));
  struct statx stx {};
  if (!fd || ::statx(fd.get(), "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &stx) != 0) {
    if (missing) missing->push_back(path);
    return std::nullopt;
  }
  uint64_t dev = kernel_dev(makedev(stx.stx_dev_major, stx.stx_dev_minor));
  if (stx.stx_mask & STATX_MNT_ID)
    for (const auto& m : mounts)
      if (m.id == stx.stx_mnt_id) {
        dev = kernel_dev(m.dev);
        break;
      }
  return std::make_pair(dev, static_cast<uint64_t>(stx.stx_ino));
}

}  // namespace

std::vector<std::pair<capsa_inode_key, capsa_file_value>> resolve_files(const CompiledPolicy& compiled, int root_fd,
                                                                        std::vector<std::string>* missing,
                                                                        const std::vector<MountInfo>& mounts) {
  std::map<std::pair<uint64_t, uint64_t>, capsa_file_value> found;
  for (const auto& f : compiled.file_paths) {
    auto di = inode_in_root(root_fd, f.path.path, missing, mounts);
    if (!di) continue;
    auto& v = found[*di];
    for (int a = 0; a < CAPSA_FILE_NACCESS; ++a) {
      if (!(f.access & (1 << a))) continue;
      merge(v.self[a], f.verdict);
      if (f.path.prefix) merge(v.below[a], f.verdict);
    }
  }
  std::vector<std::pair<capsa_inode_key, capsa_file_value>> out;
  for (const auto& [di, v] : found) out.push_back({capsa_inode_key{compiled.id, 0, di.first, di.second}, v});
  return out;
}

std::vector<std::pair<capsa_inode_key, capsa_verdict>> resolve_exec(const CompiledPolicy& compiled, int root_fd,
                                                                    std::vector<std::string>* missing,
                                                                    const std::vector<MountInfo>& mounts) {
  std::map<std::pair<uint64_t, uint64_t>, capsa_verdict> found;
  for (const auto& e : compiled.exec_paths) {
    auto di = inode_in_root(root_fd, e.path.path, missing, mounts);
    if (di) merge(found[*di], e.verdict);
  }
  std::vector<std::pair<capsa_inode_key, capsa_verdict>> out;
  for (const auto& [di, v] : found) out.push_back({capsa_inode_key{compiled.id, 0, di.first, di.second}, v});
  return out;
}

}  // namespace capsa::policy
