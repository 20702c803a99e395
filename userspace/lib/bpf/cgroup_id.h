// The 64-bit id the kernel gives a cgroup v2 directory: what
// bpf_get_current_cgroup_id() returns for tasks inside it.
#pragma once

#include <cstdint>
#include <string>

namespace capsa::bpf {

uint64_t cgroup_id_of(const std::string& cgroup_dir);

}  // namespace capsa::bpf
