// The bounded set of per-syscall series a container gets: named syscalls
// plus "other", adding up to the total, never decreasing.
#include <sys/syscall.h>

#include <map>
#include <numeric>

#include <gtest/gtest.h>

#include "daemon/syscall_series.h"
#include "telemetry.h"

namespace capsa::daemon {
namespace {

std::map<std::string, uint64_t> as_map(const std::vector<SyscallSeries::Sample>& samples) {
  std::map<std::string, uint64_t> out;
  for (const auto& s : samples) {
    EXPECT_FALSE(out.count(s.syscall)) << "two series named " << s.syscall;
    out[s.syscall] = s.value;
  }
  return out;
}

uint64_t sum(const std::map<std::string, uint64_t>& m) {
  uint64_t n = 0;
  for (const auto& [k, v] : m) n += v;
  return n;
}

TEST(SyscallNames, ComeFromLibseccompForThisArchitecture) {
  EXPECT_EQ(native_syscall_name(SYS_getpid), "getpid");
  EXPECT_EQ(native_syscall_name(SYS_openat), "openat");
  EXPECT_EQ(native_syscall_name(CAPSA_SYSCALL_OTHER), "other");
  EXPECT_EQ(native_syscall_name(CAPSA_SYSCALL_OTHER - 1), "nr" + std::to_string(CAPSA_SYSCALL_OTHER - 1));
}

TEST(SyscallSeries, TheBusiestGetSeriesAndTheRestAddUpInOther) {
  SyscallSeries series(3);
  std::vector<uint64_t> counts(CAPSA_SYSCALL_SLOTS);
  counts[SYS_getpid] = 500;
  counts[SYS_read] = 400;
  counts[SYS_write] = 300;
  counts[SYS_close] = 20;
  counts[SYS_openat] = 10;
  counts[CAPSA_SYSCALL_OTHER] = 7;
  auto m = as_map(series.samples(1, counts));
  EXPECT_EQ(m, (std::map<std::string, uint64_t>{{"getpid", 500}, {"read", 400}, {"write", 300}, {"other", 37}}));
  EXPECT_EQ(sum(m), std::accumulate(counts.begin(), counts.end(), uint64_t{0}));
}

TEST(SyscallSeries, OtherNeverDecreasesWhenASyscallGetsBusier) {
  SyscallSeries series(2);
  std::vector<uint64_t> counts(CAPSA_SYSCALL_SLOTS);
  counts[SYS_getpid] = 50;
  counts[SYS_read] = 40;
  counts[SYS_close] = 5;
  auto first = as_map(series.samples(7, counts));
  ASSERT_EQ(first.at("other"), 5u);
  // close overtakes both: it was counted in other, so it stays there.
  counts[SYS_close] = 1000;
  counts[SYS_mmap] = 3;  // new, but the set is full
  auto second = as_map(series.samples(7, counts));
  EXPECT_EQ(second, (std::map<std::string, uint64_t>{{"getpid", 50}, {"read", 40}, {"other", 1003}}));
}

TEST(SyscallSeries, ASyscallSeenForTheFirstTimeJoinsWhileThereIsRoom) {
  SyscallSeries series(3);
  std::vector<uint64_t> counts(CAPSA_SYSCALL_SLOTS);
  counts[SYS_getpid] = 50;
  EXPECT_EQ(as_map(series.samples(7, counts)), (std::map<std::string, uint64_t>{{"getpid", 50}, {"other", 0}}));
  counts[SYS_read] = 9;
  EXPECT_EQ(as_map(series.samples(7, counts)),
            (std::map<std::string, uint64_t>{{"getpid", 50}, {"read", 9}, {"other", 0}}));
}

TEST(SyscallSeries, ContainersChooseApartAndAForgottenOneStartsOver) {
  SyscallSeries series(1);
  std::vector<uint64_t> a(CAPSA_SYSCALL_SLOTS), b(CAPSA_SYSCALL_SLOTS);
  a[SYS_getpid] = 10;
  a[SYS_read] = 1;
  b[SYS_read] = 10;
  b[SYS_getpid] = 1;
  EXPECT_EQ(as_map(series.samples(1, a)).count("getpid"), 1u);
  EXPECT_EQ(as_map(series.samples(2, b)).count("read"), 1u);
  series.retain({2});
  a[SYS_read] = 100;
  EXPECT_EQ(as_map(series.samples(1, a)), (std::map<std::string, uint64_t>{{"read", 100}, {"other", 10}}));
  EXPECT_EQ(as_map(series.samples(2, b)).count("read"), 1u);
}

}  // namespace
}  // namespace capsa::daemon
