// The tmpcopyup mount option: a tmpfs over a rootfs directory starts with a
// copy of that directory (contents, modes, owners, symlinks, xattrs), is
// writable, and writes to it never reach the image.
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

class Tmpcopyup : public ::testing::Test {
protected:
  void SetUp() override { CAPSA_REQUIRE_ROOT(); }

  // A /data in the image with a file, a subdirectory, a symlink and a fifo.
  void populate(Bundle& b) {
    std::string data = b.rootfs() + "/data";
    ASSERT_EQ(::mkdir(data.c_str(), 0750), 0);
    ASSERT_EQ(::chown(data.c_str(), 0, 0), 0);
    write_file_atomic(data + "/f", "from the image\n", 0640);
    ASSERT_EQ(::chown((data + "/f").c_str(), 0, 1001), 0);
    // Copied too where the tmpfs takes it; busybox cannot show it.
    ::setxattr((data + "/f").c_str(), "user.origin", "image", 5, 0);
    ASSERT_EQ(::mkdir((data + "/sub").c_str(), 0711), 0);
    ASSERT_EQ(::symlink("../f", (data + "/sub/link").c_str()), 0);
    ASSERT_EQ(::mkfifo((data + "/sub/pipe").c_str(), 0600), 0);
  }
  void mount_tmpfs(Bundle& b, const std::string& type, std::vector<std::string> options) {
    b.config()["mounts"].push_back(
        {{"destination", "/data"}, {"type", type}, {"source", type == "bind" ? b.rootfs() + "/data" : type},
         {"options", options}});
    b.save();
  }

  TempDir root_{"ocifields-root"};
};

TEST_F(Tmpcopyup, TheTmpfsStartsWithTheCoveredDirectoryAndKeepsItsWritesPrivate) {
  Bundle b({"/bin/sh", "-c",
            "grep -q ' /data tmpfs ' /proc/mounts && echo tmpfs; stat -c '%a %u %g' /data/f; cat /data/sub/link; "
            "stat -c '%a %F' /data/sub /data/sub/pipe; echo new > /data/f && echo writable"});
  populate(b);
  mount_tmpfs(b, "tmpfs", {"nosuid", "tmpcopyup", "mode=755"});
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("ocifields-copyup")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "tmpfs\n640 0 1001\nfrom the image\n711 directory\n600 fifo\nwritable\n");
  EXPECT_EQ(read_file(b.rootfs() + "/data/f"), "from the image\n") << "the write went to the tmpfs, not the image";
}

TEST_F(Tmpcopyup, ReadOnlyIsAppliedAfterTheCopy) {
  Bundle b({"/bin/sh", "-c", "cat /data/f; touch /data/x 2>/dev/null && echo writable || echo read-only"});
  populate(b);
  mount_tmpfs(b, "tmpfs", {"tmpcopyup", "ro"});
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("ocifields-copyup-ro")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "from the image\nread-only\n");
}

TEST_F(Tmpcopyup, OnABindMountItIsAConfigErrorNamingTheMount) {
  Bundle b({"/bin/true"});
  populate(b);
  mount_tmpfs(b, "bind", {"rbind", "tmpcopyup"});
  std::string id = unique_id("ocifields-copyup-bind");
  auto r = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("/data): mount option \"tmpcopyup\" applies to tmpfs mounts only, not to bind mounts"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("config.json: mounts["), std::string::npos) << r.err;
  EXPECT_EQ(leftovers_of_failed_create(root_.path(), id, b.path()), "");
}

}  // namespace
}  // namespace capsa::test
