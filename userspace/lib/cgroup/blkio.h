// linux.resources.blockIO on cgroup v1 (blkio.*) and v2 (io.*), with runc's
// choice of files: the CFQ-era blkio.weight where the kernel still has it,
// else BFQ's; on v2 io.bfq.weight, else io.weight with runc's conversion.
// And the "blkio" section of runc's stats.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cgroup/control_write.h"
#include "cgroup/usage.h"
#include "spec/spec.h"

namespace capsa::cgroup {

// blockIO weight (10..1000) -> io.weight (1..10000), as runc converts.
uint64_t blkio_weight_to_io_weight(uint64_t weight);

// What a container's io/blkio directory offers.
struct BlkioFiles {
  bool v2 = false;
  std::set<std::string> present;  // the weight files among those runc may use
  // Per-device BFQ weights: v1 blkio.bfq.weight_device; v2 io.bfq.weight
  // reading "default N" (kernels before 5.4 show a bare number there).
  bool bfq_per_device = false;
};
BlkioFiles probe_blkio_files(const std::string& dir, bool v2);

// The writes for `b`; `field` is "linux.resources.blockIO". Throws, naming
// the field, for what this cgroup cannot take.
std::vector<ControlWrite> block_io_writes(const spec::BlockIoResources& b, const BlkioFiles& files,
                                          const std::string& field);

// Every device named in `b` must be a whole block device of this host (the
// kernel takes no partitions): checked in <sys_root>/dev/block/MAJ:MIN.
void check_block_devices(const spec::BlockIoResources& b, const std::string& field,
                         const std::string& sys_root = "/sys");

// runc's "blkio" stats object from a v1 blkio or a v2 io directory.
nlohmann::json blkio_stats(const std::string& dir, bool v2, const ReadControlFile& read);

}  // namespace capsa::cgroup
