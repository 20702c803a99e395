// User space's side of the counts the kernel keeps per container against a
// quota: the copies of cgroups (bpf/copy_counts.bpf.h), which the policy
// enforcer's and the telemetry's sweeps put right from the copies their maps
// hold, and the BPF-LSM file owners (pol_fowner_counts), which the policy
// enforcer's sweep puts right from the owners noted.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace capsa::bpf {

// Container's cgroup id -> what it holds; key 0 (copies only): in all.
using HeldCounts = std::map<uint64_t, int64_t>;

HeldCounts read_counts(int fd, const std::string& map_name);
// One count, 0 when the map has none.
int64_t copy_count_of(int fd, uint64_t container);
// Adds copies user space made to the container's count and to the total,
// not atomically with the kernel's own changes (a sweep puts that right).
// False, with errno, when a count could not be written.
bool count_copies_added(int fd, uint64_t container, int64_t added);

// Puts the counts behind fd right from `held`, what each live container
// holds as counted since `before` was read. The kernel changes
// the counts atomically as cgroups come and go: a count is rewritten only
// where it did not change meanwhile, as a write over such a change would
// lose it (one between the last read and the write may leave it off by one
// until the next sweep). The count of a container that is not live goes.
void settle_counts(int fd, const HeldCounts& before, const HeldCounts& held,
                        const std::function<bool(uint64_t container)>& live, const std::string& map_name);

}  // namespace capsa::bpf
