#include "daemon/syscall_series.h"

#include <seccomp.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "telemetry.h"

namespace capsa::daemon {

const std::string& native_syscall_name(uint32_t nr) {
  // Resolved once: libseccomp searches its table linearly.
  static const auto names = [] {
    std::array<std::string, CAPSA_SYSCALL_SLOTS> out;
    for (uint32_t i = 0; i < CAPSA_SYSCALL_SLOTS; ++i) {
      char* name = i == CAPSA_SYSCALL_OTHER ? nullptr
                                            : ::seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, static_cast<int>(i));
      out[i] = i == CAPSA_SYSCALL_OTHER ? "other" : name ? name : "nr" + std::to_string(i);
      std::free(name);
    }
    return out;
  }();
  return names[std::min<uint32_t>(nr, CAPSA_SYSCALL_OTHER)];
}

std::vector<SyscallSeries::Sample> SyscallSeries::samples(uint64_t cgroup_id, const std::vector<uint64_t>& by_nr) {
  std::lock_guard lock(mu_);
  Chosen& c = chosen_[cgroup_id];
  const uint32_t slots = static_cast<uint32_t>(std::min<size_t>(by_nr.size(), CAPSA_SYSCALL_SLOTS));

  std::vector<uint32_t> fresh;
  for (uint32_t nr = 0; nr < slots && nr < CAPSA_SYSCALL_OTHER; ++nr)
    if (by_nr[nr] && !c.seen.count(nr) && !c.named.count(nr)) fresh.push_back(nr);
  std::stable_sort(fresh.begin(), fresh.end(), [&](uint32_t a, uint32_t b) { return by_nr[a] > by_nr[b]; });
  for (uint32_t nr : fresh) {
    if (c.named.size() >= limit_) break;
    c.named.insert(nr);
  }

  std::vector<Sample> out;
  uint64_t other = 0;
  c.seen.clear();
  for (uint32_t nr = 0; nr < slots; ++nr) {
    if (!by_nr[nr]) continue;
    c.seen.insert(nr);
    if (c.named.count(nr))
      out.push_back({native_syscall_name(nr), by_nr[nr]});
    else
      other += by_nr[nr];
  }
  out.push_back({"other", other});
  return out;
}

void SyscallSeries::retain(const std::set<uint64_t>& live) {
  std::lock_guard lock(mu_);
  std::erase_if(chosen_, [&](const auto& entry) { return !live.count(entry.first); });
}

}  // namespace capsa::daemon
