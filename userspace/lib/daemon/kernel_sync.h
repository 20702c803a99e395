// Keeps the kernel's `containers` map equal to the containers in the state
// directory: adds the ones started while capsad was down, drops the ones
// deleted meanwhile (and their counters).
#pragma once

#include <mutex>
#include <vector>

#include "bpf/telemetry_loader.h"
#include "daemon/container_catalog.h"

namespace capsa::daemon {

class KernelSync {
public:
  KernelSync(bpf::Telemetry& telemetry, ContainerCatalog catalog)
      : telemetry_(telemetry), catalog_(std::move(catalog)) {}

  // One reconciliation pass; returns the containers it saw. Thread-safe.
  std::vector<KnownContainer> sync();
  // What the last pass saw.
  std::vector<KnownContainer> last() const;

private:
  bpf::Telemetry& telemetry_;
  ContainerCatalog catalog_;
  mutable std::mutex mu_;
  std::vector<KnownContainer> last_;
};

}  // namespace capsa::daemon
