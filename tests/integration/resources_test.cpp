// linux.resources.blockIO, hugepageLimits, network and rdma against the real
// kernel: the values land in the container's cgroup files (v1 blkio and the
// cgroup2 hugetlb of this hybrid host, and on an emulated pure-v2 host),
// `capsa update` changes them, `capsa events --stats` reports them, and what
// the host cannot honour fails create naming the field, leaving nothing.
#include <dirent.h>

#include <gtest/gtest.h>

#include "cgroup/hugetlb.h"
#include "cgroup/layout.h"
#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A whole disk of this machine ("254:0" for vda): not a loop, ram or zram
// device, which other tests may come and go with.
std::string real_disk() {
  DIR* d = ::opendir("/sys/block");
  if (!d) return "";
  std::unique_ptr<DIR, int (*)(DIR*)> close_dir(d, ::closedir);
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) names.push_back(e->d_name);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (n[0] == '.' || n.rfind("loop", 0) == 0 || n.rfind("ram", 0) == 0 || n.rfind("zram", 0) == 0) continue;
    std::string dev = trim(read_file_or_empty("/sys/block/" + n + "/dev"));
    if (!dev.empty()) return dev;
  }
  return "";
}

std::pair<int64_t, int64_t> split_dev(const std::string& dev) {
  auto colon = dev.find(':');
  return {std::stoll(dev.substr(0, colon)), std::stoll(dev.substr(colon + 1))};
}

nlohmann::json throttle(const std::string& dev, uint64_t rate) {
  auto [major, minor] = split_dev(dev);
  return {{{"major", major}, {"minor", minor}, {"rate", rate}}};
}

class Resources : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    layout_ = cgroup::detect_layout();
    disk_ = real_disk();
    auto sizes = cgroup::host_hugepage_sizes();
    if (!sizes.empty()) page_size_ = sizes[0];
  }
  void TearDown() override {
    for (const auto& id : ids_) capsa(root_.path(), {"delete", "--force", id});
  }
  std::string start(Bundle& b) {
    std::string id = unique_id("resources");
    auto r = capsa(root_.path(), {"run", "-d", "--bundle", b.path(), id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code == 0) ids_.push_back(id);
    return id;
  }
  // The container's directory in the hierarchy whose key contains `key`
  // ("unified" for cgroup2), from the state capsa keeps.
  std::string dir_of(const std::string& id, const std::string& key) {
    auto st = nlohmann::json::parse(read_file(root_.path() + "/" + id + "/state.json"));
    for (auto& [k, dir] : st["cgroup"]["dirs"].items())
      if (k == key || (key != "unified" && k.find(key) != std::string::npos)) return dir;
    return "";
  }
  // blkio.weight where the kernel still has CFQ's file, else BFQ's.
  std::string weight_file(const std::string& dir) {
    return path_exists(dir + "/blkio.weight") ? dir + "/blkio.weight" : dir + "/blkio.bfq.weight";
  }
  std::string hugetlb_dir(const std::string& id) {
    return dir_of(id, layout_.v2_has("hugetlb") ? "unified" : "hugetlb");
  }
  std::string hugetlb_limit_file() {
    return "hugetlb." + page_size_ + (layout_.v2_has("hugetlb") ? ".max" : ".limit_in_bytes");
  }

  TempDir root_{"capsa-root"};
  cgroup::Layout layout_;
  std::string disk_, page_size_;
  std::vector<std::string> ids_;
};

#define REQUIRE_BLKIO_AND_HUGETLB()                                                                    \
  do {                                                                                                 \
    if (!layout_.v1_with("blkio")) GTEST_SKIP() << "needs the cgroup v1 blkio hierarchy (hybrid host)"; \
    if (disk_.empty()) GTEST_SKIP() << "needs a real block device in /sys/block";                    \
    if (page_size_.empty()) GTEST_SKIP() << "needs huge pages (/sys/kernel/mm/hugepages)";            \
    if (!layout_.v2_has("hugetlb") && !layout_.v1_with("hugetlb"))                                     \
      GTEST_SKIP() << "needs the hugetlb controller";                                                  \
  } while (0)

TEST_F(Resources, CreateWritesBlockIoAndHugepageLimitsOnThisHybridHost) {
  REQUIRE_BLKIO_AND_HUGETLB();
  Bundle b({"/bin/sleep", "600"});
  auto& res = b.config()["linux"]["resources"];
  res["blockIO"] = {{"weight", 300},
                    {"throttleReadBpsDevice", throttle(disk_, 1048576)},
                    {"throttleWriteBpsDevice", throttle(disk_, 2097152)},
                    {"throttleReadIOPSDevice", throttle(disk_, 1000)},
                    {"throttleWriteIOPSDevice", throttle(disk_, 500)}};
  res["hugepageLimits"] = {{{"pageSize", page_size_}, {"limit", 4 * 2097152}}};
  b.save();
  std::string id = start(b);
  ASSERT_FALSE(HasFailure());

  std::string blkio = dir_of(id, "blkio");
  ASSERT_FALSE(blkio.empty());
  EXPECT_EQ(read_file(weight_file(blkio)), "300\n");
  EXPECT_EQ(read_file(blkio + "/blkio.throttle.read_bps_device"), disk_ + " 1048576\n");
  EXPECT_EQ(read_file(blkio + "/blkio.throttle.write_bps_device"), disk_ + " 2097152\n");
  EXPECT_EQ(read_file(blkio + "/blkio.throttle.read_iops_device"), disk_ + " 1000\n");
  EXPECT_EQ(read_file(blkio + "/blkio.throttle.write_iops_device"), disk_ + " 500\n");

  // This host binds hugetlb to cgroup2, not v1: the limit is found there.
  std::string hdir = hugetlb_dir(id);
  EXPECT_EQ(read_file(hdir + "/" + hugetlb_limit_file()), "8388608\n") << hdir;
  if (layout_.v2_has("hugetlb") && path_exists(hdir + "/hugetlb." + page_size_ + ".rsvd.max")) {
    EXPECT_EQ(read_file(hdir + "/hugetlb." + page_size_ + ".rsvd.max"), "8388608\n");
  }
}

TEST_F(Resources, UpdateChangesBlkioWeightThrottlesAndHugepageLimits) {
  REQUIRE_BLKIO_AND_HUGETLB();
  Bundle b({"/bin/sleep", "600"});
  b.config()["linux"]["resources"]["blockIO"] = {{"weight", 300}};
  b.save();
  std::string id = start(b);
  ASSERT_FALSE(HasFailure());
  std::string blkio = dir_of(id, "blkio");

  auto w = capsa(root_.path(), {"update", "--blkio-weight", "700", id});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_EQ(read_file(weight_file(blkio)), "700\n");
  auto low = capsa(root_.path(), {"update", "--blkio-weight", "5", id});
  EXPECT_EQ(low.exit_code, 1);
  EXPECT_NE(low.err.find("--blkio-weight: expected 10 to 1000, got 5"), std::string::npos) << low.err;

  TempDir dir("capsa-update");
  std::string file = dir.path() + "/resources.json";
  nlohmann::json r = {{"blockIO", {{"weight", 150}, {"throttleWriteBpsDevice", throttle(disk_, 4096000)}}},
                      {"hugepageLimits", {{{"pageSize", page_size_}, {"limit", 2097152}}}}};
  write_file_atomic(file, r.dump());
  auto u = capsa(root_.path(), {"update", "-r", file, id});
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_EQ(read_file(weight_file(blkio)), "150\n");
  EXPECT_EQ(read_file(blkio + "/blkio.throttle.write_bps_device"), disk_ + " 4096000\n");
  EXPECT_EQ(read_file(hugetlb_dir(id) + "/" + hugetlb_limit_file()), "2097152\n");

  // A rate of 0 takes the limit away, as in runc.
  write_file_atomic(file, nlohmann::json{{"blockIO", {{"throttleWriteBpsDevice", throttle(disk_, 0)}}}}.dump());
  auto off = capsa(root_.path(), {"update", "-r", file, id});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(read_file(blkio + "/blkio.throttle.write_bps_device"), "");

  // Checked before anything is written: the valid weight in the same file
  // is not applied either.
  r = {{"blockIO", {{"weight", 900}, {"throttleReadBpsDevice", throttle("4095:1048575", 1)}}}};
  write_file_atomic(file, r.dump());
  auto bad = capsa(root_.path(), {"update", "-r", file, id});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("linux.resources.blockIO.throttleReadBpsDevice[0]: no block device 4095:1048575 on this host"),
            std::string::npos)
      << bad.err;
  r = {{"blockIO", {{"weight", 900}}}, {"hugepageLimits", {{{"pageSize", "4KB"}, {"limit", 0}}}}};
  write_file_atomic(file, r.dump());
  auto size = capsa(root_.path(), {"update", "-r", file, id});
  EXPECT_EQ(size.exit_code, 1);
  EXPECT_NE(size.err.find("linux.resources.hugepageLimits[0].pageSize: \"4KB\" is not a huge page size of this kernel"),
            std::string::npos)
      << size.err;
  EXPECT_EQ(read_file(weight_file(blkio)), "150\n");
}

TEST_F(Resources, EventsStatsReportBlkioAndHugetlb) {
  REQUIRE_BLKIO_AND_HUGETLB();
  // O_DIRECT writes reach the disk from the container's own context, so v1
  // blkio charges them to its cgroup (buffered writeback would not be).
  Bundle b({"/bin/sh", "-c",
            "dd if=/dev/zero of=/tmp/direct bs=4096 count=64 oflag=direct 2>/dev/null && touch /tmp/written; "
            "exec sleep 600"});
  b.config()["root"]["readonly"] = false;
  b.config()["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", page_size_}, {"limit", 2097152}}};
  b.save();
  std::string id = start(b);
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(eventually([&] { return path_exists(b.rootfs() + "/tmp/written"); }, 30000));
  auto r = capsa(root_.path(), {"events", "--stats", id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ev = nlohmann::json::parse(r.out);
  ASSERT_EQ(ev["type"], "stats");
  const auto& data = ev["data"];

  auto [major, minor] = split_dev(disk_);
  uint64_t written = 0;
  ASSERT_TRUE(data["blkio"].contains("ioServiceBytesRecursive")) << data["blkio"].dump();
  for (const auto& e : data["blkio"]["ioServiceBytesRecursive"])
    if (e.value("major", 0) == major && e.value("minor", 0) == minor && e.value("op", "") == "Write")
      written = e.value("value", uint64_t{0});
  EXPECT_GE(written, 64u * 4096) << data["blkio"].dump();
  EXPECT_TRUE(data["blkio"].contains("ioServicedRecursive")) << data["blkio"].dump();

  // The controller's own files for the page size, read from the container's
  // cgroup: nothing was allocated, nothing was refused.
  ASSERT_TRUE(data["hugetlb"].contains(page_size_)) << data["hugetlb"].dump();
  EXPECT_EQ(data["hugetlb"][page_size_]["failcnt"], 0) << data["hugetlb"].dump();
  EXPECT_FALSE(data["hugetlb"][page_size_].contains("usage")) << data["hugetlb"].dump();
}

TEST_F(Resources, PerDeviceWeightNeedsTheDiskToUseBfq) {
  if (!layout_.v1_with("blkio")) GTEST_SKIP() << "needs the cgroup v1 blkio hierarchy (hybrid host)";
  if (disk_.empty()) GTEST_SKIP() << "needs a real block device in /sys/block";
  std::string sched = read_file_or_empty("/sys/dev/block/" + disk_ + "/queue/scheduler");
  if (sched.find("[bfq]") != std::string::npos) GTEST_SKIP() << "the disk " << disk_ << " uses BFQ here";
  Bundle b({"/bin/true"});
  auto [major, minor] = split_dev(disk_);
  b.config()["linux"]["resources"]["blockIO"] = {
      {"weightDevice", {{{"major", major}, {"minor", minor}, {"weight", 200}}}}};
  b.save();
  std::string id = unique_id("resources");
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("linux.resources.blockIO.weightDevice[0].weight: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the device does not use the BFQ I/O scheduler"), std::string::npos) << r.err;
  EXPECT_EQ(leftovers_of_failed_create(root_.path(), id, b.path()), "");
}

// A loop device over a file, switched to the BFQ scheduler: a disk that
// takes per-device weights, where the machine's own disk does not.
class BfqLoopDevice {
public:
  BfqLoopDevice() {
    std::string image = dir_.path() + "/disk.img";
    auto made = run_command({"/usr/bin/truncate", "-s", "16M", image});
    if (made.exit_code != 0) throw std::runtime_error("truncate " + image + ": " + made.err);
    auto r = run_command({"/sbin/losetup", "--find", "--show", image});
    if (r.exit_code != 0) throw std::runtime_error("losetup --find --show " + image + ": " + r.err);
    path_ = trim(r.out);
    std::string name = path_.substr(path_.rfind('/') + 1);
    write_file("/sys/block/" + name + "/queue/scheduler", "bfq");
    if (read_file("/sys/block/" + name + "/queue/scheduler").find("[bfq]") == std::string::npos)
      throw std::runtime_error(path_ + " did not switch to bfq");
    dev_ = trim(read_file("/sys/block/" + name + "/dev"));
  }
  ~BfqLoopDevice() {
    if (!path_.empty()) run_command({"/sbin/losetup", "--detach", path_});
  }
  const std::string& dev() const { return dev_; }  // "7:3"

private:
  TempDir dir_{"capsa-bfq"};
  std::string path_, dev_;
};

TEST_F(Resources, PerDeviceWeightLandsOnADiskThatUsesBfq) {
  if (!layout_.v1_with("blkio")) GTEST_SKIP() << "needs the cgroup v1 blkio hierarchy (hybrid host)";
  if (read_file_or_empty("/sys/block/loop0/queue/scheduler").find("bfq") == std::string::npos)
    GTEST_SKIP() << "needs loop devices and the BFQ I/O scheduler";
  BfqLoopDevice disk;
  auto [major, minor] = split_dev(disk.dev());
  Bundle b({"/bin/sleep", "600"});
  b.config()["linux"]["resources"]["blockIO"] = {
      {"weight", 300}, {"weightDevice", {{{"major", major}, {"minor", minor}, {"weight", 200}}}}};
  b.save();
  std::string id = start(b);
  ASSERT_FALSE(id.empty());
  std::string blkio = dir_of(id, "blkio");
  EXPECT_EQ(read_file(blkio + "/blkio.bfq.weight"), "300\n");
  // BFQ lists the cgroup's default first, then each device's own.
  EXPECT_NE(read_file(blkio + "/blkio.bfq.weight_device").find(disk.dev() + " 200\n"), std::string::npos)
      << read_file(blkio + "/blkio.bfq.weight_device");

  TempDir dir("capsa-update");
  std::string file = dir.path() + "/resources.json";
  write_file_atomic(file, nlohmann::json{{"blockIO", {{"weightDevice", {{{"major", major}, {"minor", minor},
                                                                          {"weight", 700}}}}}}}
                              .dump());
  auto u = capsa(root_.path(), {"update", "-r", file, id});
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_NE(read_file(blkio + "/blkio.bfq.weight_device").find(disk.dev() + " 700\n"), std::string::npos)
      << read_file(blkio + "/blkio.bfq.weight_device");
  EXPECT_EQ(capsa(root_.path(), {"delete", "--force", id}).exit_code, 0);
}

TEST_F(Resources, NetworkAndRdmaWithoutTheirControllersFailNamingTheField) {
  struct Case {
    const char* controller;
    nlohmann::json resources;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"net_cls", {{"network", {{"classID", 1048577}}}},
       "linux.resources.network.classID: no net_cls controller on this host"},
      {"net_prio", {{"network", {{"priorities", {{{"name", "lo"}, {"priority", 1}}}}}}},
       "linux.resources.network.priorities[0]: no net_prio controller on this host"},
      {"rdma", {{"rdma", {{"mlx5_0", {{"hcaHandles", 2}}}}}}, "linux.resources.rdma: no rdma controller on this host"},
  };
  int ran = 0;
  for (const auto& c : cases) {
    if (layout_.v1_with(c.controller) || layout_.v2_has(c.controller) || layout_.kind() == cgroup::LayoutKind::Unified)
      continue;
    ++ran;
    Bundle b({"/bin/true"});
    b.config()["linux"]["resources"].update(c.resources);
    b.save();
    std::string id = unique_id("resources");
    auto r = capsa(root_.path(), {"run", "--bundle", b.path(), id});
    EXPECT_EQ(r.exit_code, 1) << c.controller;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    EXPECT_FALSE(path_exists(root_.path() + "/" + id));
    for (const auto& h : layout_.v1) EXPECT_FALSE(path_exists(h.mount_point + "/capsa/" + id)) << h.mount_point;
  }
  if (ran == 0) GTEST_SKIP() << "this host has net_cls, net_prio and rdma (or is pure v2)";
}

// The same container on a pure cgroup v2 host: hugetlb.<size>.max in its
// cgroup2 directory, update and stats from there; blockIO fails cleanly as
// this machine's io controller is bound to v1; network is dropped with a
// warning, as runc's v2 driver drops it.
TEST_F(Resources, PureV2HugepageLimitsUpdateAndStats) {
  if (!layout_.v2_has("hugetlb") || page_size_.empty())
    GTEST_SKIP() << "needs hugetlb on the cgroup2 hierarchy and huge pages";
  std::string capsa_cmd = std::string(CAPSA_BIN) + " --root " + root_.path();
  Bundle b({"/bin/sleep", "600"});
  b.config()["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", page_size_}, {"limit", 4194304}}};
  b.config()["linux"]["resources"]["network"] = {{"classID", 1048577}};
  b.save();
  TempDir dir("capsa-update");
  std::string file = dir.path() + "/resources.json";
  write_file_atomic(file, nlohmann::json{{"hugepageLimits", {{{"pageSize", page_size_}, {"limit", 2097152}}}}}.dump());
  std::string id = unique_id("resources");
  std::string cg = "/sys/fs/cgroup/capsa/" + id;
  std::string max = cg + "/hugetlb." + page_size_ + ".max";
  // The container lives in that mount namespace's view of the cgroups: it is
  // removed there, whatever happens on the way.
  auto r = on_pure_cgroup_v2(
      "trap '" + capsa_cmd + " delete --force " + id + " >/dev/null 2>&1' EXIT\n" +
      capsa_cmd + " run -d --bundle " + b.path() + " " + id + " || exit 1\n" +
      "cat " + max + "\n" +
      capsa_cmd + " update -r " + file + " " + id + " && cat " + max + "\n" +
      capsa_cmd + " events --stats " + id + "\n" +
      capsa_cmd + " delete --force " + id + " && test ! -e " + cg + " && echo deleted\n");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::istringstream out(r.out);
  std::string created, updated, stats, deleted;
  std::getline(out, created);
  std::getline(out, updated);
  std::getline(out, stats);
  std::getline(out, deleted);
  EXPECT_EQ(created, "4194304");
  EXPECT_EQ(updated, "2097152");
  auto ev = nlohmann::json::parse(stats, nullptr, false);
  ASSERT_FALSE(ev.is_discarded()) << r.out;
  EXPECT_TRUE(ev["data"]["hugetlb"].contains(page_size_)) << stats;
  EXPECT_EQ(ev["data"]["hugetlb"][page_size_]["failcnt"], 0) << stats;
  EXPECT_EQ(deleted, "deleted");
  EXPECT_NE(r.err.find("linux.resources.network.classID: ignored, as by runc: cgroup v2 has no net_cls controller"),
            std::string::npos)
      << r.err;
}

TEST_F(Resources, PureV2BlockIoWithoutTheIoControllerFailsAndLeavesNothing) {
  if (!layout_.unified || layout_.v2_has("io")) GTEST_SKIP() << "needs a cgroup2 hierarchy without the io controller";
  if (disk_.empty()) GTEST_SKIP() << "needs a real block device in /sys/block";
  std::string capsa_cmd = std::string(CAPSA_BIN) + " --root " + root_.path();
  Bundle b({"/bin/true"});
  b.config()["linux"]["resources"]["blockIO"] = {{"weight", 300}, {"throttleReadBpsDevice", throttle(disk_, 1048576)}};
  b.save();
  std::string id = unique_id("resources");
  auto r = on_pure_cgroup_v2(capsa_cmd + " run --bundle " + b.path() + " " + id +
                             "; echo rc=$?; test -e /sys/fs/cgroup/capsa/" + id + " && echo LEFTOVER; true");
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("LEFTOVER"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("linux.resources.blockIO: no io controller on this host"), std::string::npos) << r.err;
  EXPECT_FALSE(path_exists(root_.path() + "/" + id));
}

}  // namespace
}  // namespace capsa::test
