#include "policy/parse.h"

#include <arpa/inet.h>
#include <limits.h>
#include <seccomp.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "common/file_util.h"

namespace capsa::policy {
namespace {

// A YAML node with the field path that names it in messages
// ("spec.exec.rules[0].paths") and where it was written.
struct Field {
  YAML::Node node;
  std::string path;
  SourceLoc loc;
};

SourceLoc loc_of(const YAML::Mark& m, const std::string& origin) {
  // yaml-cpp counts from 0 (and uses -1 for "no position").
  return SourceLoc{origin, std::max(m.line, 0) + 1, std::max(m.column, 0) + 1};
}

std::string where(const std::string& path) { return path.empty() ? "the document" : path; }

[[noreturn]] void fail(const Field& f, const std::string& what) {
  throw PolicyError(f.loc, (f.path.empty() ? "document" : f.path) + ": " + what);
}

std::string quote(const std::string& s) { return "\"" + s + "\""; }

std::string kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "the string " + quote(n.Scalar());
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// A mapping whose keys were checked up front: no duplicates and, unless
// the mapping is free-form (labels), only the keys the caller knows.
class Map {
public:
  Map(const Field& f, std::vector<std::string> allowed, bool free_form = false) : self_(f) {
    if (!f.node.IsMap()) fail(f, "expected a mapping, got " + kind_of(f.node));
    std::sort(allowed.begin(), allowed.end());
    for (auto it = f.node.begin(); it != f.node.end(); ++it) add(it->first, it->second, allowed, free_form);
  }

  const Field& self() const { return self_; }
  const std::vector<std::pair<std::string, Field>>& entries() const { return entries_; }

  std::optional<Field> get(const std::string& key) const {
    for (const auto& [k, v] : entries_)
      if (k == key) return v;
    return std::nullopt;
  }

  // Missing required fields are reported at the mapping that lacks them.
  Field need(const std::string& key) const {
    auto f = get(key);
    if (!f) fail(self_, "required field " + quote(key) + " missing");
    return *f;
  }

private:
  void add(const YAML::Node& k, const YAML::Node& v, const std::vector<std::string>& allowed, bool free_form) {
    SourceLoc kloc = loc_of(k.Mark(), self_.loc.file);
    if (!k.IsScalar()) throw PolicyError(kloc, "keys in " + where(self_.path) + " must be strings");
    const std::string& key = k.Scalar();
    if (get(key))
      throw PolicyError(kloc, "duplicate key " + quote(key) + " in " + where(self_.path));
    if (!free_form && !std::binary_search(allowed.begin(), allowed.end(), key))
      throw PolicyError(kloc, "unknown field " + quote(key) + " in " + where(self_.path) +
                                  " (expected one of: " + join(allowed, ", ") + ")");
    // A null value has no useful position of its own (yaml-cpp puts it at
    // the next token), so errors about it point at its key.
    SourceLoc vloc = v.IsNull() ? kloc : loc_of(v.Mark(), self_.loc.file);
    entries_.emplace_back(key, Field{v, self_.path.empty() ? key : self_.path + "." + key, vloc});
  }

  Field self_;
  std::vector<std::pair<std::string, Field>> entries_;
};

std::string scalar(const Field& f) {
  if (!f.node.IsScalar()) fail(f, "expected a string, got " + kind_of(f.node));
  return f.node.Scalar();
}

std::vector<Field> seq(const Field& f, const char* of_what) {
  if (!f.node.IsSequence()) fail(f, std::string("expected a sequence of ") + of_what + ", got " + kind_of(f.node));
  std::vector<Field> out;
  for (size_t i = 0; i < f.node.size(); ++i) {
    YAML::Node e = f.node[i];
    out.push_back(Field{e, f.path + "[" + std::to_string(i) + "]", e.IsNull() ? f.loc : loc_of(e.Mark(), f.loc.file)});
  }
  return out;
}

// A sequence of strings; `non_empty` for lists where "nothing" would be a
// rule that can never match (almost certainly a mistake).
std::vector<std::pair<std::string, Field>> strings(const Field& f, bool non_empty) {
  auto elems = seq(f, "strings");
  if (non_empty && elems.empty()) fail(f, "must list at least one entry");
  std::vector<std::pair<std::string, Field>> out;
  for (auto& e : elems) out.emplace_back(scalar(e), e);
  return out;
}

template <class T>
T one_of(const Field& f, std::initializer_list<std::pair<const char*, T>> choices) {
  std::string s = scalar(f);
  std::vector<std::string> names;
  for (const auto& [name, value] : choices) {
    if (s == name) return value;
    names.push_back(name);
  }
  fail(f, quote(s) + " is not one of: " + join(names, ", "));
}

bool boolean(const Field& f) {
  bool b = false;
  if (!f.node.IsScalar() || !YAML::convert<bool>::decode(f.node, b))
    fail(f, "expected true or false, got " + kind_of(f.node));
  return b;
}

// Plain decimal, no sign; nullopt when it is not that or exceeds `max`.
std::optional<uint64_t> decimal(const std::string& s, uint64_t max) {
  if (s.empty() || s.size() > 19 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v > max) return std::nullopt;
  return v;
}

Action action(const Field& f, bool allow_ok) {
  if (!allow_ok && f.node.IsScalar() && f.node.Scalar() == "allow")
    fail(f, "\"allow\" is only valid in exec and network rules (here: audit, deny, kill)");
  if (allow_ok)
    return one_of<Action>(f, {{"allow", Action::Allow}, {"audit", Action::Audit}, {"deny", Action::Deny}, {"kill", Action::Kill}});
  return one_of<Action>(f, {{"audit", Action::Audit}, {"deny", Action::Deny}, {"kill", Action::Kill}});
}

bool valid_rule_name(const std::string& s) {
  return !s.empty() && s.size() <= 63 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

// `allow_ok`: only exec and network rules may allow, because only there a
// section default of deny turns the rules into an allow-list.
void rule_base(const Map& m, RuleBase& r, bool allow_ok) {
  r.loc = m.self().loc;
  if (auto f = m.get("name")) {
    r.name = scalar(*f);
    if (!valid_rule_name(r.name)) fail(*f, "rule name " + quote(r.name) + " must be 1-63 of [A-Za-z0-9_.-]");
  }
  if (auto f = m.get("action")) r.action = action(*f, allow_ok);
}

std::vector<std::string> with_base(std::vector<std::string> keys) {
  keys.push_back("name");
  keys.push_back("action");
  return keys;
}

// ---- paths ----

PathPattern path_pattern(const Field& f) {
  std::string s = scalar(f);
  if (s.find('\0') != std::string::npos) fail(f, "path contains a NUL byte");
  if (s.empty() || s[0] != '/') fail(f, quote(s) + " is not an absolute path");
  if (s.find("//") != std::string::npos) fail(f, quote(s) + " contains \"//\"; write the path normalised");
  // Paths name files (resolved to inodes), not patterns: a glob would be
  // looked up as written and match nothing.
  // ("[" is left alone: /usr/bin/[ is a program.)
  if (s.find_first_of("*?") != std::string::npos)
    fail(f, quote(s) + ": paths take no wildcards (* or ?); a path ending in \"/\" covers everything beneath it");
  if (s.size() >= PATH_MAX) fail(f, "path is " + std::to_string(s.size()) + " bytes long, longer than the kernel's " + std::to_string(PATH_MAX - 1));
  size_t start = 1;
  while (start < s.size()) {
    size_t end = s.find('/', start);
    if (end == std::string::npos) end = s.size();
    std::string comp = s.substr(start, end - start);
    if (comp == "." || comp == "..")
      fail(f, quote(s) + " has a \"" + comp + "\" component; write the path normalised (no \".\" or \"..\")");
    if (comp.size() > NAME_MAX)
      fail(f, quote(s) + ": component of " + std::to_string(comp.size()) + " bytes, longer than the kernel's " + std::to_string(NAME_MAX));
    start = end + 1;
  }
  PathPattern p;
  p.prefix = s.back() == '/';
  if (p.prefix && s.size() > 1) s.pop_back();
  p.path = s;
  return p;
}

std::vector<PathPattern> path_list(const Field& f) {
  std::vector<PathPattern> out;
  for (auto& [s, e] : strings(f, true)) out.push_back(path_pattern(e));
  return out;
}

// Access words → bits; each word at most once, at least one word.
uint8_t access_bits(const Field& f, std::initializer_list<std::pair<const char*, uint8_t>> words) {
  uint8_t bits = 0;
  for (auto& [s, e] : strings(f, true)) {
    uint8_t bit = one_of<uint8_t>(e, words);
    if (bits & bit) fail(e, "duplicate access " + quote(s));
    bits |= bit;
  }
  return bits;
}

// ---- network ----

Cidr cidr(const Field& f) {
  Cidr c;
  c.text = scalar(f);
  const std::string& s = c.text;
  size_t slash = s.find('/');
  std::string addr = s.substr(0, slash);
  c.v6 = addr.find(':') != std::string::npos;
  int max_len = c.v6 ? 128 : 32;
  if (::inet_pton(c.v6 ? AF_INET6 : AF_INET, addr.c_str(), c.addr) != 1)
    fail(f, quote(s) + " is not an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8, fd00::/64)");
  c.prefix_len = static_cast<uint8_t>(max_len);
  if (slash != std::string::npos) {
    auto len = decimal(s.substr(slash + 1), static_cast<uint64_t>(max_len));
    if (!len || s.size() - slash - 1 > 3)
      fail(f, quote(s) + ": prefix length must be 0.." + std::to_string(max_len) + (c.v6 ? " for IPv6" : " for IPv4"));
    c.prefix_len = static_cast<uint8_t>(*len);
  }
  uint8_t masked[16] = {};
  for (int i = 0; i < max_len / 8; ++i) {
    int bits = std::clamp(c.prefix_len - i * 8, 0, 8);
    masked[i] = static_cast<uint8_t>(c.addr[i] & (0xff00 >> bits));
  }
  if (std::memcmp(masked, c.addr, sizeof masked) != 0) {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(c.v6 ? AF_INET6 : AF_INET, masked, buf, sizeof buf);
    fail(f, s + ": host bits set (did you mean " + buf + "/" + std::to_string(c.prefix_len) + "?)");
  }
  return c;
}

PortRange port_range(const Field& f) {
  if (!f.node.IsScalar()) fail(f, "expected a port or \"lo-hi\" range, got " + kind_of(f.node));
  std::string s = f.node.Scalar();
  size_t dash = s.find('-');
  std::string lo_s = s.substr(0, dash), hi_s = dash == std::string::npos ? lo_s : s.substr(dash + 1);
  auto lo = decimal(lo_s, UINT64_MAX), hi = decimal(hi_s, UINT64_MAX);
  if (!lo || !hi) fail(f, quote(s) + " is not a port or a port range (e.g. 80 or \"8000-8100\")");
  if (*lo > 65535 || *hi > 65535) fail(f, "port " + quote(s) + " out of range (0..65535)");
  if (*lo > *hi) fail(f, "port range " + quote(s) + ": low end above high end");
  return PortRange{static_cast<uint16_t>(*lo), static_cast<uint16_t>(*hi)};
}

NetworkRule network_rule(const Map& m) {
  NetworkRule r;
  rule_base(m, r, true);
  if (auto f = m.get("direction")) r.direction = one_of<Direction>(*f, {{"egress", Direction::Egress}, {"bind", Direction::Bind}});
  if (auto f = m.get("protocol"))
    r.protocol = one_of<Protocol>(*f, {{"tcp", Protocol::Tcp}, {"udp", Protocol::Udp}, {"any", Protocol::Any}});
  // An empty list would read as the field left out, which means "all":
  // leaving it out is the one way to say that.
  if (auto f = m.get("cidrs"))
    for (auto& [s, e] : strings(*f, true)) r.cidrs.push_back(cidr(e));
  if (auto f = m.get("ports")) {
    auto ports = seq(*f, "ports");
    if (ports.empty()) fail(*f, "must list at least one port or range (leave \"ports\" out for every port)");
    for (auto& e : ports) r.ports.push_back(port_range(e));
  }
  return r;
}

// ---- sysctls, devices, syscalls ----

// Two spellings, told apart as sysctl(8) does, by the first separator:
// "net/ipv4/conf/eth0.100/rp_filter" as under /proc/sys (a dot is part of a
// component), or "net.ipv4.conf.eth0/100.rp_filter" (a slash stands for a
// dot within a component). Kept in the second.
SysctlPattern sysctl_pattern(const Field& f) {
  std::string s = scalar(f);
  if (size_t sep = s.find_first_of("./"); sep != std::string::npos && s[sep] == '/') s = swap_sysctl_separators(s);
  SysctlPattern p;
  if (s.size() > 2 && s.ends_with(".*")) {
    p.prefix = true;
    s.resize(s.size() - 2);
  }
  bool ok = std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == '/';
  });
  // Every component has a name: none empty, none only "/" (the kernel's
  // "." or "..").
  for (size_t start = 0; ok && start <= s.size();) {
    size_t end = std::min(s.find('.', start), s.size());
    std::string_view comp(s.data() + start, end - start);
    ok = comp.find_first_not_of('/') != std::string_view::npos;
    start = end + 1;
  }
  if (!ok)
    fail(f, quote(f.node.Scalar()) + " is not a sysctl name (dotted components of [A-Za-z0-9_-], a dot within one "
                                     "written /, optionally ending in \".*\"; or the /proc/sys path form)");
  p.name = s;
  return p;
}

// max: the kernel's dev_t holds 12 bits of major and 20 of minor (which also
// keeps a number clear of CAPSA_DEV_ANY, the wildcard in the map's keys).
std::optional<uint32_t> device_number(const Field& f, uint32_t max) {
  std::string s = scalar(f);
  if (s == "*") return std::nullopt;
  auto v = decimal(s, UINT32_MAX);
  if (!v) fail(f, "expected a device number or \"*\", got " + quote(s));
  if (*v > max) fail(f, "device number " + s + " out of range (0.." + std::to_string(max) + ")");
  return static_cast<uint32_t>(*v);
}

uint8_t device_access(const Field& f) {
  std::string s = scalar(f);
  if (s.empty()) fail(f, "access must have at least one of r, w, m");
  uint8_t bits = 0;
  for (char c : s) {
    uint8_t bit = c == 'r' ? kDevRead : c == 'w' ? kDevWrite : c == 'm' ? kDevMknod : 0;
    if (!bit) fail(f, quote(s) + ": access letters are r, w and m");
    if (bits & bit) fail(f, quote(s) + ": letter '" + std::string(1, c) + "' given twice");
    bits |= bit;
  }
  return bits;
}

DeviceRule device_rule(const Map& m) {
  DeviceRule r;
  rule_base(m, r, false);
  if (auto f = m.get("type"))
    r.type = one_of<DeviceType>(*f, {{"a", DeviceType::All}, {"c", DeviceType::Char}, {"b", DeviceType::Block}});
  if (auto f = m.get("major")) r.major = device_number(*f, 4095);
  if (auto f = m.get("minor")) r.minor = device_number(*f, 1048575);
  if (auto f = m.get("access")) r.access = device_access(*f);
  return r;
}

SyscallRule syscall_rule(const Map& m) {
  SyscallRule r;
  rule_base(m, r, false);
  for (auto& [s, e] : strings(m.need("names"), true)) {
    // Negative results include libseccomp's pseudo-numbers for syscalls
    // that exist only on other architectures: not enforceable here.
    int nr = ::seccomp_syscall_resolve_name(s.c_str());
    if (nr < 0) fail(e, "unknown syscall " + quote(s) + " (not in this architecture's syscall table)");
    r.names.push_back(s);
    r.numbers.push_back(nr);
  }
  return r;
}

// ---- sections ----

// Runs `one` on every element of the section's "rules" sequence.
template <class Rule, class Fn>
std::vector<Rule> rules(const Map& section, const std::vector<std::string>& keys, Fn one) {
  std::vector<Rule> out;
  auto f = section.get("rules");
  if (!f) return out;
  for (auto& e : seq(*f, "rules (mappings)")) out.push_back(one(Map(e, with_base(keys))));
  return out;
}

Action section_default(const Map& section) {
  auto f = section.get("default");
  return f ? action(*f, true) : Action::Allow;
}

void files_section(const Field& f, Policy& p) {
  Map sec(f, {"landlock", "rules"});
  if (auto l = sec.get("landlock")) p.files_landlock = boolean(*l);
  p.files = rules<FileRule>(sec, {"paths", "access"}, [](const Map& m) {
    FileRule r;
    rule_base(m, r, false);
    r.paths = path_list(m.need("paths"));
    r.access = access_bits(m.need("access"), {{"read", kFileRead},
                                              {"write", kFileWrite},
                                              {"exec", kFileExec},
                                              {"create", kFileCreate},
                                              {"unlink", kFileUnlink}});
    return r;
  });
}

void exec_section(const Field& f, Policy& p) {
  Map sec(f, {"default", "rules"});
  p.exec.default_action = section_default(sec);
  p.exec.rules = rules<ExecRule>(sec, {"paths"}, [](const Map& m) {
    ExecRule r;
    rule_base(m, r, true);
    r.paths = path_list(m.need("paths"));
    return r;
  });
}

void network_section(const Field& f, Policy& p) {
  Map sec(f, {"default", "rules"});
  p.network.default_action = section_default(sec);
  p.network.rules = rules<NetworkRule>(sec, {"direction", "protocol", "cidrs", "ports"}, network_rule);
}

void sysctls_section(const Field& f, Policy& p) {
  Map sec(f, {"rules"});
  p.sysctls = rules<SysctlRule>(sec, {"names", "access"}, [](const Map& m) {
    SysctlRule r;
    rule_base(m, r, false);
    for (auto& [s, e] : strings(m.need("names"), true)) r.names.push_back(sysctl_pattern(e));
    if (auto a = m.get("access")) r.access = access_bits(*a, {{"read", kSysctlRead}, {"write", kSysctlWrite}});
    return r;
  });
}

void devices_section(const Field& f, Policy& p) {
  Map sec(f, {"rules"});
  p.devices = rules<DeviceRule>(sec, {"type", "major", "minor", "access"}, device_rule);
}

void syscalls_section(const Field& f, Policy& p) {
  Map sec(f, {"rules"});
  p.syscalls = rules<SyscallRule>(sec, {"names"}, syscall_rule);
}

// ---- top level ----

bool valid_policy_name(const std::string& s) {
  auto inner = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'; };
  auto edge = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return !s.empty() && s.size() <= 63 && edge(s.front()) && edge(s.back()) && std::all_of(s.begin(), s.end(), inner);
}

void string_map(const Field& f) {
  Map m(f, {}, true);
  for (const auto& [k, v] : m.entries()) scalar(v);
}

void metadata(const Field& f, Policy& p) {
  Map md(f, {"name", "labels", "annotations"});
  Field name = md.need("name");
  p.name = scalar(name);
  if (!valid_policy_name(p.name))
    fail(name, quote(p.name) + " is not a valid policy name (at most 63 of [a-z0-9.-], starting and ending alphanumeric)");
  if (auto l = md.get("labels")) string_map(*l);
  if (auto a = md.get("annotations")) string_map(*a);
}

void selector(const Field& f, Policy& p) {
  Map sel(f, {"containers"});
  if (auto c = sel.get("containers"))
    for (auto& [s, e] : strings(*c, false)) {
      if (s.empty()) fail(e, "empty container glob");
      p.container_globs.push_back(s);
    }
}

void spec(const Field& f, Policy& p) {
  Map s(f, {"mode", "default", "selector", "files", "exec", "network", "sysctls", "devices", "syscalls"});
  if (auto m = s.get("mode")) p.mode = one_of<Mode>(*m, {{"enforce", Mode::Enforce}, {"audit", Mode::Audit}});
  if (auto d = s.get("default")) p.is_default = boolean(*d);
  if (auto x = s.get("selector")) selector(*x, p);
  if (auto x = s.get("files")) files_section(*x, p);
  if (auto x = s.get("exec")) exec_section(*x, p);
  if (auto x = s.get("network")) network_section(*x, p);
  if (auto x = s.get("sysctls")) sysctls_section(*x, p);
  if (auto x = s.get("devices")) devices_section(*x, p);
  if (auto x = s.get("syscalls")) syscalls_section(*x, p);
}

Policy document(const YAML::Node& doc, const std::string& origin) {
  Field root{doc, "", loc_of(doc.Mark(), origin)};
  Map top(root, {"apiVersion", "kind", "metadata", "spec"});
  Policy p;
  p.loc = root.loc;
  p.source_file = origin;
  Field av = top.need("apiVersion");
  p.api_version = scalar(av);
  if (p.api_version != "capsa.io/v1") fail(av, "unsupported apiVersion " + quote(p.api_version) + " (expected capsa.io/v1)");
  Field kind = top.need("kind");
  if (scalar(kind) != "Policy") fail(kind, "unsupported kind " + quote(kind.node.Scalar()) + " (expected Policy)");
  metadata(top.need("metadata"), p);
  spec(top.need("spec"), p);
  return p;
}

// The first alias (*name) of a text, if any. yaml-cpp gives an alias's node
// the position of its anchor, so an error found in it would point at the
// anchor, elsewhere in the file: policy files take no aliases.
class FirstAlias : public YAML::EventHandler {
public:
  std::optional<YAML::Mark> mark;
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override {
    if (!mark) mark = m;
  }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

std::vector<YAML::Node> load_all(const std::string& text, const std::string& origin) {
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    FirstAlias alias;
    while (!alias.mark && parser.HandleNextDocument(alias)) {
    }
    if (alias.mark)
      throw PolicyError(loc_of(*alias.mark, origin),
                        "YAML aliases (*name) are not taken in policy files: write the value out (an error in it "
                        "could not be shown where it is used)");
    return YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    throw PolicyError(loc_of(e.mark, origin), e.msg);
  }
}

}  // namespace

Policy parse_policy(const std::string& text, const std::string& origin) {
  auto docs = load_all(text, origin);
  if (docs.empty()) throw PolicyError(SourceLoc{origin, 1, 1}, "empty policy file (expected one YAML document)");
  if (docs.size() > 1)
    throw PolicyError(loc_of(docs[1].Mark(), origin), "a second YAML document; a policy file holds exactly one");
  try {
    return document(docs[0], origin);
  } catch (const YAML::Exception& e) {  // defensive: node access should not throw
    throw PolicyError(loc_of(e.mark, origin), e.msg);
  }
}

Policy load_policy_file(const std::string& path) { return parse_policy(read_file(path), path); }

}  // namespace capsa::policy
