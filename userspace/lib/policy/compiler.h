// Turns a parsed Policy into the entries of the BPF maps in bpf/policy.h,
// under one policy id. Everything that can be decided without a container is
// decided here; exec paths are resolved to inodes per container by
// resolve_exec(), since each container has its own root.
//
// Semantics, the same for every kind: all rules that match an operation are
// considered and the strongest action wins (kill > deny > audit > allow); a
// section's default applies only when no rule matches, so `allow` rules carve
// exceptions out of a `deny` default.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/mountinfo.h"
#include "policy.h"
#include "policy/model.h"

namespace capsa::policy {

struct RuleInfo {
  std::string kind;  // "exec", "network", ...
  std::string name;  // the rule's name, or "<kind>[<index>]", or "<kind>.default"
  Action action = Action::Deny;
};

struct ExecPath {
  PathPattern path;
  capsa_verdict verdict{};
};

// A file rule's path with the verdict of each access it names.
struct FilePath {
  PathPattern path;
  uint8_t access = 0;  // FileAccess bits (same order as enum capsa_file_access)
  capsa_verdict verdict{};
};

struct CompiledPolicy {
  uint32_t id = 0;
  std::string name;
  Mode mode = Mode::Enforce;
  capsa_policy_defaults defaults{};
  std::vector<ExecPath> exec_paths;
  std::vector<FilePath> file_paths;
  std::vector<std::pair<capsa_net_key, capsa_net_value>> net;
  std::vector<std::pair<capsa_sysctl_key, capsa_sysctl_value>> sysctl;
  std::vector<std::pair<capsa_dev_key, capsa_dev_value>> dev;
  std::vector<std::pair<capsa_syscall_key, capsa_verdict>> syscalls;
  std::map<uint32_t, RuleInfo> rules;  // by rule id, defaults included
  // Rule kinds this build cannot enforce on this kernel, with the reason.
  std::map<std::string, std::string> unenforced;
};

// Throws PolicyError (at the offending rule) when a limit of the kernel side
// is exceeded, e.g. more overlapping port ranges than a map value holds.
CompiledPolicy compile_policy(const Policy& policy, uint32_t id);

// The exec entries for one container: each path looked up inside root_fd
// (the container's root directory) without leaving it. Paths that do not
// exist there are listed in `missing` and skipped: a file created later is
// covered at the next resolution (capsad re-resolves on every sync).
//
// mounts: the mounts of the namespace root_fd's paths go through (the
// container's /proc/PID/mountinfo): an inode's device is its mount's super
// block's, as the kernel side reads it (d_sb->s_dev); a file's st_dev may be
// another (btrfs subvolumes, overlayfs over several file systems). A mount
// not listed falls back to st_dev.
std::vector<std::pair<capsa_inode_key, capsa_verdict>> resolve_exec(const CompiledPolicy& compiled, int root_fd,
                                                                    std::vector<std::string>* missing,
                                                                    const std::vector<MountInfo>& mounts = {});

// The file entries for one container, resolved like resolve_exec(); rules
// on the same inode merge, strongest action per access.
std::vector<std::pair<capsa_inode_key, capsa_file_value>> resolve_files(const CompiledPolicy& compiled, int root_fd,
                                                                        std::vector<std::string>* missing,
                                                                        const std::vector<MountInfo>& mounts = {});

// The kernel's internal dev_t (major << 20 | minor) of a stat(2) st_dev.
uint64_t kernel_dev(uint64_t st_dev);

}  // namespace capsa::policy
