// The parts of linux.resources that name block devices, huge page sizes,
// network interfaces and RDMA devices: blockIO, hugepageLimits, network and
// rdma. Checked here for form only; whether the host has the device, page
// size or controller is for the cgroup code, which knows the host.
#pragma once

#include "spec/json_reader.h"
#include "spec/spec.h"

namespace capsa::spec {

BlockIoResources parse_block_io(const JsonReader& r);
std::vector<HugepageLimit> parse_hugepage_limits(const JsonReader& r);
NetworkResources parse_network(const JsonReader& r);
std::map<std::string, RdmaLimit> parse_rdma(const JsonReader& r);

// "2MB" -> 2097152: the hugetlb controller's names (a number and KB, MB or
// GB, binary multiples). nullopt for anything else.
std::optional<uint64_t> hugepage_size_bytes(const std::string& name);

}  // namespace capsa::spec
