#include <sys/mount.h>

#include <gtest/gtest.h>

#include "common/error.h"
#include "container/mount_options.h"

namespace capsa::container {
namespace {

TEST(MountOptions, FlagsDataAndPropagationAreSeparated) {
  auto o = parse_mount_options({"nosuid", "strictatime", "mode=755", "size=65536k"}, "mounts[1]");
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(o.data, "mode=755,size=65536k");
  EXPECT_FALSE(o.bind);
  EXPECT_EQ(o.propagation, 0u);
}

TEST(MountOptions, LaterOptionsOverrideEarlierOnes) {
  auto o = parse_mount_options({"ro", "rw", "noexec", "exec", "nodev"}, "m");
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NODEV));
}

TEST(MountOptions, BindAndRbindAndPropagation) {
  auto b = parse_mount_options({"bind", "ro"}, "m");
  EXPECT_TRUE(b.bind);
  EXPECT_FALSE(b.recursive);
  EXPECT_EQ(b.flags, static_cast<unsigned long>(MS_RDONLY));
  auto r = parse_mount_options({"rbind", "rslave"}, "m");
  EXPECT_TRUE(r.bind);
  EXPECT_TRUE(r.recursive);
  EXPECT_EQ(r.propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
}

TEST(MountOptions, UnsupportedRecursiveOptionsFailNamingTheField) {
  try {
    parse_mount_options({"rro"}, "mounts[3] (/data)");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mounts[3] (/data): mount option \"rro\""), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace capsa::container
