#include "spec/parse_resources.h"

#include <set>

namespace capsa::spec {

namespace {

// The kernel's dev_t: 12 bits of major, 20 of minor.
constexpr int64_t kMaxMajor = (1 << 12) - 1;
constexpr int64_t kMaxMinor = (1 << 20) - 1;

// The runtime-spec's range for blkio weights; the kernel's CFQ-era files
// take 10..1000 (BFQ's go down to 1, io.weight is converted).
constexpr int64_t kMinWeight = 10;
constexpr int64_t kMaxWeight = 1000;

BlockDeviceId device_id(const JsonReader& e) {
  auto major = e.i64("major", 0, kMaxMajor);
  auto minor = e.i64("minor", 0, kMaxMinor);
  if (!major) e.fail_field("major", "required field missing (the block device's major number)");
  if (!minor) e.fail_field("minor", "required field missing (the block device's minor number)");
  return {*major, *minor};
}

std::optional<uint16_t> weight(const JsonReader& r, const char* key) {
  auto w = r.i64(key, kMinWeight, kMaxWeight);
  if (!w) return std::nullopt;
  return static_cast<uint16_t>(*w);
}

std::vector<ThrottleDevice> throttle_list(const JsonReader& r, const char* key) {
  std::vector<ThrottleDevice> out;
  auto list = r.maybe(key);
  if (!list) return out;
  list->expect_array();
  for (size_t i = 0; i < list->size(); ++i) {
    auto e = list->at(i);
    e.expect_object();
    ThrottleDevice t;
    t.device = device_id(e);
    auto rate = e.u64("rate");
    if (!rate) e.fail_field("rate", "required field missing");
    t.rate = *rate;
    out.push_back(t);
  }
  return out;
}

std::optional<uint32_t> u32(const JsonReader& r, const char* key) {
  auto v = r.u64(key, UINT32_MAX);
  if (!v) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

}  // namespace

BlockIoResources parse_block_io(const JsonReader& r) {
  r.expect_object();
  BlockIoResources b;
  b.weight = weight(r, "weight");
  b.leaf_weight = weight(r, "leafWeight");
  if (auto list = r.maybe("weightDevice")) {
    list->expect_array();
    for (size_t i = 0; i < list->size(); ++i) {
      auto e = list->at(i);
      e.expect_object();
      WeightDevice w;
      w.device = device_id(e);
      w.weight = weight(e, "weight");
      w.leaf_weight = weight(e, "leafWeight");
      if (!w.weight && !w.leaf_weight) e.fail("expected weight, leafWeight or both");
      b.weight_device.push_back(w);
    }
  }
  b.throttle_read_bps = throttle_list(r, "throttleReadBpsDevice");
  b.throttle_write_bps = throttle_list(r, "throttleWriteBpsDevice");
  b.throttle_read_iops = throttle_list(r, "throttleReadIOPSDevice");
  b.throttle_write_iops = throttle_list(r, "throttleWriteIOPSDevice");
  return b;
}

std::optional<uint64_t> hugepage_size_bytes(const std::string& name) {
  size_t digits = 0;
  while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) ++digits;
  if (digits == 0 || digits > 9 || name[0] == '0') return std::nullopt;
  std::string unit = name.substr(digits);
  uint64_t shift = unit == "KB" ? 10 : unit == "MB" ? 20 : unit == "GB" ? 30 : 0;
  if (!shift) return std::nullopt;
  return std::stoull(name.substr(0, digits)) << shift;
}

std::vector<HugepageLimit> parse_hugepage_limits(const JsonReader& r) {
  r.expect_array();
  std::vector<HugepageLimit> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < r.size(); ++i) {
    auto e = r.at(i);
    e.expect_object();
    HugepageLimit h;
    h.page_size = e.str("pageSize");
    if (!hugepage_size_bytes(h.page_size))
      e.fail_field("pageSize", "expected a size such as \"2MB\" or \"1GB\" (a number and KB, MB or GB), got \"" +
                                   h.page_size + "\"");
    if (!seen.insert(h.page_size).second) e.fail_field("pageSize", "\"" + h.page_size + "\" is limited twice");
    auto limit = e.u64("limit");
    if (!limit) e.fail_field("limit", "required field missing");
    h.limit = *limit;
    out.push_back(h);
  }
  return out;
}

NetworkResources parse_network(const JsonReader& r) {
  r.expect_object();
  NetworkResources n;
  n.class_id = u32(r, "classID");
  if (auto list = r.maybe("priorities")) {
    list->expect_array();
    for (size_t i = 0; i < list->size(); ++i) {
      auto e = list->at(i);
      e.expect_object();
      InterfacePriority p;
      p.name = e.str("name");
      // One "name priority" line of net_prio.ifpriomap.
      if (p.name.empty() || p.name.find_first_of(" \t\n/") != std::string::npos)
        e.fail_field("name", "expected a network interface name, got \"" + p.name + "\"");
      auto prio = u32(e, "priority");
      if (!prio) e.fail_field("priority", "required field missing");
      p.priority = *prio;
      n.priorities.push_back(p);
    }
  }
  return n;
}

std::map<std::string, RdmaLimit> parse_rdma(const JsonReader& r) {
  r.expect_object();
  std::map<std::string, RdmaLimit> out;
  for (const auto& [name, v] : r.json().items()) {
    auto e = r.child(name.c_str());
    if (name.empty() || name.find_first_of(" \t\n") != std::string::npos)
      e.fail("expected an RDMA device name such as \"mlx5_0\"");
    e.expect_object();
    RdmaLimit l;
    l.hca_handles = u32(e, "hcaHandles");
    l.hca_objects = u32(e, "hcaObjects");
    if (!l.hca_handles && !l.hca_objects) e.fail("expected hcaHandles, hcaObjects or both");
    out[name] = l;
  }
  return out;
}

}  // namespace capsa::spec
