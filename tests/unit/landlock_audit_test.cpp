// The Landlock audit records capsad --landlock-events reads, as the kernel
// writes them (Documentation/admin-guide/LSM/landlock.rst): quoted and
// hex-encoded paths, several blockers, the domain record's creator.
#include "daemon/landlock_audit.h"

#include <gtest/gtest.h>

#include "policy/model.h"

namespace capsa::daemon {
namespace {

TEST(LandlockAudit, AnAccessRecordGivesDomainPathAndAccesses) {
  auto d = parse_landlock_access(
      "audit(1732186800.349:44): domain=195ba459b blockers=fs.read_file path=\"/secret/deep/token\" dev=\"vda\" "
      "ino=1234");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->serial, 44u);
  EXPECT_EQ(d->domain, 0x195ba459bull);
  EXPECT_EQ(d->path, "/secret/deep/token");
  EXPECT_EQ(d->access, policy::kFileRead);
  EXPECT_EQ(d->blockers, "fs.read_file");
}

TEST(LandlockAudit, BlockersMapToEveryAccessTheyStandFor) {
  auto d = parse_landlock_access(
      "audit(1.2:3): domain=1 blockers=fs.make_reg,fs.remove_file,fs.write_file,fs.execute path=\"/d\" dev=\"x\" ino=1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->access, policy::kFileCreate | policy::kFileUnlink | policy::kFileWrite | policy::kFileExec);
}

TEST(LandlockAudit, APathWithSpacesComesHexEncoded) {
  // audit writes untrusted strings with a space or quote in hex.
  auto d = parse_landlock_access("audit(1.2:3): domain=a blockers=fs.read_file path=2F6120622F63 dev=\"x\" ino=1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->path, "/a b/c");
}

TEST(LandlockAudit, TheDomainRecordNamesItsCreatorOnceAllocated) {
  auto a = parse_landlock_domain(
      "audit(1.2:44): domain=195ba459b status=allocated mode=enforcing pid=300 uid=0 exe=\"/root/s\" comm=\"s\"");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, 0x195ba459bull);
  EXPECT_EQ(a->second, 300);
  EXPECT_FALSE(parse_landlock_domain("audit(1.2:45): domain=195ba459b status=deallocated denials=3"));
  EXPECT_FALSE(parse_landlock_access("audit(1.2:46): op=add_rule key=(null) list=1 res=1")) << "not Landlock's";
}

}  // namespace
}  // namespace capsa::daemon
