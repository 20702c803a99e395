// The BPF file system, where programs, links and maps are pinned so they
// outlive the process that loaded them.
#pragma once

#include <string>

namespace capsa::bpf {

// Mounts bpffs at `path` unless something there already is bpffs.
void ensure_bpffs_mounted(const std::string& path = "/sys/fs/bpf");
bool is_bpffs(const std::string& path);

}  // namespace capsa::bpf
