#include <sys/mount.h>

#include <algorithm>

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

TEST(MountOptions, RecursiveOptionsBecomeMountSetattrBits) {
  auto o = parse_mount_options({"rbind", "rro", "rnosuid", "rnodev", "rexec", "nodev"}, "m");
  EXPECT_EQ(o.rec_attr_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
  EXPECT_EQ(o.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR_NOEXEC));
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NODEV)) << "plain options stay mount(2) flags";
  auto back = parse_mount_options({"rro", "rrw"}, "m");
  EXPECT_EQ(back.rec_attr_set, 0u);
  EXPECT_EQ(back.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
}

// The kernel takes the atime setting as one value: the whole field is
// cleared and the last option given wins.
TEST(MountOptions, RecursiveAtimeOptionsReplaceTheWholeAtimeField) {
  auto o = parse_mount_options({"rnoatime", "rstrictatime"}, "m");
  EXPECT_EQ(o.rec_attr_set, static_cast<uint64_t>(MOUNT_ATTR_STRICTATIME));
  EXPECT_EQ(o.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
  auto a = parse_mount_options({"rnoatime", "ratime"}, "m");
  EXPECT_EQ(a.rec_attr_set, static_cast<uint64_t>(MOUNT_ATTR_RELATIME));
  EXPECT_EQ(a.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
  EXPECT_TRUE(a.has_rec_attr());
  EXPECT_FALSE(parse_mount_options({"ro", "nosuid"}, "m").has_rec_attr());
}

TEST(MountOptions, TmpcopyupIsForTheRuntimeNotTheKernel) {
  auto o = parse_mount_options({"nosuid", "tmpcopyup", "mode=755"}, "m");
  EXPECT_TRUE(o.copy_up);
  EXPECT_EQ(o.data, "mode=755") << "tmpfs would refuse tmpcopyup as an option";
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID));
  EXPECT_FALSE(parse_mount_options({"mode=755"}, "m").copy_up);
  auto known = known_mount_options();
  EXPECT_NE(std::find(known.begin(), known.end(), "tmpcopyup"), known.end());
}

}  // namespace
}  // namespace capsa::container
