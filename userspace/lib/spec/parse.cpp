#include "spec/parse.h"

#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "common/capabilities.h"
#include "common/error.h"
#include "common/file_util.h"
#include "spec/json_reader.h"
#include "spec/parse_resources.h"
#include "spec/parse_seccomp.h"
#include "spec/process_names.h"

namespace capsa::spec {

namespace {

constexpr const char* kNamespaceNames[] = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"};
constexpr NamespaceType kNamespaceTypes[] = {NamespaceType::Pid, NamespaceType::Network, NamespaceType::Mount,
                                             NamespaceType::Ipc, NamespaceType::Uts,     NamespaceType::User,
                                             NamespaceType::Cgroup, NamespaceType::Time};

constexpr const char* kRlimitNames[] = {
    "RLIMIT_CPU",    "RLIMIT_FSIZE",   "RLIMIT_DATA",   "RLIMIT_STACK",      "RLIMIT_CORE",     "RLIMIT_RSS",
    "RLIMIT_NPROC",  "RLIMIT_NOFILE",  "RLIMIT_MEMLOCK", "RLIMIT_AS",        "RLIMIT_LOCKS",    "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME"};

constexpr const char* kPropagations[] = {"", "private", "rprivate", "slave", "rslave",
                                         "shared", "rshared", "unbindable", "runbindable"};

bool absolute(const std::string& p) { return !p.empty() && p[0] == '/'; }

void parse_root(const JsonReader& top, Spec& s) {
  auto root = top.child("root");
  root.expect_object();
  s.root.path = root.str("path");
  if (s.root.path.empty()) root.fail_field("path", "must not be empty");
  s.root.readonly = root.boolean_or("readonly", false);
}

Capabilities parse_caps(const JsonReader& r) {
  r.expect_object();
  Capabilities c;
  auto set = [&](const char* key, std::vector<std::string>& out) {
    out = r.strings(key);
    for (size_t i = 0; i < out.size(); ++i)
      if (!capability_from_name(out[i]))
        r.fail_field(key, "[" + std::to_string(i) + "]: unknown capability \"" + out[i] + "\"");
  };
  set("bounding", c.bounding);
  set("effective", c.effective);
  set("inheritable", c.inheritable);
  set("permitted", c.permitted);
  set("ambient", c.ambient);
  return c;
}

// A name from `table`, or an error listing the ones expected.
uint64_t named_value(const JsonReader& r, const char* key, const std::vector<NamedValue>& table, const char* what) {
  std::string name = r.str(key);
  auto v = find_named(table, name);
  if (!v) r.fail_field(key, "unknown " + std::string(what) + " \"" + name + "\" (expected " + expected_names(table) + ")");
  return *v;
}

void check_names(const JsonReader& r, const char* key, const std::vector<std::string>& names,
                 const std::vector<NamedValue>& table, const char* what) {
  for (size_t i = 0; i < names.size(); ++i)
    if (!find_named(table, names[i]))
      r.child(key).at(i).fail("unknown " + std::string(what) + " \"" + names[i] + "\" (expected " +
                              expected_names(table) + ")");
}

IoPriority parse_io_priority(const JsonReader& r) {
  r.expect_object();
  IoPriority io;
  named_value(r, "class", ioprio_classes(), "class");
  io.io_class = r.str("class");
  auto prio = r.i64("priority", 0, 7);
  if (!prio) r.fail_field("priority", "required field missing (0 to 7)");
  io.priority = static_cast<int>(*prio);
  return io;
}

// runc's checks (libcontainer/configs/validate), plus the ranges and the
// deadline ordering the kernel would otherwise refuse with a bare EINVAL.
Scheduler parse_scheduler(const JsonReader& r) {
  r.expect_object();
  Scheduler s;
  named_value(r, "policy", sched_policies(), "policy");
  s.policy = r.str("policy");
  s.nice = static_cast<int>(r.i64("nice", -20, 19).value_or(0));
  s.flags = r.strings("flags");
  check_names(r, "flags", s.flags, sched_flags(), "scheduler flag");
  bool realtime = s.policy == "SCHED_FIFO" || s.policy == "SCHED_RR";
  if (r.has("priority")) {
    s.priority = static_cast<uint32_t>(*r.u64("priority", 99));
    if (s.priority != 0 && !realtime)
      r.fail_field("priority", "only SCHED_FIFO and SCHED_RR take a priority, not " + s.policy);
  }
  if (realtime && s.priority == 0) r.fail_field("priority", "required for " + s.policy + " (1 to 99)");
  s.runtime = r.u64("runtime").value_or(0);
  s.deadline = r.u64("deadline").value_or(0);
  s.period = r.u64("period").value_or(0);
  if (s.policy != "SCHED_DEADLINE") {
    for (const char* key : {"runtime", "deadline", "period"})
      if (r.u64(key).value_or(0) != 0) r.fail_field(key, "only SCHED_DEADLINE takes runtime, deadline and period");
    return s;
  }
  // The kernel's own bounds (__checkparam_dl): runtime at least 2^10 ns,
  // runtime <= deadline <= period (a period of 0 means the deadline).
  if (s.runtime < 1024) r.fail_field("runtime", "SCHED_DEADLINE needs a runtime of at least 1024 (nanoseconds)");
  if (s.deadline < s.runtime)
    r.fail_field("deadline", "must be at least the runtime (" + std::to_string(s.runtime) + "), got " +
                                 std::to_string(s.deadline));
  if (s.deadline >> 63) r.fail_field("deadline", "out of range");
  if (s.period != 0 && s.period < s.deadline)
    r.fail_field("period", "must be 0 or at least the deadline (" + std::to_string(s.deadline) + "), got " +
                               std::to_string(s.period));
  return s;
}

Process parse_process(const JsonReader& r) {
  r.expect_object();
  Process p;
  p.terminal = r.boolean_or("terminal", false);
  if (auto u = r.maybe("user")) {
    u->expect_object();
    p.user.uid = static_cast<uint32_t>(u->u64("uid", UINT32_MAX).value_or(0));
    p.user.gid = static_cast<uint32_t>(u->u64("gid", UINT32_MAX).value_or(0));
    if (auto m = u->u64("umask", 0777)) p.user.umask = static_cast<uint32_t>(*m);
    if (auto g = u->maybe("additionalGids")) {
      g->expect_array();
      for (size_t i = 0; i < g->size(); ++i) {
        const auto& v = g->json().at(i);
        if (!v.is_number_unsigned() || v.get<uint64_t>() > UINT32_MAX)
          g->at(i).fail("expected a gid (integer 0 to 4294967295)");
        p.user.additional_gids.push_back(v.get<uint32_t>());
      }
    }
  }
  auto args = r.maybe("args");
  if (!args) r.fail_field("args", "required field missing");
  p.args = r.strings("args");
  if (p.args.empty()) r.fail_field("args", "must not be empty");
  p.env = r.strings("env");
  for (size_t i = 0; i < p.env.size(); ++i)
    if (p.env[i].find('=') == std::string::npos || p.env[i][0] == '=')
      r.fail_field("env", "[" + std::to_string(i) + "]: expected NAME=value, got \"" + p.env[i] + "\"");
  p.cwd = r.str_or("cwd", "/");
  if (!absolute(p.cwd)) r.fail_field("cwd", "must be an absolute path, got \"" + p.cwd + "\"");
  if (auto c = r.maybe("capabilities")) p.capabilities = parse_caps(*c);
  if (auto rl = r.maybe("rlimits")) {
    rl->expect_array();
    for (size_t i = 0; i < rl->size(); ++i) {
      auto e = rl->at(i);
      e.expect_object();
      Rlimit lim;
      lim.type = e.str("type");
      bool known = false;
      for (auto n : kRlimitNames) known = known || lim.type == n;
      if (!known) e.fail_field("type", "unknown rlimit \"" + lim.type + "\"");
      lim.hard = e.u64("hard").value_or(0);
      lim.soft = e.u64("soft").value_or(0);
      if (lim.soft > lim.hard) e.fail("soft limit " + std::to_string(lim.soft) + " exceeds hard limit " + std::to_string(lim.hard));
      p.rlimits.push_back(lim);
    }
  }
  p.no_new_privileges = r.boolean_or("noNewPrivileges", false);
  if (auto o = r.i64("oomScoreAdj", -1000, 1000)) p.oom_score_adj = static_cast<int>(*o);
  if (auto io = r.maybe("ioPriority")) p.io_priority = parse_io_priority(*io);
  if (auto sc = r.maybe("scheduler")) p.scheduler = parse_scheduler(*sc);
  return p;
}

std::vector<IdMapping> parse_id_mappings(const JsonReader& r, const char* key);

void parse_mounts(const JsonReader& top, Spec& s) {
  auto ms = top.maybe("mounts");
  if (!ms) return;
  ms->expect_array();
  for (size_t i = 0; i < ms->size(); ++i) {
    auto m = ms->at(i);
    m.expect_object();
    Mount mount;
    mount.destination = m.str("destination");
    if (!absolute(mount.destination)) m.fail_field("destination", "must be an absolute path, got \"" + mount.destination + "\"");
    mount.type = m.str_or("type", "");
    mount.source = m.str_or("source", "");
    mount.options = m.strings("options");
    bool bind = mount.type == "bind";
    for (const auto& o : mount.options) {
      bind = bind || o == "bind" || o == "rbind";
      mount.idmap = mount.idmap || o == "idmap" || o == "ridmap";
      mount.idmap_recursive = mount.idmap_recursive || o == "ridmap";
    }
    mount.uid_mappings = parse_id_mappings(m, "uidMappings");
    mount.gid_mappings = parse_id_mappings(m, "gidMappings");
    bool has_maps = !mount.uid_mappings.empty() || !mount.gid_mappings.empty();
    if (has_maps && (mount.uid_mappings.empty() || mount.gid_mappings.empty()))
      m.fail_field(mount.uid_mappings.empty() ? "uidMappings" : "gidMappings",
                   "required with an id-mapped mount (both uidMappings and gidMappings)");
    mount.idmap = mount.idmap || has_maps;
    // As runc: only a bind mount's tree can be cloned and id-mapped.
    if (mount.idmap && !bind)
      m.fail(std::string(has_maps ? "uidMappings/gidMappings" : "\"idmap\"") +
             ": id-mapped mounts need a bind mount (type \"bind\" or option \"bind\"/\"rbind\")");
    s.mounts.push_back(std::move(mount));
  }
}

std::vector<Hook> parse_hook_list(const JsonReader& hooks, const char* kind) {
  std::vector<Hook> out;
  auto list = hooks.maybe(kind);
  if (!list) return out;
  list->expect_array();
  for (size_t i = 0; i < list->size(); ++i) {
    auto h = list->at(i);
    h.expect_object();
    Hook hook;
    hook.path = h.str("path");
    if (!absolute(hook.path)) h.fail_field("path", "must be an absolute path, got \"" + hook.path + "\"");
    hook.args = h.strings("args");
    hook.env = h.strings("env");
    for (size_t k = 0; k < hook.env.size(); ++k)
      if (hook.env[k].find('=') == std::string::npos || hook.env[k][0] == '=')
        h.fail_field("env", "[" + std::to_string(k) + "]: expected NAME=value, got \"" + hook.env[k] + "\"");
    if (h.has("timeout")) {
      auto t = h.i64("timeout", INT64_MIN, INT32_MAX);
      if (*t <= 0) h.fail_field("timeout", "must be a positive number of seconds, got " + std::to_string(*t));
      hook.timeout = static_cast<int>(*t);
    }
    out.push_back(std::move(hook));
  }
  return out;
}

Hooks parse_hooks(const JsonReader& r) {
  r.expect_object();
  Hooks h;
  h.prestart = parse_hook_list(r, "prestart");
  h.create_runtime = parse_hook_list(r, "createRuntime");
  h.create_container = parse_hook_list(r, "createContainer");
  h.start_container = parse_hook_list(r, "startContainer");
  h.poststart = parse_hook_list(r, "poststart");
  h.poststop = parse_hook_list(r, "poststop");
  return h;
}

std::optional<int64_t> limit_field(const JsonReader& r, const char* key) { return r.i64(key, -1, INT64_MAX); }

Resources parse_resources(const JsonReader& r) {
  r.expect_object();
  Resources res;
  if (auto ds = r.maybe("devices")) {
    ds->expect_array();
    for (size_t i = 0; i < ds->size(); ++i) {
      auto d = ds->at(i);
      d.expect_object();
      DeviceRule rule;
      if (!d.has("allow")) d.fail_field("allow", "required field missing");
      rule.allow = d.boolean_or("allow", false);
      rule.type = d.str_or("type", "a");
      if (rule.type != "a" && rule.type != "c" && rule.type != "b")
        d.fail_field("type", "expected \"a\", \"c\" or \"b\", got \"" + rule.type + "\"");
      rule.major = d.i64("major", -1, UINT32_MAX);
      rule.minor = d.i64("minor", -1, UINT32_MAX);
      rule.access = d.str_or("access", "rwm");
      // runc refuses an empty access too: it would grant or take away nothing.
      if (rule.access.empty()) d.fail_field("access", "must not be empty (a combination of r, w and m)");
      if (rule.access.find_first_not_of("rwm") != std::string::npos)
        d.fail_field("access", "expected a combination of r, w and m, got \"" + rule.access + "\"");
      res.devices.push_back(rule);
    }
  }
  if (auto m = r.maybe("memory")) {
    m->expect_object();
    MemoryResources mem;
    mem.limit = limit_field(*m, "limit");
    mem.reservation = limit_field(*m, "reservation");
    mem.swap = limit_field(*m, "swap");
    mem.kernel = limit_field(*m, "kernel");
    mem.swappiness = m->i64("swappiness", 0, 100);
    if (m->has("disableOOMKiller")) mem.disable_oom_killer = m->boolean_or("disableOOMKiller", false);
    res.memory = mem;
  }
  if (auto c = r.maybe("cpu")) {
    c->expect_object();
    CpuResources cpu;
    cpu.shares = c->u64("shares", 262144);
    cpu.quota = c->i64("quota", -1, INT64_MAX);
    cpu.period = c->u64("period", 1000000);
    cpu.realtime_runtime = c->i64("realtimeRuntime");
    cpu.realtime_period = c->u64("realtimePeriod");
    cpu.cpus = c->str_or("cpus", "");
    cpu.mems = c->str_or("mems", "");
    for (const char* key : {"cpus", "mems"}) {
      std::string v = c->str_or(key, "");
      if (v.find_first_not_of("0123456789,- ") != std::string::npos)
        c->fail_field(key, "expected a list such as \"0-3,5\", got \"" + v + "\"");
    }
    res.cpu = cpu;
  }
  if (auto p = r.maybe("pids")) {
    p->expect_object();
    auto limit = p->i64("limit", -1, INT64_MAX);
    if (!limit) p->fail_field("limit", "required field missing");
    if (*limit == 0) p->fail_field("limit", "must be positive, or -1 for no limit");
    res.pids = PidsResources{*limit};
  }
  if (auto b = r.maybe("blockIO")) res.block_io = parse_block_io(*b);
  if (auto h = r.maybe("hugepageLimits")) res.hugepage_limits = parse_hugepage_limits(*h);
  if (auto n = r.maybe("network")) res.network = parse_network(*n);
  if (auto rd = r.maybe("rdma")) res.rdma = parse_rdma(*rd);
  res.unified = r.string_map("unified");
  for (const auto& [k, v] : res.unified)
    if (k.empty() || k.find('/') != std::string::npos || k.find("..") != std::string::npos)
      r.fail_field("unified", "invalid cgroup file name \"" + k + "\"");
  return res;
}

std::vector<IdMapping> parse_id_mappings(const JsonReader& r, const char* key) {
  std::vector<IdMapping> out;
  auto ms = r.maybe(key);
  if (!ms) return out;
  ms->expect_array();
  // The kernel's limit on lines in uid_map and gid_map.
  if (ms->size() > 340) r.fail_field(key, "at most 340 mappings, got " + std::to_string(ms->size()));
  for (size_t i = 0; i < ms->size(); ++i) {
    auto m = ms->at(i);
    m.expect_object();
    IdMapping id;
    auto cid = m.u64("containerID", UINT32_MAX - 1);
    auto hid = m.u64("hostID", UINT32_MAX - 1);
    auto size = m.u64("size", UINT32_MAX);
    if (!cid) m.fail_field("containerID", "required");
    if (!hid) m.fail_field("hostID", "required");
    if (!size || *size == 0) m.fail_field("size", "required, at least 1");
    if (*cid + *size > UINT32_MAX || *hid + *size > UINT32_MAX)
      m.fail_field("size", "the range goes past the largest id 4294967294");
    id.container_id = static_cast<uint32_t>(*cid);
    id.host_id = static_cast<uint32_t>(*hid);
    id.size = static_cast<uint32_t>(*size);
    for (size_t j = 0; j < out.size(); ++j) {
      auto overlap = [](uint32_t a, uint32_t b, uint32_t n, uint32_t m2) { return a < b + m2 && b < a + n; };
      if (overlap(id.container_id, out[j].container_id, id.size, out[j].size))
        m.fail_field("containerID", "overlaps the container range of entry " + std::to_string(j));
      if (overlap(id.host_id, out[j].host_id, id.size, out[j].size))
        m.fail_field("hostID", "overlaps the host range of entry " + std::to_string(j));
    }
    out.push_back(id);
  }
  return out;
}

void parse_linux(const JsonReader& r, Spec& s) {
  r.expect_object();
  Linux l;
  if (auto ns = r.maybe("namespaces")) {
    ns->expect_array();
    std::set<std::string> seen;
    for (size_t i = 0; i < ns->size(); ++i) {
      auto n = ns->at(i);
      n.expect_object();
      std::string type = n.str("type");
      std::optional<NamespaceType> t;
      for (size_t k = 0; k < std::size(kNamespaceNames); ++k)
        if (type == kNamespaceNames[k]) t = kNamespaceTypes[k];
      if (!t)
        n.fail_field("type", "unknown namespace type \"" + type +
                                 "\" (expected one of: pid, network, mount, ipc, uts, user, cgroup, time)");
      if (!seen.insert(type).second) n.fail_field("type", "duplicate namespace type \"" + type + "\"");
      std::string path = n.str_or("path", "");
      if (!path.empty() && !absolute(path)) n.fail_field("path", "must be an absolute path, got \"" + path + "\"");
      l.namespaces.push_back({*t, path});
    }
  }
  l.uid_mappings = parse_id_mappings(r, "uidMappings");
  l.gid_mappings = parse_id_mappings(r, "gidMappings");
  if (auto to = r.maybe("timeOffsets")) {
    to->expect_object();
    for (const auto& [clock, v] : to->json().items()) {
      if (clock != "monotonic" && clock != "boottime")
        to->fail_field(clock.c_str(), "unknown clock (expected \"monotonic\" or \"boottime\")");
      auto o = to->child(clock.c_str());
      o.expect_object();
      TimeOffset off;
      off.secs = o.i64("secs").value_or(0);
      off.nanosecs = static_cast<uint32_t>(o.u64("nanosecs", 999999999).value_or(0));
      l.time_offsets[clock] = off;
    }
  }
  if (auto ds = r.maybe("devices")) {
    ds->expect_array();
    for (size_t i = 0; i < ds->size(); ++i) {
      auto d = ds->at(i);
      d.expect_object();
      Device dev;
      dev.path = d.str("path");
      if (!absolute(dev.path)) d.fail_field("path", "must be an absolute path");
      std::string type = d.str("type");
      if (type != "c" && type != "b" && type != "u" && type != "p")
        d.fail_field("type", "expected \"c\", \"b\", \"u\" or \"p\", got \"" + type + "\"");
      dev.type = type[0] == 'u' ? 'c' : type[0];
      if (type != "p") {
        auto major = d.i64("major", 0, UINT32_MAX);
        auto minor = d.i64("minor", 0, UINT32_MAX);
        if (!major) d.fail_field("major", "required for device type \"" + type + "\"");
        if (!minor) d.fail_field("minor", "required for device type \"" + type + "\"");
        dev.major = *major;
        dev.minor = *minor;
      }
      if (auto m = d.u64("fileMode", 07777)) dev.file_mode = static_cast<uint32_t>(*m);
      if (auto u = d.u64("uid", UINT32_MAX)) dev.uid = static_cast<uint32_t>(*u);
      if (auto g = d.u64("gid", UINT32_MAX)) dev.gid = static_cast<uint32_t>(*g);
      l.devices.push_back(dev);
    }
  }
  l.cgroups_path = r.str_or("cgroupsPath", "");
  if (auto res = r.maybe("resources")) l.resources = parse_resources(*res);
  l.sysctl = r.string_map("sysctl");
  for (const auto& [k, v] : l.sysctl)
    if (k.empty() || k.find('/') != std::string::npos || k.find("..") != std::string::npos)
      r.fail_field("sysctl", "invalid key \"" + k + "\"");
  l.masked_paths = r.strings("maskedPaths");
  l.readonly_paths = r.strings("readonlyPaths");
  for (const auto& p : l.masked_paths)
    if (!absolute(p)) r.fail_field("maskedPaths", "\"" + p + "\" is not an absolute path");
  for (const auto& p : l.readonly_paths)
    if (!absolute(p)) r.fail_field("readonlyPaths", "\"" + p + "\" is not an absolute path");
  if (auto sc = r.maybe("seccomp")) l.seccomp = parse_seccomp(*sc);
  if (auto pe = r.maybe("personality")) {
    pe->expect_object();
    Personality per;
    named_value(*pe, "domain", personality_domains(), "personality domain");
    per.domain = pe->str("domain");
    per.flags = pe->strings("flags");
    check_names(*pe, "flags", per.flags, personality_flags(), "personality flag");
    l.personality = per;
  }
  l.rootfs_propagation = r.str_or("rootfsPropagation", "");
  bool ok = false;
  for (auto p : kPropagations) ok = ok || l.rootfs_propagation == p;
  if (!ok) r.fail_field("rootfsPropagation", "unknown propagation \"" + l.rootfs_propagation + "\"");
  s.linux = std::move(l);
}

std::string line_col(std::string_view text, size_t byte) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

// Syntax errors give the line and column of the offending character.
nlohmann::json parse_document(std::string_view json_text, const std::string& origin) {
  try {
    return nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    std::string reason = e.what();
    auto pos = reason.find("syntax error");
    if (pos != std::string::npos) reason = reason.substr(pos);
    // byte is one past the offending character.
    throw Error(origin + ": invalid JSON at " + line_col(json_text, e.byte ? e.byte - 1 : 0) + ": " + reason);
  }
}

}  // namespace

// As runc 1.2 validates: mappings come with a user namespace, and a new one
// needs them; a joined one has its own, against which any mappings given
// (and the process's ids) are checked at create, when it can be read.
// Offsets go to a new time namespace, and the process's ids must exist in a
// new user namespace or setresuid fails later with a bare EINVAL.
static void check_user_and_time(const Spec& s, const std::string& origin) {
  const Linux& l = *s.linux;
  auto user = s.find_namespace(NamespaceType::User);
  bool new_user = user && user->path.empty();
  bool has_maps = !l.uid_mappings.empty() || !l.gid_mappings.empty();
  if (has_maps && !user)
    throw Error(origin + ": linux." + (l.uid_mappings.empty() ? "gidMappings" : "uidMappings") +
                ": set, but linux.namespaces has no user namespace");
  if (new_user && (l.uid_mappings.empty() || l.gid_mappings.empty()))
    throw Error(origin + ": linux." + (l.uid_mappings.empty() ? "uidMappings" : "gidMappings") +
                ": required with a new user namespace");
  auto time = s.find_namespace(NamespaceType::Time);
  if (!l.time_offsets.empty() && !(time && time->path.empty()))
    throw Error(origin + ": linux.timeOffsets: set, but linux.namespaces has no new time namespace");
  if (!new_user || !s.process) return;
  const auto& u = s.process->user;
  if (!id_mapped(l.uid_mappings, u.uid))
    throw Error(origin + ": process.user.uid: " + std::to_string(u.uid) + " is not mapped by linux.uidMappings");
  if (!id_mapped(l.gid_mappings, u.gid))
    throw Error(origin + ": process.user.gid: " + std::to_string(u.gid) + " is not mapped by linux.gidMappings");
  for (size_t i = 0; i < u.additional_gids.size(); ++i)
    if (!id_mapped(l.gid_mappings, u.additional_gids[i]))
      throw Error(origin + ": process.user.additionalGids[" + std::to_string(i) + "]: " +
                  std::to_string(u.additional_gids[i]) + " is not mapped by linux.gidMappings");
}

// "idmap"/"ridmap" without mappings of its own: the mount maps as the
// container's user namespace does, as under runc.
static void fill_idmapped_mounts(Spec& s, const std::string& origin) {
  for (size_t i = 0; i < s.mounts.size(); ++i) {
    auto& m = s.mounts[i];
    if (!m.idmap || !m.uid_mappings.empty()) continue;
    auto user = s.find_namespace(NamespaceType::User);
    if (!user || !user->path.empty() || !s.linux)
      throw Error(origin + ": mounts[" + std::to_string(i) + "].options: \"" + (m.idmap_recursive ? "ridmap" : "idmap") +
                  "\" without uidMappings/gidMappings takes the mappings of a new user namespace, and "
                  "linux.namespaces has none");
    m.uid_mappings = s.linux->uid_mappings;
    m.gid_mappings = s.linux->gid_mappings;
  }
}

// Fields capsa cannot honour yet, or that need a kernel feature this host
// lacks: refused with their name, never silently ignored.
static void reject_unsupported(const nlohmann::json& j, const std::string& origin) {
  struct Field {
    const char* section;
    const char* key;
    const char* why;
  };
  static const Field kFields[] = {
      {"linux", "intelRdt", "Intel RDT is not supported"},
      {"process", "apparmorProfile", "AppArmor is not an active LSM here"},
      {"process", "selinuxLabel", "SELinux is not an active LSM here"},
      {"linux", "mountLabel", "SELinux is not an active LSM here"},
  };
  for (const auto& f : kFields) {
    const nlohmann::json* obj = &j;
    if (f.section) {
      auto it = j.find(f.section);
      if (it == j.end() || !it->is_object()) continue;
      obj = &*it;
    }
    auto v = obj->find(f.key);
    if (v == obj->end() || v->is_null() || (v->is_object() && v->empty()) || (v->is_string() && v->get<std::string>().empty()))
      continue;
    throw Error(origin + ": " + (f.section ? std::string(f.section) + "." : "") + f.key + ": " + f.why);
  }
}

Spec parse_spec(std::string_view json_text, const std::string& origin) {
  nlohmann::json j = parse_document(json_text, origin);
  JsonReader top(j, "", origin);
  top.expect_object();
  Spec s;
  s.oci_version = top.str("ociVersion");
  parse_root(top, s);
  if (auto p = top.maybe("process")) s.process = parse_process(*p);
  s.hostname = top.str_or("hostname", "");
  s.domainname = top.str_or("domainname", "");
  parse_mounts(top, s);
  s.annotations = top.string_map("annotations");
  if (auto h = top.maybe("hooks")) s.hooks = parse_hooks(*h);
  if (auto l = top.maybe("linux")) parse_linux(*l, s);

  reject_unsupported(j, origin);
  if (s.linux && !s.has_namespace(NamespaceType::Mount))
    throw Error(origin + ": linux.namespaces: a mount namespace is required");
  auto uts = s.find_namespace(NamespaceType::Uts);
  bool new_uts = uts && uts->path.empty();
  if (!s.hostname.empty() && !new_uts) throw Error(origin + ": hostname: requires a new uts namespace");
  if (!s.domainname.empty() && !new_uts) throw Error(origin + ": domainname: requires a new uts namespace");
  if (s.linux) check_user_and_time(s, origin);
  fill_idmapped_mounts(s, origin);
  return s;
}

Process parse_process_json(std::string_view json_text, const std::string& origin) {
  nlohmann::json j = parse_document(json_text, origin);
  return parse_process(JsonReader(j, "", origin));
}

Resources parse_resources_json(std::string_view json_text, const std::string& origin) {
  nlohmann::json j = parse_document(json_text, origin);
  return parse_resources(JsonReader(j, "", origin));
}

Spec load_bundle_spec(const std::string& bundle_dir) {
  std::string path = bundle_dir + "/config.json";
  std::string text;
  try {
    text = read_file(path);
  } catch (const Error& e) {
    throw Error(path + ": " + errno_text(e.sys_errno() ? e.sys_errno() : EIO), e.sys_errno());
  }
  Spec s = parse_spec(text, path);
  std::string rootfs = rootfs_path(s, bundle_dir);
  struct stat st;
  if (::stat(rootfs.c_str(), &st) != 0) throw Error(path + ": root.path: " + rootfs + ": " + errno_text(errno), errno);
  if (!S_ISDIR(st.st_mode)) throw Error(path + ": root.path: " + rootfs + ": not a directory", ENOTDIR);
  return s;
}

std::string rootfs_path(const Spec& s, const std::string& bundle_dir) {
  std::filesystem::path p(s.root.path);
  if (p.is_relative()) p = std::filesystem::path(bundle_dir) / p;
  return p.lexically_normal().string();
}

}  // namespace capsa::spec
