#include "bpf/copy_counts.h"

#include <bpf/bpf.h>

#include <cerrno>

#include "bpf/libbpf_util.h"
#include "common/error.h"

namespace capsa::bpf {

HeldCounts read_counts(int fd, const std::string& map_name) {
  HeldCounts out;
  for_each_entry_as<uint64_t, int64_t>(fd, [&](uint64_t k, int64_t n) { out[k] = n; }, map_name);
  return out;
}

int64_t copy_count_of(int fd, uint64_t container) {
  int64_t n = 0;
  bpf_map_lookup_elem(fd, &container, &n);
  return n;
}

bool count_copies_added(int fd, uint64_t container, int64_t added) {
  for (uint64_t key : {container, uint64_t{0}}) {
    const int64_t n = copy_count_of(fd, key) + added;
    if (bpf_map_update_elem(fd, &key, &n, BPF_ANY) != 0) return false;
  }
  return true;
}

void settle_counts(int fd, const HeldCounts& before, const HeldCounts& held,
                   const std::function<bool(uint64_t container)>& live, SettleDeferrals& deferrals,
                   const std::string& map_name) {
  const HeldCounts after = read_counts(fd, map_name);
  SettleDeferrals still;  // only the counts this sweep deferred stay
  auto put_right = [&](uint64_t k, int64_t want, bool changed) {
    auto d = deferrals.find(k);
    const int times = d == deferrals.end() ? 0 : d->second;
    if (changed && times + 1 < kMaxSettleDeferrals) {
      still[k] = times + 1;
      return;
    }
    if (bpf_map_update_elem(fd, &k, &want, BPF_ANY) != 0) throw_sys("write BPF map " + map_name);
  };
  for (const auto& [k, n] : after) {
    if (k != 0 && !live(k)) {
      bpf_map_delete_elem(fd, &k);
      continue;
    }
    auto h = held.find(k);
    const int64_t want = h == held.end() ? 0 : h->second;
    if (n == want) continue;
    auto b = before.find(k);
    put_right(k, want, b == before.end() || b->second != n);
  }
  // Counted for a container the map has no count for (capsad's own, or an
  // earlier program's); one the kernel made meanwhile is a change.
  for (const auto& [k, n] : held) {
    if (after.count(k) || before.count(k)) continue;
    if (bpf_map_update_elem(fd, &k, &n, BPF_NOEXIST) == 0) continue;
    if (errno != EEXIST) throw_sys("write BPF map " + map_name);
    put_right(k, n, true);
  }
  deferrals = std::move(still);
}

}  // namespace capsa::bpf
