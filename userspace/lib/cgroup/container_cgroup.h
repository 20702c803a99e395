// One container's cgroups: a directory in the cgroup2 hierarchy (its identity
// for BPF, and v2 limits where the controller lives there) and one in every
// v1 hierarchy (hybrid and legacy hosts), created, limited, joined and
// destroyed together. Serialisable so a later `capsa delete` can remove it.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cgroup/device_rules.h"
#include "cgroup/layout.h"
#include "spec/spec.h"

namespace capsa::cgroup {

// cgroupsPath -> the path below each hierarchy's root. Empty means
// "/capsa/<id>"; a relative path is relative to the caller's own cgroup in
// that hierarchy (self_paths: parse_proc_cgroup of /proc/self/cgroup).
// Throws for ".." components.
std::string resolve_cgroup_path(const std::string& cgroups_path, const std::string& id,
                                const std::map<std::string, std::string>& self_paths, const std::string& key);

// cpu.shares (v1, 2..262144) -> cpu.weight (v2, 1..10000), as runc converts.
uint64_t shares_to_weight(uint64_t shares);

// The processes in the cgroup directory `dir` (and in those beneath it with
// with_descendants); none once it is gone.
std::vector<pid_t> procs_of(const std::string& dir, bool with_descendants = false);
// The tasks (threads) in the cgroup directory `dir`, which a threaded
// cgroup lists where its cgroup.procs cannot be read; none once it is gone.
std::vector<pid_t> threads_of(const std::string& dir);

class ContainerCgroup {
public:
  // Creates the directories and applies the resources and device rules; on
  // failure removes whatever it created before rethrowing.
  static ContainerCgroup create(const Layout& layout, const std::string& cgroups_path, const std::string& id,
                                const spec::Resources* resources, const DevicePolicy* devices = nullptr);
  static ContainerCgroup from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;

  // skip_unified: the task is already in the cgroup2 directory (cloned
  // there with CLONE_INTO_CGROUP).
  void join(pid_t pid, bool skip_unified = false) const;
  // The cgroup2 directory (whose id the BPF programs see), if any.
  std::optional<std::string> unified_dir() const;
  // Where `controller`'s files are: the cgroup2 directory when the controller
  // lives there, else the one in its v1 hierarchy; nullopt when the host has
  // no such controller (or the container predates that hierarchy).
  std::optional<std::string> controller_dir(const Layout& layout, const std::string& controller) const;
  // The leaf directory in the hierarchy with this key ("" = cgroup2).
  std::optional<std::string> hierarchy_dir(const std::string& key) const;
  // The processes in the leaf (in the cgroup2 directory where there is one);
  // with_descendants: in the cgroups beneath it too.
  std::vector<pid_t> pids(bool with_descendants = false) const;
  // Writes the resources that are set, leaving the others as they are
  // (create, and `capsa update`). Errors name the linux.resources field.
  void apply(const Layout& layout, const spec::Resources& r) const;
  // Device access, before any task joins: v1's devices controller where the
  // host has one, else a cgroup/dev BPF program on the cgroup2 directory
  // (which goes with the directory). Not for `capsa update`: as in runc,
  // device rules are fixed at create.
  void apply_devices(const Layout& layout, const DevicePolicy& policy) const;
  // Kills what is left inside and removes every directory create() made.
  void destroy() const;

private:
  // hierarchy key ("" = cgroup2) -> leaf directory
  std::map<std::string, std::string> dirs_;
  // every directory create() made, parents before children
  std::vector<std::string> created_;
};

}  // namespace capsa::cgroup
