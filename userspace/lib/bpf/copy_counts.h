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

// Sweeps in a row that found a container's count changed by the kernel
// while they counted; the caller keeps it from one sweep to the next.
using SettleDeferrals = std::map<uint64_t, int>;
// How many such sweeps leave a count alone before one overwrites it.
inline constexpr int kMaxSettleDeferrals = 3;

// Puts the counts behind fd right from `held`, what each live container
// holds as counted since `before` was read. The kernel changes the counts
// atomically as entries come and go: a count is rewritten only where it did
// not change meanwhile, as a write over such a change would lose it (one
// between the last read and the write may leave it off by one until the
// next sweep). A count found changed by kMaxSettleDeferrals sweeps in a row
// is overwritten all the same: a container that keeps changing its count
// must not keep a wrong one (say one two racing setters pushed down) for as
// long as it does. The count of a container that is not live goes.
void settle_counts(int fd, const HeldCounts& before, const HeldCounts& held,
                   const std::function<bool(uint64_t container)>& live, SettleDeferrals& deferrals,
                   const std::string& map_name);

}  // namespace capsa::bpf
