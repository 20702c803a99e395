// blockIO, hugepageLimits, network and rdma turned into cgroup file writes
// (runc's file choices and conversions), and runc's blkio/hugetlb stats read
// back from the kernel's file formats.
#include <gtest/gtest.h>

#include <map>

#include "cgroup/blkio.h"
#include "cgroup/hugetlb.h"
#include "cgroup/net_rdma.h"
#include "common/error.h"
#include "common/file_util.h"
#include "spec/parse.h"
#include "test_env.h"

namespace capsa::cgroup {
namespace {

const std::string kField = "linux.resources.blockIO";

spec::BlockIoResources block_io(const std::string& json) {
  return *spec::parse_resources_json(R"({"blockIO": )" + json + "}", "res.json").block_io;
}

BlkioFiles files(bool v2, std::set<std::string> present, bool per_device = false) {
  BlkioFiles f;
  f.v2 = v2;
  f.present = std::move(present);
  f.bfq_per_device = per_device;
  return f;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

TEST(BlkioWrites, WeightConversionMatchesRunc) {
  // runc's ConvertBlkIOToIOWeightValue: 1 + (w - 10) * 9999 / 990.
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_weight_to_io_weight(500), 4950u);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
  EXPECT_EQ(blkio_weight_to_io_weight(0), 0u);
}

TEST(BlkioWrites, V1PrefersBlkioWeightAndFallsBackToBfq) {
  auto b = block_io(R"({"weight": 300, "weightDevice": [{"major": 254, "minor": 0, "weight": 200}]})");
  auto cfq = block_io_writes(b, files(false, {"blkio.weight", "blkio.weight_device", "blkio.bfq.weight"}), kField);
  ASSERT_EQ(cfq.size(), 2u);
  EXPECT_EQ(cfq[0], (ControlWrite{"blkio.weight", "300", kField + ".weight"}));
  EXPECT_EQ(cfq[1], (ControlWrite{"blkio.weight_device", "254:0 200", kField + ".weightDevice[0].weight"}));
  auto bfq = block_io_writes(b, files(false, {"blkio.bfq.weight", "blkio.bfq.weight_device"}, true), kField);
  ASSERT_EQ(bfq.size(), 2u);
  EXPECT_EQ(bfq[0].file, "blkio.bfq.weight");
  EXPECT_EQ(bfq[0].value, "300");
  EXPECT_EQ(bfq[1].file, "blkio.bfq.weight_device");
  EXPECT_EQ(bfq[1].value, "254:0 200");
  EXPECT_NE(error_of([&] { block_io_writes(b, files(false, {"blkio.throttle.read_bps_device"}), kField); })
                .find(kField + ".weight: this cgroup has neither blkio.weight nor blkio.bfq.weight"),
            std::string::npos);
}

TEST(BlkioWrites, V1LeafWeightsNeedTheirFiles) {
  auto b = block_io(R"({"leafWeight": 50})");
  auto with = block_io_writes(b, files(false, {"blkio.leaf_weight"}), kField);
  ASSERT_EQ(with.size(), 1u);
  EXPECT_EQ(with[0], (ControlWrite{"blkio.leaf_weight", "50", kField + ".leafWeight"}));
  EXPECT_NE(error_of([&] { block_io_writes(b, files(false, {"blkio.bfq.weight"}), kField); })
                .find(kField + ".leafWeight: this kernel has no blkio.leaf_weight"),
            std::string::npos);
}

TEST(BlkioWrites, V1ThrottlesOneLinePerDevice) {
  auto b = block_io(R"({"throttleReadBpsDevice": [{"major": 254, "minor": 0, "rate": 1048576}],
                        "throttleWriteBpsDevice": [{"major": 254, "minor": 0, "rate": 0}],
                        "throttleReadIOPSDevice": [{"major": 7, "minor": 0, "rate": 100}, {"major": 7, "minor": 1, "rate": 5}],
                        "throttleWriteIOPSDevice": [{"major": 7, "minor": 0, "rate": 200}]})");
  auto w = block_io_writes(b, files(false, {"blkio.throttle.read_bps_device"}), kField);
  std::vector<ControlWrite> want = {
      {"blkio.throttle.read_bps_device", "254:0 1048576", kField + ".throttleReadBpsDevice[0]"},
      {"blkio.throttle.write_bps_device", "254:0 0", kField + ".throttleWriteBpsDevice[0]"},
      {"blkio.throttle.read_iops_device", "7:0 100", kField + ".throttleReadIOPSDevice[0]"},
      {"blkio.throttle.read_iops_device", "7:1 5", kField + ".throttleReadIOPSDevice[1]"},
      {"blkio.throttle.write_iops_device", "7:0 200", kField + ".throttleWriteIOPSDevice[0]"},
  };
  EXPECT_EQ(w, want);
}

TEST(BlkioWrites, V2UsesBfqWeightElseConvertsToIoWeight) {
  auto b = block_io(R"({"weight": 500})");
  auto bfq = block_io_writes(b, files(true, {"io.bfq.weight", "io.weight"}), kField);
  ASSERT_EQ(bfq.size(), 1u);
  EXPECT_EQ(bfq[0], (ControlWrite{"io.bfq.weight", "500", kField + ".weight"}));
  auto cost = block_io_writes(b, files(true, {"io.weight"}), kField);
  ASSERT_EQ(cost.size(), 1u);
  EXPECT_EQ(cost[0], (ControlWrite{"io.weight", "4950", kField + ".weight"}));
  EXPECT_NE(error_of([&] { block_io_writes(b, files(true, {"io.max"}), kField); })
                .find(kField + ".weight: this cgroup has neither io.bfq.weight nor io.weight"),
            std::string::npos);
}

TEST(BlkioWrites, V2ThrottlesGoToIoMaxWithZeroAsMax) {
  auto b = block_io(R"({"throttleReadBpsDevice": [{"major": 254, "minor": 0, "rate": 1048576}],
                        "throttleWriteBpsDevice": [{"major": 254, "minor": 0, "rate": 0}],
                        "throttleReadIOPSDevice": [{"major": 254, "minor": 0, "rate": 100}],
                        "throttleWriteIOPSDevice": [{"major": 254, "minor": 0, "rate": 200}]})");
  auto w = block_io_writes(b, files(true, {"io.max"}), kField);
  std::vector<ControlWrite> want = {
      {"io.max", "254:0 rbps=1048576", kField + ".throttleReadBpsDevice[0]"},
      {"io.max", "254:0 wbps=max", kField + ".throttleWriteBpsDevice[0]"},
      {"io.max", "254:0 riops=100", kField + ".throttleReadIOPSDevice[0]"},
      {"io.max", "254:0 wiops=200", kField + ".throttleWriteIOPSDevice[0]"},
  };
  EXPECT_EQ(w, want);
  EXPECT_NE(error_of([&] { block_io_writes(b, files(true, {"io.weight"}), kField); }).find("has no io.max"),
            std::string::npos);
}

TEST(BlkioWrites, V2RefusesWhatItCannotHonour) {
  EXPECT_NE(error_of([&] { block_io_writes(block_io(R"({"leafWeight": 100})"), files(true, {"io.weight"}), kField); })
                .find(kField + ".leafWeight: not supported by cgroup v2"),
            std::string::npos);
  auto wd = block_io(R"({"weightDevice": [{"major": 254, "minor": 0, "weight": 100}]})");
  EXPECT_NE(error_of([&] { block_io_writes(wd, files(true, {"io.bfq.weight"}, false), kField); })
                .find(kField + ".weightDevice[0]: per-device weights need io.bfq.weight"),
            std::string::npos);
  auto ok = block_io_writes(wd, files(true, {"io.bfq.weight"}, true), kField);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0], (ControlWrite{"io.bfq.weight", "254:0 100", kField + ".weightDevice[0].weight"}));
}

TEST(BlkioWrites, DevicesAreCheckedInSysDevBlock) {
  test::TempDir sys("capsa-sys");
  make_dirs(sys.path() + "/dev/block/254:0");
  make_dirs(sys.path() + "/dev/block/254:1");
  write_file_atomic(sys.path() + "/dev/block/254:1/partition", "1\n");
  check_block_devices(block_io(R"({"throttleReadBpsDevice": [{"major": 254, "minor": 0, "rate": 1}]})"), kField,
                      sys.path());
  EXPECT_NE(error_of([&] {
              check_block_devices(block_io(R"({"throttleReadBpsDevice": [{"major": 254, "minor": 0, "rate": 1}],
                                                "throttleWriteBpsDevice": [{"major": 254, "minor": 9, "rate": 1}]})"),
                                  kField, sys.path());
            }).find(kField + ".throttleWriteBpsDevice[0]: no block device 254:9 on this host"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              check_block_devices(block_io(R"({"weightDevice": [{"major": 254, "minor": 1, "weight": 10}]})"), kField,
                                  sys.path());
            }).find(kField + ".weightDevice[0]: block device 254:1 is a partition"),
            std::string::npos);
}

TEST(HugetlbWrites, SysfsNamesFollowTheKernel) {
  EXPECT_EQ(hugepage_name_from_sysfs("hugepages-2048kB"), "2MB");
  EXPECT_EQ(hugepage_name_from_sysfs("hugepages-1048576kB"), "1GB");
  EXPECT_EQ(hugepage_name_from_sysfs("hugepages-64kB"), "64KB");
  EXPECT_EQ(hugepage_name_from_sysfs("hugepages-32768kB"), "32MB");
  EXPECT_FALSE(hugepage_name_from_sysfs("hugepages-kB"));
  EXPECT_FALSE(hugepage_name_from_sysfs("nr_hugepages"));
  EXPECT_FALSE(hugepage_name_from_sysfs("."));
}

TEST(HugetlbWrites, HostSizesComeFromSysfsSmallestFirst) {
  test::TempDir sys("capsa-hp");
  for (const char* d : {"hugepages-1048576kB", "hugepages-2048kB", "hugepages-64kB"}) make_dirs(sys.path() + "/" + d);
  EXPECT_EQ(host_hugepage_sizes(sys.path()), (std::vector<std::string>{"64KB", "2MB", "1GB"}));
  EXPECT_TRUE(host_hugepage_sizes(sys.path() + "/missing").empty());
}

TEST(HugetlbWrites, LimitAndReservationFilesPerHierarchy) {
  auto r = spec::parse_resources_json(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]})", "res.json");
  const std::string f = "linux.resources.hugepageLimits";
  auto all = [](const std::string&) { return true; };
  auto none = [](const std::string&) { return false; };
  auto v2 = hugetlb_writes(r.hugepage_limits, {"2MB"}, true, all, f);
  EXPECT_EQ(v2, (std::vector<ControlWrite>{{"hugetlb.2MB.max", "4194304", f + "[0].limit"},
                                           {"hugetlb.2MB.rsvd.max", "4194304", f + "[0].limit"}}));
  auto v1 = hugetlb_writes(r.hugepage_limits, {"2MB", "1GB"}, false, none, f);
  EXPECT_EQ(v1, (std::vector<ControlWrite>{{"hugetlb.2MB.limit_in_bytes", "4194304", f + "[0].limit"}}));
  auto v1rsvd = hugetlb_writes(r.hugepage_limits, {"2MB"}, false, all, f);
  ASSERT_EQ(v1rsvd.size(), 2u);
  EXPECT_EQ(v1rsvd[1].file, "hugetlb.2MB.rsvd.limit_in_bytes");

  auto big = spec::parse_resources_json(R"({"hugepageLimits": [{"pageSize": "1GB", "limit": 0}]})", "res.json");
  EXPECT_NE(error_of([&] { hugetlb_writes(big.hugepage_limits, {"2MB"}, true, all, f); })
                .find(f + "[0].pageSize: \"1GB\" is not a huge page size of this kernel (it offers 2MB)"),
            std::string::npos);
}

TEST(NetRdmaWrites, AsRuncWritesThem) {
  auto r = spec::parse_resources_json(R"({"network": {"classID": 1048577, "priorities": [{"name": "lo", "priority": 3},
                                                      {"name": "eth0", "priority": 7}]},
                                           "rdma": {"mlx5_0": {"hcaHandles": 2}, "mlx4_0": {"hcaHandles": 1, "hcaObjects": 9}}})",
                                      "res.json");
  const std::string f = "linux.resources.network";
  EXPECT_EQ(net_cls_writes(*r.network, f),
            (std::vector<ControlWrite>{{"net_cls.classid", "1048577", f + ".classID"}}));
  EXPECT_EQ(net_prio_writes(*r.network, f),
            (std::vector<ControlWrite>{{"net_prio.ifpriomap", "lo 3", f + ".priorities[0]"},
                                       {"net_prio.ifpriomap", "eth0 7", f + ".priorities[1]"}}));
  EXPECT_EQ(rdma_writes(r.rdma, "linux.resources.rdma"),
            (std::vector<ControlWrite>{{"rdma.max", "mlx4_0 hca_handle=1 hca_object=9", "linux.resources.rdma.mlx4_0"},
                                       {"rdma.max", "mlx5_0 hca_handle=2", "linux.resources.rdma.mlx5_0"}}));
}

ReadControlFile fake(std::map<std::string, std::string> files) {
  return [files](const std::string& p) -> std::optional<std::string> {
    auto it = files.find(p);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ResourceStats, BlkioV1FromTheThrottleFiles) {
  auto read = fake({{"/cg/blkio.throttle.io_service_bytes_recursive",
                     "254:0 Read 4096\n254:0 Write 8192\n254:0 Total 12288\nTotal 12288\n"},
                    {"/cg/blkio.throttle.io_serviced_recursive", "254:0 Read 1\n254:0 Write 2\nTotal 3\n"},
                    {"/cg/blkio.bfq.io_service_bytes_recursive", "Total 0\n"}});
  auto s = blkio_stats("/cg", false, read);
  EXPECT_EQ(s, nlohmann::json::parse(R"({
      "ioServiceBytesRecursive": [{"major": 254, "op": "Read", "value": 4096}, {"major": 254, "op": "Write", "value": 8192},
                                  {"major": 254, "op": "Total", "value": 12288}],
      "ioServicedRecursive": [{"major": 254, "op": "Read", "value": 1}, {"major": 254, "op": "Write", "value": 2}]})"))
      << s.dump();
  EXPECT_EQ(blkio_stats("/other", false, read), nlohmann::json::object());
  EXPECT_THROW(blkio_stats("/bad", false, fake({{"/bad/blkio.throttle.io_service_bytes_recursive", "x y z\n"}})), Error);
}

TEST(ResourceStats, BlkioV2FromIoStat) {
  auto read = fake({{"/cg/io.stat", "254:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n"}});
  auto s = blkio_stats("/cg", true, read);
  EXPECT_EQ(s, nlohmann::json::parse(R"({
      "ioServiceBytesRecursive": [{"major": 254, "op": "Read", "value": 4096}, {"major": 254, "op": "Write"}],
      "ioServicedRecursive": [{"major": 254, "op": "Read", "value": 1}, {"major": 254, "op": "Write"}]})"))
      << s.dump();
}

TEST(ResourceStats, HugetlbPerPageSize) {
  auto v2 = hugetlb_stats("/cg", true, {"2MB", "1GB"},
                          fake({{"/cg/hugetlb.2MB.current", "2097152\n"}, {"/cg/hugetlb.2MB.events", "max 3\n"}}));
  EXPECT_EQ(v2, nlohmann::json::parse(R"({"2MB": {"usage": 2097152, "failcnt": 3}})")) << v2.dump();
  auto v1 = hugetlb_stats("/cg", false, {"2MB"},
                          fake({{"/cg/hugetlb.2MB.usage_in_bytes", "0\n"},
                                {"/cg/hugetlb.2MB.max_usage_in_bytes", "4194304\n"},
                                {"/cg/hugetlb.2MB.failcnt", "0\n"}}));
  EXPECT_EQ(v1, nlohmann::json::parse(R"({"2MB": {"max": 4194304, "failcnt": 0}})")) << v1.dump();
}

}  // namespace
}  // namespace capsa::cgroup
