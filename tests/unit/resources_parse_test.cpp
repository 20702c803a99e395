// linux.resources.blockIO, hugepageLimits, network and rdma: read into the
// model, and refused with the field's path when malformed.
#include <gtest/gtest.h>

#include "common/error.h"
#include "spec/default_spec.h"
#include "spec/parse.h"
#include "spec/parse_resources.h"

namespace capsa::spec {
namespace {

std::string error_of(const std::string& resources_json) {
  try {
    parse_resources_json(resources_json, "res.json");
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

TEST(ResourcesParse, BlockIoIsReadInFull) {
  auto r = parse_resources_json(R"({"blockIO": {
      "weight": 300, "leafWeight": 20,
      "weightDevice": [{"major": 254, "minor": 0, "weight": 500}, {"major": 7, "minor": 1, "leafWeight": 40}],
      "throttleReadBpsDevice": [{"major": 254, "minor": 0, "rate": 1048576}],
      "throttleWriteBpsDevice": [{"major": 254, "minor": 0, "rate": 2097152}],
      "throttleReadIOPSDevice": [{"major": 7, "minor": 0, "rate": 100}],
      "throttleWriteIOPSDevice": [{"major": 7, "minor": 0, "rate": 0}]}})",
                                "res.json");
  ASSERT_TRUE(r.block_io);
  const auto& b = *r.block_io;
  EXPECT_EQ(b.weight, 300);
  EXPECT_EQ(b.leaf_weight, 20);
  ASSERT_EQ(b.weight_device.size(), 2u);
  EXPECT_EQ(b.weight_device[0].device.to_string(), "254:0");
  EXPECT_EQ(b.weight_device[0].weight, 500);
  EXPECT_FALSE(b.weight_device[0].leaf_weight);
  EXPECT_EQ(b.weight_device[1].leaf_weight, 40);
  ASSERT_EQ(b.throttle_read_bps.size(), 1u);
  EXPECT_EQ(b.throttle_read_bps[0].rate, 1048576u);
  EXPECT_EQ(b.throttle_write_bps[0].rate, 2097152u);
  EXPECT_EQ(b.throttle_read_iops[0].device.to_string(), "7:0");
  EXPECT_EQ(b.throttle_write_iops[0].rate, 0u);
}

TEST(ResourcesParse, HugepagesNetworkAndRdmaAreRead) {
  auto r = parse_resources_json(R"({
      "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}, {"pageSize": "1GB", "limit": 0}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
      "rdma": {"mlx5_0": {"hcaHandles": 3, "hcaObjects": 10000}, "mlx4_0": {"hcaObjects": 7}}})",
                                "res.json");
  ASSERT_EQ(r.hugepage_limits.size(), 2u);
  EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
  EXPECT_EQ(r.hugepage_limits[0].limit, 4194304u);
  EXPECT_EQ(r.hugepage_limits[1].page_size, "1GB");
  ASSERT_TRUE(r.network);
  EXPECT_EQ(r.network->class_id, 1048577u);
  ASSERT_EQ(r.network->priorities.size(), 1u);
  EXPECT_EQ(r.network->priorities[0].name, "eth0");
  EXPECT_EQ(r.network->priorities[0].priority, 5u);
  ASSERT_EQ(r.rdma.size(), 2u);
  EXPECT_EQ(r.rdma["mlx5_0"].hca_handles, 3u);
  EXPECT_EQ(r.rdma["mlx5_0"].hca_objects, 10000u);
  EXPECT_FALSE(r.rdma["mlx4_0"].hca_handles);
}

TEST(ResourcesParse, TheyArePartOfAConfigsLinuxResources) {
  auto j = nlohmann::json::parse(default_spec_json());
  j["linux"]["resources"]["blockIO"] = {{"weight", 10}};
  j["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", "2MB"}, {"limit", 0}}};
  auto s = parse_spec(j.dump(), "config.json");
  ASSERT_TRUE(s.linux && s.linux->resources && s.linux->resources->block_io);
  EXPECT_EQ(s.linux->resources->block_io->weight, 10);
  EXPECT_EQ(s.linux->resources->hugepage_limits.size(), 1u);

  j["linux"]["resources"]["blockIO"] = {{"weight", 1001}};
  try {
    parse_spec(j.dump(), "config.json");
    FAIL() << "a weight of 1001 parsed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config.json: linux.resources.blockIO.weight: value 1001 out of range (10 to 1000)"),
              std::string::npos)
        << e.what();
  }
}

TEST(ResourcesParse, HugepageSizeNames) {
  EXPECT_EQ(hugepage_size_bytes("2MB"), 2u << 20);
  EXPECT_EQ(hugepage_size_bytes("1GB"), 1u << 30);
  EXPECT_EQ(hugepage_size_bytes("64KB"), 64u << 10);
  EXPECT_FALSE(hugepage_size_bytes("2M"));
  EXPECT_FALSE(hugepage_size_bytes("2mb"));
  EXPECT_FALSE(hugepage_size_bytes("MB"));
  EXPECT_FALSE(hugepage_size_bytes("02MB"));
  EXPECT_FALSE(hugepage_size_bytes("2 MB"));
  EXPECT_FALSE(hugepage_size_bytes(""));
}

struct BadResources {
  const char* name;
  const char* json;
  const char* expected;
};
void PrintTo(const BadResources& b, std::ostream* os) { *os << b.name; }

class ResourcesErrors : public ::testing::TestWithParam<BadResources> {};

TEST_P(ResourcesErrors, NameTheFieldAndWhatWasExpected) {
  std::string err = error_of(GetParam().json);
  EXPECT_NE(err.find(GetParam().expected), std::string::npos) << "got: " << err;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ResourcesErrors,
    ::testing::Values(
        BadResources{"WeightTooLow", R"({"blockIO": {"weight": 9}})",
                     "res.json: blockIO.weight: value 9 out of range (10 to 1000)"},
        BadResources{"WeightZero", R"({"blockIO": {"weight": 0}})", "blockIO.weight: value 0 out of range (10 to 1000)"},
        BadResources{"LeafWeightTooHigh", R"({"blockIO": {"leafWeight": 1001}})",
                     "blockIO.leafWeight: value 1001 out of range (10 to 1000)"},
        BadResources{"WeightNotANumber", R"({"blockIO": {"weight": "heavy"}})",
                     "blockIO.weight: expected integer, got string"},
        BadResources{"WeightDeviceWithoutWeights", R"({"blockIO": {"weightDevice": [{"major": 8, "minor": 0}]}})",
                     "blockIO.weightDevice[0]: expected weight, leafWeight or both"},
        BadResources{"WeightDeviceWeightOutOfRange",
                     R"({"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 5000}]}})",
                     "blockIO.weightDevice[0].weight: value 5000 out of range (10 to 1000)"},
        BadResources{"ThrottleWithoutMajor", R"({"blockIO": {"throttleReadBpsDevice": [{"minor": 0, "rate": 1}]}})",
                     "blockIO.throttleReadBpsDevice[0].major: required field missing"},
        BadResources{"ThrottleNegativeMinor",
                     R"({"blockIO": {"throttleWriteIOPSDevice": [{"major": 8, "minor": -1, "rate": 1}]}})",
                     "blockIO.throttleWriteIOPSDevice[0].minor: value -1 out of range (0 to 1048575)"},
        BadResources{"ThrottleMajorTooBig",
                     R"({"blockIO": {"throttleReadIOPSDevice": [{"major": 4096, "minor": 0, "rate": 1}]}})",
                     "blockIO.throttleReadIOPSDevice[0].major: value 4096 out of range (0 to 4095)"},
        BadResources{"ThrottleWithoutRate", R"({"blockIO": {"throttleWriteBpsDevice": [{"major": 8, "minor": 0}]}})",
                     "blockIO.throttleWriteBpsDevice[0].rate: required field missing"},
        BadResources{"ThrottleNotAList", R"({"blockIO": {"throttleReadBpsDevice": {"major": 8}}})",
                     "blockIO.throttleReadBpsDevice: expected array, got object"},
        BadResources{"PageSizeMalformed", R"({"hugepageLimits": [{"pageSize": "2M", "limit": 1}]})",
                     "hugepageLimits[0].pageSize: expected a size such as \"2MB\" or \"1GB\""},
        BadResources{"PageSizeMissing", R"({"hugepageLimits": [{"limit": 1}]})",
                     "hugepageLimits[0].pageSize: required field missing"},
        BadResources{"PageSizeTwice",
                     R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 1}, {"pageSize": "2MB", "limit": 2}]})",
                     "hugepageLimits[1].pageSize: \"2MB\" is limited twice"},
        BadResources{"HugepageLimitNegative", R"({"hugepageLimits": [{"pageSize": "2MB", "limit": -1}]})",
                     "hugepageLimits[0].limit: expected a non-negative integer, got -1"},
        BadResources{"HugepageLimitsNotAList", R"({"hugepageLimits": {"pageSize": "2MB"}})",
                     "hugepageLimits: expected array, got object"},
        BadResources{"ClassIdTooBig", R"({"network": {"classID": 4294967296}})",
                     "network.classID: value 4294967296 out of range (at most 4294967295)"},
        BadResources{"PriorityWithoutName", R"({"network": {"priorities": [{"priority": 1}]}})",
                     "network.priorities[0].name: required field missing"},
        BadResources{"PriorityBadName", R"({"network": {"priorities": [{"name": "eth 0", "priority": 1}]}})",
                     "network.priorities[0].name: expected a network interface name, got \"eth 0\""},
        BadResources{"RdmaWithoutLimits", R"({"rdma": {"mlx5_0": {}}})",
                     "rdma.mlx5_0: expected hcaHandles, hcaObjects or both"},
        BadResources{"RdmaNegative", R"({"rdma": {"mlx5_0": {"hcaHandles": -2}}})",
                     "rdma.mlx5_0.hcaHandles: expected a non-negative integer, got -2"}));

}  // namespace
}  // namespace capsa::spec
