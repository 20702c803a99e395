// bpf::for_each_entry over real hash maps: every entry exactly once, in
// several batches when there are more than one batch holds, per-CPU values
// with all CPUs' slots.
#include <bpf/bpf.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include <gtest/gtest.h>

#include "bpf/libbpf_util.h"
#include "common/unique_fd.h"
#include "test_env.h"

namespace capsa::test {
namespace {

UniqueFd make_map(bpf_map_type type, uint32_t entries) {
  UniqueFd fd(bpf_map_create(type, "capsa_batch_t", sizeof(uint64_t), sizeof(uint64_t), entries, nullptr));
  return fd;
}

TEST(MapBatch, EveryEntryOfAHashMapOnceAcrossBatches) {
  CAPSA_REQUIRE_ROOT();
  constexpr uint64_t kEntries = 1000;  // several batches of 256
  auto fd = make_map(BPF_MAP_TYPE_HASH, 2048);
  ASSERT_TRUE(fd) << "bpf_map_create: " << std::strerror(errno);
  for (uint64_t k = 1; k <= kEntries; ++k) {
    uint64_t v = k * 10;
    ASSERT_EQ(bpf_map_update_elem(fd.get(), &k, &v, BPF_ANY), 0);
  }
  std::map<uint64_t, uint64_t> seen;
  bpf::for_each_entry(
      fd.get(), sizeof(uint64_t), sizeof(uint64_t),
      [&](const void* key, const void* value) {
        uint64_t k, v;
        std::memcpy(&k, key, sizeof k);
        std::memcpy(&v, value, sizeof v);
        EXPECT_TRUE(seen.emplace(k, v).second) << "key " << k << " twice";
      },
      "capsa_batch_t");
  ASSERT_EQ(seen.size(), kEntries);
  for (const auto& [k, v] : seen) EXPECT_EQ(v, k * 10);
}

TEST(MapBatch, PerCpuValuesCarryEveryCpusSlot) {
  CAPSA_REQUIRE_ROOT();
  auto fd = make_map(BPF_MAP_TYPE_PERCPU_HASH, 64);
  ASSERT_TRUE(fd) << "bpf_map_create: " << std::strerror(errno);
  const size_t cpus = static_cast<size_t>(bpf::possible_cpus());
  for (uint64_t k = 1; k <= 3; ++k) {
    std::vector<uint64_t> slots(cpus);
    for (size_t c = 0; c < cpus; ++c) slots[c] = k * 100 + c;
    ASSERT_EQ(bpf_map_update_elem(fd.get(), &k, slots.data(), BPF_ANY), 0);
  }
  size_t n = 0;
  bpf::for_each_entry(
      fd.get(), sizeof(uint64_t), cpus * sizeof(uint64_t),
      [&](const void* key, const void* value) {
        uint64_t k;
        std::memcpy(&k, key, sizeof k);
        std::vector<uint64_t> slots(cpus);
        std::memcpy(slots.data(), value, cpus * sizeof(uint64_t));
        for (size_t c = 0; c < cpus; ++c) EXPECT_EQ(slots[c], k * 100 + c) << "key " << k << " cpu " << c;
        ++n;
      },
      "capsa_batch_t");
  EXPECT_EQ(n, 3u);
}

TEST(MapBatch, AnEmptyMapHasNoEntries) {
  CAPSA_REQUIRE_ROOT();
  auto fd = make_map(BPF_MAP_TYPE_HASH, 16);
  ASSERT_TRUE(fd) << "bpf_map_create: " << std::strerror(errno);
  size_t n = 0;
  bpf::for_each_entry(fd.get(), sizeof(uint64_t), sizeof(uint64_t), [&](const void*, const void*) { ++n; }, "empty");
  EXPECT_EQ(n, 0u);
}

}  // namespace
}  // namespace capsa::test
