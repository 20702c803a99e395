// Which of a container's system calls get a series of their own in
// capsa_container_syscalls_by_name_total: a bounded set per container, the
// rest summed under syscall="other", so the series count stays bounded and
// the samples of a container add up to its capsa_container_syscalls_total.
//
// A counter must never go down, so a syscall that was once counted in
// "other" stays there: the set is filled, most frequent first, by syscalls
// seen for the first time (the first scrape after a container starts
// usually fills it with its busiest calls) and never changes after. A
// capsad restart chooses afresh, which Prometheus sees as a counter reset.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace capsa::daemon {

// libseccomp's name of a syscall number of this architecture; "nr<N>" for a
// number it does not know, "other" for CAPSA_SYSCALL_OTHER.
const std::string& native_syscall_name(uint32_t nr);

class SyscallSeries {
public:
  explicit SyscallSeries(size_t limit = 20) : limit_(limit) {}

  struct Sample {
    std::string syscall;
    uint64_t value;
  };
  // The samples of one container from its counts by syscall number (index
  // = number, the last slot counting numbers beyond the table): at most
  // limit named ones, plus "other" (always present). Thread-safe.
  std::vector<Sample> samples(uint64_t cgroup_id, const std::vector<uint64_t>& by_nr);
  // Forgets the containers not in `live` (their series vanish with them).
  void retain(const std::set<uint64_t>& live);

private:
  struct Chosen {
    std::set<uint32_t> named;  // numbers with a series of their own
    std::set<uint32_t> seen;   // numbers with a count at the last call
  };
  size_t limit_;
  std::mutex mu_;
  std::map<uint64_t, Chosen> chosen_;
};

}  // namespace capsa::daemon
