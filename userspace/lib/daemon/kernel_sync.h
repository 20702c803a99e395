// Keeps the kernel's `containers` map equal to the containers in the state
// directory: adds the ones started while capsad was down, drops the ones
// deleted meanwhile (and their counters), and copies the cgroups they made
// beneath their own.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "bpf/telemetry_loader.h"
#include "daemon/container_catalog.h"

namespace capsa::daemon {

using ContainerList = std::shared_ptr<const std::vector<KnownContainer>>;

struct SyncResult {
  ContainerList containers;
  // The kernel's counters as this pass read them, of these containers only:
  // a scrape reports them instead of reading the map a second time.
  std::map<uint64_t, capsa_counters> counters;
  // Their system calls by syscall number, from the same read.
  std::map<uint64_t, bpf::Telemetry::SyscallCounts> syscalls_by_nr;
};

class KernelSync {
public:
  KernelSync(bpf::Telemetry& telemetry, ContainerCatalog catalog)
      : telemetry_(telemetry), catalog_(std::move(catalog)) {}

  // One reconciliation pass. Thread-safe.
  SyncResult sync();
  // What the last pass saw (shared, not copied: callers only read it).
  ContainerList last() const;

private:
  bpf::Telemetry& telemetry_;
  ContainerCatalog catalog_;
  mutable std::mutex mu_;
  ContainerList last_ = std::make_shared<const std::vector<KnownContainer>>();
  // Containers whose `container_cgroups` mark this capsad has set.
  std::set<uint64_t> marked_;
  // The telemetry's copies want a sweep: at start (an earlier capsad's may
  // name containers gone since), after changes, until one succeeds.
  bool sweep_due_ = true;
  uint64_t passes_ = 0;
  static constexpr uint64_t kSweepEvery = 60;
};

}  // namespace capsa::daemon
