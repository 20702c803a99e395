// The Landlock tier for file rules (policy spec.files.landlock: true): a
// ruleset built and installed by the runtime in each process it starts in a
// container, after pivot_root and mounts, before exec.
//
// Landlock only allows: a handled access is refused unless a rule grants it
// beneath some path. A deny of access A under /secret/ is therefore written
// as grants of A beneath every sibling along the route / -> /secret (the
// entries that exist when the ruleset is built), and nothing on the route
// directories themselves. What that costs, on purpose and documented:
//   - entries created later directly in a route directory get no grant: A is
//     refused there too (for create/unlink rights, which Landlock checks on
//     the parent directory, creating or removing anything directly in a route
//     directory is refused);
//   - a read rule on a directory handles READ_DIR: route directories cannot
//     be listed;
//   - the ruleset is fixed for the life of the process: a later policy
//     version cannot relax it.
// Cross-directory renames and links keep working (REFER is granted
// everywhere, so Landlock only refuses those that would gain access).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/unique_fd.h"
#include "policy/landlock_rules.h"

namespace capsa::container {

// What capsad hands the runtime for one process: the policy's name (for
// messages), its deny and kill file rules, and whether the ruleset also
// confines the process to the container's root: every file access Landlock
// knows is then handled and granted only beneath "/", so nothing outside
// the root can be opened, executed, created or removed (the file-root
// confinement the BPF tier otherwise carries out by killing, after the open).
struct LandlockPlan {
  std::string policy;
  std::vector<policy::LandlockDeny> denies;
  bool log = false;  // capsad reads Landlock's audit records (--landlock-events)
  bool confine_root = false;
  uint64_t token = 0;  // capsad's name for this hand-out, sent back once installed
  // Filled by the runtime before the process is forked: the file systems
  // mounted in the runtime's (the host's) mount namespace, by device. A
  // grant on a mount of one of them can be used through the host's mount
  // too (see LandlockRuleset::root_gaps).
  std::set<dev_t> host_devices;
};

// Devices of the file systems mounted in the caller's mount namespace
// (/proc/self/mountinfo). Throws Error when it cannot be read.
std::set<dev_t> host_mounted_devices();

struct LandlockRuleset {
  std::string policy;
  UniqueFd fd;
  int abi = 0;
  bool log = false;                  // ask Landlock to log refusals (ABI 7)
  bool confine_root = false;         // every access handled, granted beneath "/" only
  uint64_t handled = 0;              // LANDLOCK_ACCESS_FS_* refused unless granted
  size_t grants = 0;                 // path-beneath rules in the ruleset
  std::vector<std::string> skipped;  // rule paths that do not exist in the root (as written)
  // Where root confinement by Landlock is weaker than the BPF tier's, which
  // judges the mount a file is reached through, not only its inode (a grant
  // names an inode, which a host descriptor may reach through the host's
  // own mount): a grant on a mount of a file system the host has mounted,
  // with mounts beneath it (a shared sysfs and its masked paths), whose
  // covered files a host descriptor would reach; or a denied path with a
  // second name (a hard link, another mount of its file system), by which
  // the deny does not hold. capsad keeps the BPF tier on for such a
  // container. Empty when not confine_root. (Write rights are never granted
  // on a read-only mount, so its files stay read-only that way too.)
  std::vector<std::string> root_gaps;
  uint64_t build_us = 0;             // time spent resolving paths and adding rules
  // {"policy", "abi", "root", "root_gaps", "grants", "skipped", "build_us"}:
  // what the runtime logs and reports to capsad.
  nlohmann::json summary() const;
};

// The highest Landlock ABI this kernel has; 0 when it has none (not built,
// or not in lsm=).
int landlock_abi();

// Called in the process that will run the program, once its root and mounts
// are final: rule paths are resolved in its "/" (symlinks followed inside
// it, the opened paths checked to contain none). `grant_write_fd`: an O_PATH
// fd the process still opens for writing once restricted (the init's exec
// fifo, outside the container's root), or -1. Throws Error naming the policy
// and the path when the kernel refuses or a path cannot be looked at.
LandlockRuleset build_landlock_ruleset(const LandlockPlan& plan, int grant_write_fd);

// landlock_restrict_self: needs no_new_privs or CAP_SYS_ADMIN, so it runs
// where the seccomp filters are loaded (container/process_setup.h).
void restrict_self(const LandlockRuleset& ruleset);

}  // namespace capsa::container
