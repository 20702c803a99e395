// The sweeps' putting right of the per-container counts the kernel keeps
// against a quota (bpf/copy_counts: settle_counts), on a real BPF hash map.
#include <bpf/bpf.h>

#include <functional>
#include <optional>

#include <gtest/gtest.h>

#include "bpf/copy_counts.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class SettleCounts : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    fd_.reset(bpf_map_create(BPF_MAP_TYPE_HASH, "test_counts", 8, 8, 64, nullptr));
    ASSERT_TRUE(fd_) << errno_text(errno);
  }
  void set(uint64_t k, int64_t n) { ASSERT_EQ(bpf_map_update_elem(fd_.get(), &k, &n, BPF_ANY), 0); }
  std::optional<int64_t> get(uint64_t k) {
    int64_t n = 0;
    if (bpf_map_lookup_elem(fd_.get(), &k, &n) != 0) return std::nullopt;
    return n;
  }
  // One sweep: `kernel` runs between the sweep's first read and its settling.
  void sweep(const bpf::HeldCounts& held, const std::function<void()>& kernel = [] {}) {
    auto before = bpf::read_counts(fd_.get(), "test_counts");
    kernel();
    bpf::settle_counts(
        fd_.get(), before, held, [](uint64_t k) { return k != 99; }, deferrals_, "test_counts");
  }

  UniqueFd fd_;
  bpf::SettleDeferrals deferrals_;
};

TEST_F(SettleCounts, AnUnchangedCountIsPutRightAndAGoneContainersGoes) {
  set(0, 9);
  set(1, 7);
  set(99, 4);  // not live
  sweep({{0, 3}, {1, 3}, {2, 5}});
  EXPECT_EQ(get(0), 3);
  EXPECT_EQ(get(1), 3);
  EXPECT_EQ(get(2), 5) << "held with no count: written";
  EXPECT_EQ(get(99), std::nullopt);
}

TEST_F(SettleCounts, ACountTheKernelKeepsChangingIsLeftAloneOnlyForAFewSweeps) {
  set(1, 7);  // off: the container holds 3
  int64_t kernel = 7;
  for (int i = 1; i < bpf::kMaxSettleDeferrals; ++i) {
    sweep({{1, 3}}, [&] { set(1, ++kernel); });
    EXPECT_EQ(get(1), kernel) << "sweep " << i << " wrote over the kernel's change";
  }
  // Still changing: this sweep overwrites it, from what it counted.
  sweep({{1, 3}}, [&] { set(1, ++kernel); });
  EXPECT_EQ(get(1), 3);
  // A quiet sweep in between starts the deferrals over.
  set(1, 50);
  sweep({{1, 3}}, [&] { set(1, 51); });
  EXPECT_EQ(get(1), 51);
  sweep({{1, 3}});
  EXPECT_EQ(get(1), 3);
  EXPECT_TRUE(deferrals_.empty());
}

}  // namespace
}  // namespace capsa::test
