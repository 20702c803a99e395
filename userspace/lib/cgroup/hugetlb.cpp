#include "cgroup/hugetlb.h"

#include <dirent.h>

#include <algorithm>
#include <memory>
#include <sstream>

#include "common/error.h"
#include "spec/parse_resources.h"

namespace capsa::cgroup {

std::optional<std::string> hugepage_name_from_sysfs(const std::string& entry) {
  const std::string prefix = "hugepages-";
  if (entry.rfind(prefix, 0) != 0 || entry.size() < prefix.size() + 3 || entry.substr(entry.size() - 2) != "kB")
    return std::nullopt;
  std::string digits = entry.substr(prefix.size(), entry.size() - prefix.size() - 2);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 15)
    return std::nullopt;
  uint64_t kb = std::stoull(digits);
  if (kb == 0) return std::nullopt;
  // The kernel's mem_fmt(): the largest unit the size reaches.
  if (kb >= (1u << 20)) return std::to_string(kb >> 20) + "GB";
  if (kb >= (1u << 10)) return std::to_string(kb >> 10) + "MB";
  return std::to_string(kb) + "KB";
}

std::vector<std::string> host_hugepage_sizes(const std::string& sysfs_dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(sysfs_dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;  // a kernel without hugetlbfs
    throw_sys("open " + sysfs_dir);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> close_dir(d, ::closedir);
  while (auto* e = ::readdir(d))
    if (auto name = hugepage_name_from_sysfs(e->d_name)) out.push_back(*name);
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return spec::hugepage_size_bytes(a).value_or(0) < spec::hugepage_size_bytes(b).value_or(0);
  });
  return out;
}

void check_hugepage_sizes(const std::vector<spec::HugepageLimit>& limits, const std::vector<std::string>& sizes,
                          const std::string& field) {
  for (size_t i = 0; i < limits.size(); ++i) {
    const auto& l = limits[i];
    if (std::find(sizes.begin(), sizes.end(), l.page_size) != sizes.end()) continue;
    std::string offered;
    for (const auto& s : sizes) offered += (offered.empty() ? "" : ", ") + s;
    throw Error(field + "[" + std::to_string(i) + "].pageSize: \"" + l.page_size +
                    "\" is not a huge page size of this kernel (" +
                    (offered.empty() ? std::string("it offers none: no /sys/kernel/mm/hugepages") : "it offers " + offered) +
                    ")",
                EINVAL);
  }
}

std::vector<ControlWrite> hugetlb_writes(const std::vector<spec::HugepageLimit>& limits,
                                         const std::vector<std::string>& sizes, bool v2,
                                         const std::function<bool(const std::string&)>& has_file,
                                         const std::string& field) {
  check_hugepage_sizes(limits, sizes, field);
  std::vector<ControlWrite> out;
  const char* suffix = v2 ? ".max" : ".limit_in_bytes";
  for (size_t i = 0; i < limits.size(); ++i) {
    const auto& l = limits[i];
    std::string f = field + "[" + std::to_string(i) + "]";
    std::string prefix = "hugetlb." + l.page_size;
    std::string value = std::to_string(l.limit);
    out.push_back({prefix + suffix, value, f + ".limit"});
    // The reservation limit too (Linux 5.7+): with it an mmap beyond the
    // limit fails up front, instead of a SIGBUS at fault time.
    std::string rsvd = prefix + ".rsvd" + suffix;
    if (has_file(rsvd)) out.push_back({rsvd, value, f + ".limit"});
  }
  return out;
}

nlohmann::json hugetlb_stats(const std::string& dir, bool v2, const std::vector<std::string>& sizes,
                             const ReadControlFile& read) {
  nlohmann::json out = nlohmann::json::object();
  auto number = [&](const std::string& file) -> std::optional<uint64_t> {
    auto text = read(dir + "/" + file);
    if (!text) return std::nullopt;
    try {
      return std::stoull(*text);
    } catch (const std::exception&) {
      throw Error(dir + "/" + file + ": expected a number, read \"" + text->substr(0, 40) + "\"");
    }
  };
  for (const auto& size : sizes) {
    std::string prefix = "hugetlb." + size;
    std::optional<uint64_t> usage, max, failcnt;
    if (v2) {
      usage = number(prefix + ".current");
      // v2 counts refused allocations as "max N" in .events.
      if (auto ev = read(dir + "/" + prefix + ".events")) {
        std::istringstream in(*ev);
        for (std::string k, v; in >> k >> v;)
          if (k == "max") failcnt = std::stoull(v);
      }
    } else {
      usage = number(prefix + ".usage_in_bytes");
      max = number(prefix + ".max_usage_in_bytes");
      failcnt = number(prefix + ".failcnt");
    }
    if (!usage && !failcnt) continue;  // no such files: the controller is elsewhere
    // runc's Hugetlb leaves usage and max out when zero (omitempty).
    nlohmann::json e = {{"failcnt", failcnt.value_or(0)}};
    if (usage.value_or(0)) e["usage"] = *usage;
    if (max.value_or(0)) e["max"] = *max;
    out[size] = e;
  }
  return out;
}

}  // namespace capsa::cgroup
