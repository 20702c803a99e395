// linux.resources.hugepageLimits: hugetlb.<size>.limit_in_bytes (v1) or
// hugetlb.<size>.max (v2), plus the .rsvd variant where the kernel has it,
// as runc 1.2 writes both. And the "hugetlb" section of runc's stats.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cgroup/control_write.h"
#include "cgroup/usage.h"
#include "spec/spec.h"

namespace capsa::cgroup {

// "hugepages-2048kB" (a /sys/kernel/mm/hugepages entry) -> "2MB", the name
// the hugetlb controller gives its files; nullopt for other names.
std::optional<std::string> hugepage_name_from_sysfs(const std::string& entry);

// The kernel's huge page sizes, as the controller names them, smallest first.
std::vector<std::string> host_hugepage_sizes(const std::string& sysfs_dir = "/sys/kernel/mm/hugepages");

// Every page size in `limits` must be one of `sizes`; throws naming the entry.
void check_hugepage_sizes(const std::vector<spec::HugepageLimit>& limits, const std::vector<std::string>& sizes,
                          const std::string& field);

// The writes for `limits`; `field` is "linux.resources.hugepageLimits".
// `has_file` says whether the cgroup has a control file (for .rsvd).
// Checks the page sizes as check_hugepage_sizes does.
std::vector<ControlWrite> hugetlb_writes(const std::vector<spec::HugepageLimit>& limits,
                                         const std::vector<std::string>& sizes, bool v2,
                                         const std::function<bool(const std::string&)>& has_file,
                                         const std::string& field);

// runc's "hugetlb" stats object: page size -> {usage, max, failcnt}.
nlohmann::json hugetlb_stats(const std::string& dir, bool v2, const std::vector<std::string>& sizes,
                             const ReadControlFile& read);

}  // namespace capsa::cgroup
