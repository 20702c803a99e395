// RAII owner of the telemetry BPF programs (bpf/telemetry.bpf.c): loads the
// skeleton, reuses or creates pinned maps, attaches and pins links, and reads
// what the kernel counted. No exception crosses into libbpf callbacks.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "telemetry.h"
#include "bpf/copy_counts.h"
#include "bpf/event_ring.h"
#include "common/unique_fd.h"

struct telemetry_bpf;
struct bpf_link;

namespace capsa::bpf {

class Telemetry {
public:
  // Maps are pinned under <pin_root>/maps and reused when already there (so
  // counts, and containers the runtime registered, survive a capsad
  // restart); links are pinned under <pin_root>/links so the kernel keeps
  // counting while capsad is down.
  // count_syscalls=false leaves the per-syscall program out (and unpins an
  // earlier capsad's): it is the one hook here that runs on every system
  // call of every task on the host, container or not.
  static Telemetry load_and_pin(const std::string& pin_root, bool count_syscalls = true);
  // Removes every pin under pin_root (programs stop once nothing holds them).
  static void unpin_all(const std::string& pin_root);

  Telemetry(Telemetry&& o) noexcept;
  Telemetry& operator=(Telemetry&&) = delete;
  Telemetry(const Telemetry&) = delete;
  ~Telemetry();

  // System calls of one container by syscall number (index
  // CAPSA_SYSCALL_OTHER: numbers beyond the table).
  using SyscallCounts = std::vector<uint64_t>;

  // Per-cgroup counters summed over CPUs; `syscalls` is the sum of the
  // cgroup's counts by syscall number (its mark's, or its `syscall_counts`
  // entry's before 6.2), which by_nr receives when given.
  std::map<uint64_t, capsa_counters> read_counters(std::map<uint64_t, SyscallCounts>* by_nr = nullptr) const;
  std::array<uint64_t, CAPSA_STAT_MAX> read_stats() const;
  // Cgroups beneath containers' the kernel left uncopied (past the quotas).
  uint64_t copies_refused() const;
  bool counts_syscalls() const { return count_syscalls_; }
  void forget_cgroup(uint64_t cgroup_id);

  std::vector<uint64_t> container_cgroups() const;
  void add_container(uint64_t cgroup_id);
  void remove_container(uint64_t cgroup_id);
  // The cgroup's mark in `container_cgroups` alone (add_container sets it
  // too): for containers a runtime registered without it.
  void mark_container(uint64_t cgroup_id);

  // Cgroups beneath a container's (telemetry.h): copies for the ones under
  // dir, the container's cgroup v2 directory, that have none (made before
  // the container was registered, or while no capsad was loaded), within
  // the quotas. True when the counts need a sweep (it made copies, whose
  // counts are not exact until then, or found the count above what it saw).
  // See telemetry_copies.cpp.
  bool copy_cgroups_beneath(uint64_t container, const std::string& dir);
  // Drops the copies whose container is no longer registered, and makes the
  // counts the quotas are checked against again from the copies.
  void sweep_copies();

  // Waits up to timeout_ms for events and hands each to fn; returns how many.
  int poll_events(int timeout_ms, const std::function<void(const capsa_event&)>& fn);

private:
  Telemetry() = default;
  // copies_in_sys_enter=false: the sys_enter variant that counts containers'
  // own cgroups only (telemetry.bpf.c says for which kernels).
  static Telemetry load_and_pin(const std::string& pin_root, bool count_syscalls, bool copies_in_sys_enter);
  telemetry_bpf* skel_ = nullptr;
  std::unique_ptr<EventRing<capsa_event>> ring_;
  std::vector<bpf_link*> links_;
  bool cgroup_marks_ = false;  // the kernel has cgroup storage: containers carry a mark
  bool count_syscalls_ = true;
  UniqueFd cgroup2_;           // with marks: the cgroup v2 mount, to open containers' cgroups by id
  std::set<uint64_t> quota_told_;  // containers whose cgroups past the quota were logged
  SettleDeferrals copy_count_deferrals_;
};

}  // namespace capsa::bpf
