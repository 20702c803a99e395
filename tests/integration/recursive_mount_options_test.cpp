// Recursive mount options (rro, rnoexec, ...): applied with
// mount_setattr(AT_RECURSIVE), they reach the submounts an rbind brings along,
// where plain ro and noexec stop at the top mount.
#include <sys/mount.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class RecursiveMountOptions : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    ASSERT_EQ(::mkdir(sub().c_str(), 0755), 0);
    ASSERT_EQ(::mount("tmpfs", sub().c_str(), "tmpfs", 0, "mode=755,size=1m"), 0) << "mount tmpfs on " << sub();
    submounted_ = true;
    write_file_atomic(sub() + "/run.sh", "#!/bin/sh\necho ran\n", 0755);
  }
  void TearDown() override {
    if (submounted_) ::umount2(sub().c_str(), MNT_DETACH);
  }
  std::string sub() const { return host_.path() + "/sub"; }

  // Runs `script` in a container with the host directory rbound on /data.
  CommandResult run_with(const std::vector<std::string>& options, const std::string& script) {
    Bundle b({"/bin/sh", "-c", script});
    ::mkdir((b.rootfs() + "/data").c_str(), 0755);
    b.config()["mounts"].push_back(
        {{"destination", "/data"}, {"type", "bind"}, {"source", host_.path()}, {"options", options}});
    b.save();
    return capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("ocifields-rmnt")});
  }

  TempDir root_{"ocifields-root"};
  TempDir host_{"ocifields-host"};
  bool submounted_ = false;
};

constexpr const char* kWriteBoth =
    "touch /data/top 2>/dev/null && echo top-writable || echo top-read-only; touch /data/sub/f && echo sub-writable";

TEST_F(RecursiveMountOptions, RroMakesTheSubmountReadOnlyWhereRoLeavesItWritable) {
  auto ro = run_with({"rbind", "ro"}, kWriteBoth);
  ASSERT_EQ(ro.exit_code, 0) << ro.out << ro.err;
  EXPECT_EQ(ro.out, "top-read-only\nsub-writable\n") << "plain ro stops at the top mount";

  ::unlink((sub() + "/f").c_str());
  auto rro = run_with({"rbind", "rro"}, kWriteBoth);
  EXPECT_NE(rro.exit_code, 0);
  EXPECT_EQ(rro.out, "top-read-only\n") << rro.err;
  EXPECT_NE(rro.err.find("/data/sub/f: Read-only file system"), std::string::npos) << rro.err;
  EXPECT_FALSE(path_exists(sub() + "/f"));
  // Only the container's copies of the mounts changed.
  write_file_atomic(sub() + "/host-still-writes", "yes\n");
  EXPECT_TRUE(path_exists(sub() + "/host-still-writes"));
}

TEST_F(RecursiveMountOptions, RnoexecReachesTheSubmountAndRrwUndoesRro) {
  auto noexec = run_with({"rbind", "noexec"}, "/data/sub/run.sh");
  EXPECT_EQ(noexec.exit_code, 0) << noexec.err;
  EXPECT_EQ(noexec.out, "ran\n") << "plain noexec stops at the top mount";
  auto rnoexec = run_with({"rbind", "rnoexec"}, "/data/sub/run.sh");
  EXPECT_NE(rnoexec.exit_code, 0);
  EXPECT_NE(rnoexec.err.find("Permission denied"), std::string::npos) << rnoexec.out << rnoexec.err;
  // The later option wins, as with the plain ones.
  auto rrw = run_with({"rbind", "rro", "rrw"}, "echo x > /data/sub/g && echo sub-writable");
  EXPECT_EQ(rrw.exit_code, 0) << rrw.err;
  EXPECT_EQ(rrw.out, "sub-writable\n");
}

TEST_F(RecursiveMountOptions, AtimeOptionsShowInTheContainersMountinfo) {
  auto r = run_with({"rbind", "rnoatime", "rnodiratime", "rnosuid"},
                    "grep ' /data/sub ' /proc/self/mountinfo | cut -d' ' -f6");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("noatime"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nodiratime"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nosuid"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace capsa::test
