#include "cgroup/container_cgroup.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "bpf/device_filter.h"
#include "cgroup/blkio.h"
#include "cgroup/hugetlb.h"
#include "cgroup/net_rdma.h"
#include "common/error.h"
#include "common/file_util.h"

namespace capsa::cgroup {

namespace {

constexpr const char* kUnifiedKey = "";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Writes one control file; errors name the config field that asked for it.
void write_control(const std::string& dir, const std::string& file, const std::string& value,
                   const std::string& field) {
  try {
    write_file(dir + "/" + file, value);
  } catch (const Error& e) {
    std::string hint;
    // BFQ refuses per-device weights for a disk another scheduler drives.
    if (e.sys_errno() == EOPNOTSUPP && file.find("bfq.weight") != std::string::npos)
      hint = " (the device does not use the BFQ I/O scheduler: see /sys/dev/block/" +
             value.substr(0, value.find(' ')) + "/queue/scheduler)";
    throw Error(field + ": " + e.what() + hint, e.sys_errno());
  }
}

// Whether the cgroup2 directory can use `controller`: the parent must have
// delegated it (cgroup.subtree_control), or its files are missing.
bool v2_enabled(const std::string& dir, const std::string& controller) {
  std::istringstream in(read_file(dir + "/cgroup.controllers"));
  for (std::string c; in >> c;)
    if (c == controller) return true;
  return false;
}

std::string limit_value(int64_t v) { return v < 0 ? "max" : std::to_string(v); }

}  // namespace

std::string resolve_cgroup_path(const std::string& cgroups_path, const std::string& id,
                                const std::map<std::string, std::string>& self_paths, const std::string& key) {
  std::string path = cgroups_path.empty() ? "/capsa/" + id : cgroups_path;
  std::stringstream ss(path);
  for (std::string part; std::getline(ss, part, '/');)
    if (part == "..") throw Error("linux.cgroupsPath: \"" + cgroups_path + "\" must not contain \"..\"");
  if (path[0] != '/') {
    auto it = self_paths.find(key);
    std::string base = it == self_paths.end() ? "/" : it->second;
    path = (base == "/" ? "" : base) + "/" + path;
  }
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path == "/") throw Error("linux.cgroupsPath: the root cgroup cannot be a container's cgroup");
  return path;
}

uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

ContainerCgroup ContainerCgroup::create(const Layout& layout, const std::string& cgroups_path, const std::string& id,
                                        const spec::Resources* resources, const DevicePolicy* devices) {
  if (layout.kind() == LayoutKind::None) throw Error("no cgroup file system is mounted on this host");
  auto self = parse_proc_cgroup(read_file("/proc/self/cgroup"));
  ContainerCgroup cg;
  try {
    // With the default path, the /capsa parent is the runtime's own: the last
    // container to go removes it, whoever made it.
    bool runtime_parent = cgroups_path.empty();
    auto make = [&](const Hierarchy& h, const std::string& key, bool v1) {
      std::string rel = resolve_cgroup_path(cgroups_path, id, self, key);
      // A concurrent delete may remove a shared parent between our mkdirs
      // (ENOENT): walk the path again.
      for (int attempt = 0;; ++attempt) {
        std::string cur = h.mount_point;
        std::stringstream ss(rel);
        bool vanished = false;
        for (std::string part; std::getline(ss, part, '/') && !vanished;) {
          if (part.empty()) continue;
          std::string parent = cur;
          cur += "/" + part;
          bool leaf = cur.size() == h.mount_point.size() + rel.size();
          if (::mkdir(cur.c_str(), 0755) == 0) {
            cg.created_.push_back(cur);
            // A v1 cpuset cgroup starts with no cpus or mems and refuses
            // tasks (v2 inherits its parent's effective set).
            if (v1 && h.controllers.count("cpuset")) {
              for (const char* f : {"cpuset.cpus", "cpuset.mems"})
                if (trim(read_file(cur + "/" + f)).empty()) write_file(cur + "/" + f, trim(read_file(parent + "/" + f)));
            }
          } else if (errno == EEXIST) {
            if (leaf) throw Error("linux.cgroupsPath: cgroup " + cur + " already exists", EEXIST);
            if (runtime_parent) cg.created_.push_back(cur);
          } else if (errno == ENOENT && attempt < 5) {
            vanished = true;
          } else {
            throw_sys("linux.cgroupsPath: mkdir " + cur);
          }
        }
        if (!vanished) {
          cg.dirs_[key] = cur;
          return;
        }
      }
    };
    if (layout.unified) make(*layout.unified, kUnifiedKey, false);
    for (const auto& h : layout.v1) make(h, h.key(), true);
    if (layout.unified) {
      // Delegate what the root offers, so limits and stats work below us
      // (on hybrid hosts too: hugetlb, say, may be bound to cgroup2 there).
      std::string rel = cg.dirs_[kUnifiedKey].substr(layout.unified->mount_point.size());
      std::string cur = layout.unified->mount_point;
      std::stringstream ss(rel);
      std::vector<std::string> parts;
      for (std::string p; std::getline(ss, p, '/');)
        if (!p.empty()) parts.push_back(p);
      for (size_t i = 0; i + 1 <= parts.size(); ++i) {
        for (const char* c : {"cpu", "cpuset", "memory", "pids", "io", "hugetlb", "rdma"}) {
          if (!layout.v2_has(c)) continue;
          try {
            write_file(cur + "/cgroup.subtree_control", std::string("+") + c);
          } catch (const Error& e) {
            spdlog::debug("enable {} in {}: {}", c, cur, e.what());
          }
        }
        cur += "/" + parts[i];
      }
    }
    if (resources) cg.apply(layout, *resources);
    if (devices) cg.apply_devices(layout, *devices);
  } catch (...) {
    try {
      cg.destroy();
    } catch (const std::exception& e) {
      spdlog::error("cleaning up cgroups after a failed create: {}", e.what());
    }
    throw;
  }
  return cg;
}

void ContainerCgroup::apply(const Layout& layout, const spec::Resources& r) const {
  // v2 when the controller is in the cgroup2 hierarchy, else its v1 hierarchy
  // (v1 calls some by other names: blkio is v2's io).
  auto target = [&](const char* controller, const std::string& field,
                    const char* v1_controller = nullptr) -> std::pair<std::string, bool> {
    if (layout.v2_has(controller)) {
      const std::string& dir = dirs_.at(kUnifiedKey);
      if (!v2_enabled(dir, controller))
        throw Error(field + ": the " + controller + " controller is not enabled for cgroup " + dir +
                    " (its parent's cgroup.subtree_control lacks it)");
      return {dir, true};
    }
    const char* v1 = v1_controller ? v1_controller : controller;
    if (auto* h = layout.v1_with(v1)) return {dirs_.at(h->key()), false};
    throw Error(field + ": no " + controller + " controller on this host (neither cgroup v2 nor v1" +
                (v1_controller ? std::string(" ") + v1_controller : std::string()) + ")");
  };
  const std::string res = "linux.resources.";
  // These are planned, and checked against the host, before anything is
  // written: a bad device or page size leaves the cgroup as it was.
  std::vector<std::pair<std::string, ControlWrite>> planned;
  auto plan = [&](const std::string& dir, const std::vector<ControlWrite>& writes) {
    for (const auto& w : writes) planned.emplace_back(dir, w);
  };
  if (r.block_io) {
    const std::string f = res + "blockIO";
    const auto& b = *r.block_io;
    bool any = b.weight || b.leaf_weight || !b.weight_device.empty() || !b.throttle_read_bps.empty() ||
               !b.throttle_write_bps.empty() || !b.throttle_read_iops.empty() || !b.throttle_write_iops.empty();
    if (any) {
      check_block_devices(b, f);
      auto [dir, v2] = target("io", f, "blkio");
      plan(dir, block_io_writes(b, probe_blkio_files(dir, v2), f));
    }
  }
  if (!r.hugepage_limits.empty()) {
    const std::string f = res + "hugepageLimits";
    auto sizes = host_hugepage_sizes();
    check_hugepage_sizes(r.hugepage_limits, sizes, f);
    auto [dir, v2] = target("hugetlb", f);
    plan(dir, hugetlb_writes(r.hugepage_limits, sizes, v2,
                             [&, d = dir](const std::string& file) { return path_exists(d + "/" + file); }, f));
  }
  if (r.network) {
    // v1-only controllers. runc's cgroup v2 driver has no code for them and
    // drops the field; its v1 driver fails when the hierarchy is missing.
    const std::string f = res + "network";
    for (auto [controller, writes] : {std::pair{"net_cls", net_cls_writes(*r.network, f)},
                                      std::pair{"net_prio", net_prio_writes(*r.network, f)}}) {
      if (writes.empty()) continue;
      if (auto* h = layout.v1_with(controller))
        plan(dirs_.at(h->key()), writes);
      else if (layout.kind() == LayoutKind::Unified)
        spdlog::warn("{}: ignored, as by runc: cgroup v2 has no {} controller", writes[0].field, controller);
      else
        throw Error(writes[0].field + ": no " + controller + " controller on this host (no cgroup v1 " + controller +
                    " hierarchy is mounted)");
    }
  }
  if (!r.rdma.empty()) {
    auto [dir, v2] = target("rdma", res + "rdma");
    (void)v2;
    plan(dir, rdma_writes(r.rdma, res + "rdma"));
  }
  if (r.memory) {
    const auto& m = *r.memory;
    const std::string f = res + "memory";
    if (m.limit || m.reservation || m.swap || m.swappiness || m.disable_oom_killer) {
      auto [dir, v2] = target("memory", f);
      if (v2) {
        if (m.limit) write_control(dir, "memory.max", limit_value(*m.limit), f + ".limit");
        if (m.reservation) write_control(dir, "memory.low", limit_value(*m.reservation), f + ".reservation");
        if (m.swap) {
          // v1's swap is memory+swap; v2's memory.swap.max is swap alone.
          std::string v = "max";
          if (*m.swap >= 0) {
            if (!m.limit || *m.limit < 0 || *m.swap < *m.limit)
              throw Error(f + ".swap: must be at least memory.limit when both are set");
            v = std::to_string(*m.swap - *m.limit);
          }
          write_control(dir, "memory.swap.max", v, f + ".swap");
        }
        if (m.swappiness) throw Error(f + ".swappiness: not supported by cgroup v2");
        if (m.disable_oom_killer && *m.disable_oom_killer)
          throw Error(f + ".disableOOMKiller: not supported by cgroup v2");
      } else {
        if (m.limit) write_control(dir, "memory.limit_in_bytes", std::to_string(*m.limit), f + ".limit");
        if (m.reservation)
          write_control(dir, "memory.soft_limit_in_bytes", std::to_string(*m.reservation), f + ".reservation");
        if (m.swap) {
          if (!path_exists(dir + "/memory.memsw.limit_in_bytes"))
            throw Error(f + ".swap: this kernel has no swap accounting (memory.memsw.limit_in_bytes)");
          write_control(dir, "memory.memsw.limit_in_bytes", std::to_string(*m.swap), f + ".swap");
        }
        if (m.swappiness) write_control(dir, "memory.swappiness", std::to_string(*m.swappiness), f + ".swappiness");
        if (m.disable_oom_killer && *m.disable_oom_killer)
          write_control(dir, "memory.oom_control", "1", f + ".disableOOMKiller");
      }
    }
  }
  if (r.pids) {
    auto [dir, v2] = target("pids", res + "pids.limit");
    (void)v2;
    write_control(dir, "pids.max", limit_value(r.pids->limit), res + "pids.limit");
  }
  if (r.cpu) {
    const auto& c = *r.cpu;
    const std::string f = res + "cpu";
    if (c.shares || c.quota || c.period || c.realtime_runtime || c.realtime_period) {
      auto [dir, v2] = target("cpu", f);
      if (v2) {
        if (c.shares) write_control(dir, "cpu.weight", std::to_string(shares_to_weight(*c.shares)), f + ".shares");
        if (c.quota || c.period) {
          std::string quota = c.quota && *c.quota > 0 ? std::to_string(*c.quota) : "max";
          write_control(dir, "cpu.max", quota + " " + std::to_string(c.period.value_or(100000)), f + ".quota");
        }
        if (c.realtime_runtime || c.realtime_period) throw Error(f + ".realtimeRuntime: not supported by cgroup v2");
      } else {
        if (c.shares) write_control(dir, "cpu.shares", std::to_string(*c.shares), f + ".shares");
        if (c.period) write_control(dir, "cpu.cfs_period_us", std::to_string(*c.period), f + ".period");
        if (c.quota) write_control(dir, "cpu.cfs_quota_us", std::to_string(*c.quota > 0 ? *c.quota : -1), f + ".quota");
        if (c.realtime_period)
          write_control(dir, "cpu.rt_period_us", std::to_string(*c.realtime_period), f + ".realtimePeriod");
        if (c.realtime_runtime)
          write_control(dir, "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime), f + ".realtimeRuntime");
      }
    }
    if (!c.cpus.empty() || !c.mems.empty()) {
      auto [dir, v2] = target("cpuset", f + ".cpus");
      (void)v2;
      if (!c.cpus.empty()) write_control(dir, "cpuset.cpus", c.cpus, f + ".cpus");
      if (!c.mems.empty()) write_control(dir, "cpuset.mems", c.mems, f + ".mems");
    }
  }
  for (const auto& [dir, w] : planned) write_control(dir, w.file, w.value, w.field);
  if (!r.unified.empty()) {
    if (!layout.unified) throw Error(res + "unified: this host has no cgroup v2 hierarchy");
    for (const auto& [file, value] : r.unified)
      write_control(dirs_.at(kUnifiedKey), file, value, res + "unified[\"" + file + "\"]");
  }
}

void ContainerCgroup::apply_devices(const Layout& layout, const DevicePolicy& policy) const {
  const std::string field = "linux.resources.devices";
  if (auto* h = layout.v1_with("devices")) {
    const std::string& dir = dirs_.at(h->key());
    // The reset first: it clears whatever the new cgroup inherited.
    const char* reset_file = policy.default_allow ? "devices.allow" : "devices.deny";
    const char* exception_file = policy.default_allow ? "devices.deny" : "devices.allow";
    write_control(dir, reset_file, "a", field + ": \"a\"");
    for (const auto& e : policy.exceptions)
      write_control(dir, exception_file, e.to_string(), field + ": \"" + e.to_string() + "\"");
    return;
  }
  if (auto dir = unified_dir()) {
    auto filter = bpf::DeviceFilter::load(policy);
    filter.attach(*dir);
    spdlog::debug("device access program {} attached to {}", filter.prog_id(), *dir);
    return;
  }
  // Neither mechanism (a v1 host without the devices hierarchy mounted):
  // the defaults alone are not worth refusing the container for.
  if (policy.user_rules) throw Error(field + ": this host has neither a devices cgroup (v1) nor a cgroup v2 hierarchy");
  spdlog::warn("no devices cgroup and no cgroup v2 on this host: device access is not restricted");
}

void ContainerCgroup::join(pid_t pid, bool skip_unified) const {
  for (const auto& [key, dir] : dirs_)
    if (!(skip_unified && key == kUnifiedKey)) write_file(dir + "/cgroup.procs", std::to_string(pid));
}

std::optional<std::string> ContainerCgroup::unified_dir() const { return hierarchy_dir(kUnifiedKey); }

std::optional<std::string> ContainerCgroup::hierarchy_dir(const std::string& key) const {
  auto it = dirs_.find(key);
  if (it == dirs_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> ContainerCgroup::controller_dir(const Layout& layout, const std::string& controller) const {
  std::string key;
  if (layout.v2_has(controller))
    key = kUnifiedKey;
  else if (auto* h = layout.v1_with(controller))
    key = h->key();
  else
    return std::nullopt;
  auto it = dirs_.find(key);
  if (it == dirs_.end()) return std::nullopt;
  return it->second;
}

namespace {

void read_procs(const std::string& dir, bool with_descendants, std::vector<pid_t>& out) {
  std::string text;
  try {
    text = read_file(dir + "/cgroup.procs");
  } catch (const Error& e) {
    // ENOENT: removed while we looked. EOPNOTSUPP: a threaded cgroup,
    // whose processes its domain's cgroup.procs lists.
    if (e.sys_errno() != ENOENT && e.sys_errno() != EOPNOTSUPP) throw;
  }
  std::istringstream in(text);
  for (pid_t p; in >> p;) out.push_back(p);
  if (!with_descendants) return;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) read_procs(entry.path().string(), true, out);
}

// Removes the cgroups beneath dir, deepest first (exiting tasks may hold
// one a moment longer).
void remove_beneath(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_directory(ec) || entry.is_symlink(ec)) continue;
    const std::string sub = entry.path().string();
    remove_beneath(sub);
    for (int attempt = 0; ::rmdir(sub.c_str()) != 0 && errno == EBUSY && attempt < 200; ++attempt)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

std::vector<pid_t> procs_of(const std::string& dir, bool with_descendants) {
  std::vector<pid_t> out;
  read_procs(dir, with_descendants, out);
  return out;
}

std::vector<pid_t> threads_of(const std::string& dir) {
  std::vector<pid_t> out;
  std::istringstream in(read_file_if_exists(dir + "/cgroup.threads").value_or(""));
  for (pid_t t; in >> t;) out.push_back(t);
  return out;
}

std::vector<pid_t> ContainerCgroup::pids(bool with_descendants) const {
  if (dirs_.empty()) return {};
  auto it = dirs_.find(kUnifiedKey);
  return procs_of(it != dirs_.end() ? it->second : dirs_.begin()->second, with_descendants);
}

void ContainerCgroup::destroy() const {
  using namespace std::chrono;
  auto deadline = steady_clock::now() + seconds(5);
  for (const auto& [key, dir] : dirs_) {
    if (!path_exists(dir)) continue;
    // Cgroups the container made beneath its own (a writable cgroup mount)
    // hold processes too.
    for (;;) {
      std::vector<pid_t> procs;
      try {
        procs = procs_of(dir, /*with_descendants=*/true);
      } catch (const Error&) {
        break;
      }
      if (procs.empty()) break;
      if (path_exists(dir + "/cgroup.kill")) {
        write_file(dir + "/cgroup.kill", "1");
      } else {
        for (pid_t p : procs) ::kill(p, SIGKILL);
      }
      if (steady_clock::now() > deadline) throw Error("cgroup " + dir + ": processes still running after SIGKILL");
      std::this_thread::sleep_for(milliseconds(5));
    }
  }
  // Leaves first, then the parents we made; a parent that another
  // container still uses is kept (EBUSY / ENOTEMPTY).
  std::vector<std::string> order;
  for (const auto& [key, dir] : dirs_) order.push_back(dir);
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) order.push_back(*it);
  // Cgroups the container made in its own leaves go first; parents we
  // made are shared with other containers and are never walked.
  for (const auto& [key, dir] : dirs_) remove_beneath(dir);
  for (const auto& dir : order) {
    for (int attempt = 0;; ++attempt) {
      if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
      bool is_leaf = false;
      for (const auto& [k, d] : dirs_) is_leaf = is_leaf || d == dir;
      if (!is_leaf && (errno == EBUSY || errno == ENOTEMPTY)) break;
      if (errno != EBUSY || attempt > 200) throw_sys("remove cgroup " + dir);
      std::this_thread::sleep_for(milliseconds(5));  // exiting tasks still hold it
    }
  }
}

nlohmann::json ContainerCgroup::to_json() const {
  nlohmann::json dirs = nlohmann::json::object();
  for (const auto& [key, dir] : dirs_) dirs[key.empty() ? "unified" : key] = dir;
  return {{"dirs", dirs}, {"created", created_}};
}

ContainerCgroup ContainerCgroup::from_json(const nlohmann::json& j) {
  ContainerCgroup cg;
  try {
    for (auto& [key, dir] : j.at("dirs").items()) cg.dirs_[key == "unified" ? "" : key] = dir.get<std::string>();
    cg.created_ = j.at("created").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("corrupt cgroup state: ") + e.what());
  }
  return cg;
}

}  // namespace capsa::cgroup
