// Id-mapped bind mounts (mounts[].uidMappings/gidMappings, "idmap",
// "ridmap"): the container sees the source's owners through the mount's
// mappings, while the host's files keep theirs.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

constexpr uint32_t kHostBase = 100000;

class IdmappedMounts : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    // Searchable by whoever the mapping makes its owner (the container's
    // default capabilities do not override permissions).
    ASSERT_EQ(::chmod(src_.path().c_str(), 0755), 0);
    write_file_atomic(src_.path() + "/root-owned", "r\n", 0644);
    write_file_atomic(src_.path() + "/user-owned", "u\n", 0644);
    ASSERT_EQ(::chown((src_.path() + "/user-owned").c_str(), 1000, 1000), 0);
  }
  struct stat host_stat(const std::string& name) {
    struct stat st {};
    EXPECT_EQ(::stat((src_.path() + "/" + name).c_str(), &st), 0) << name;
    return st;
  }
  TempDir root_{"ocifields-root"};
  TempDir src_{"ocifields-idmap-src"};
};

TEST_F(IdmappedMounts, OwnersAppearThroughTheMountsOwnMappings) {
  Bundle b({"/bin/sh", "-c", "stat -c '%u:%g' /data/root-owned /data/user-owned /plain/user-owned"});
  ::mkdir((b.rootfs() + "/data").c_str(), 0755);
  ::mkdir((b.rootfs() + "/plain").c_str(), 0755);
  nlohmann::json uids = {{{"containerID", 0}, {"hostID", 5000}, {"size", 2000}}};
  nlohmann::json gids = {{{"containerID", 0}, {"hostID", 7000}, {"size", 2000}}};
  b.config()["mounts"].push_back({{"destination", "/data"},
                                  {"type", "bind"},
                                  {"source", src_.path()},
                                  {"options", {"rbind"}},
                                  {"uidMappings", uids},
                                  {"gidMappings", gids}});
  b.config()["mounts"].push_back(
      {{"destination", "/plain"}, {"type", "bind"}, {"source", src_.path()}, {"options", {"rbind"}}});
  b.save();
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("ocifields-idmap")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "5000:7000\n6000:8000\n1000:1000\n") << "the plain bind of the same directory is not mapped";
  EXPECT_EQ(host_stat("root-owned").st_uid, 0u);
  EXPECT_EQ(host_stat("user-owned").st_uid, 1000u);
}

// The common case: host files owned by root belong to the container's root
// (an unprivileged host uid) through the mount, not to "nobody".
TEST_F(IdmappedMounts, IdmapWithoutMappingsTakesTheContainersUserNamespace) {
  Bundle b({"/bin/sh", "-c",
            "stat -c '%u:%g' /data/root-owned /plain/root-owned; echo made > /data/made-inside && echo wrote"});
  ASSERT_EQ(::chmod(b.path().c_str(), 0755), 0);
  ::mkdir((b.rootfs() + "/data").c_str(), 0755);
  ::mkdir((b.rootfs() + "/plain").c_str(), 0755);
  auto& c = b.config();
  c["linux"]["namespaces"].push_back({{"type", "user"}});
  c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", kHostBase}, {"size", 65536}}};
  c["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", kHostBase}, {"size", 65536}}};
  c["mounts"].push_back({{"destination", "/data"}, {"type", "bind"}, {"source", src_.path()}, {"options", {"rbind", "idmap"}}});
  c["mounts"].push_back({{"destination", "/plain"}, {"type", "bind"}, {"source", src_.path()}, {"options", {"rbind"}}});
  b.save();
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("ocifields-idmap-ns")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "0:0\n65534:65534\nwrote\n") << "unmapped owners show as the overflow id without idmap";
  // Written by the container's root through the mount: host root's on disk.
  auto made = host_stat("made-inside");
  EXPECT_EQ(made.st_uid, 0u);
  EXPECT_EQ(made.st_gid, 0u);
}

}  // namespace
}  // namespace capsa::test
