// User and time namespaces: the container's root is an unprivileged host uid,
// its devices, /sys and cgroups still work, and its clocks carry the
// configured offsets; exec joins the same namespaces.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

constexpr uint32_t kHostBase = 100000;
constexpr uint32_t kYear = 365 * 24 * 3600;

// As under runc, the container's root (an unprivileged host uid) must be
// able to reach the rootfs: the bundle directory is made searchable.
void add_user_ns(Bundle& b) {
  ASSERT_EQ(::chmod(b.path().c_str(), 0755), 0);
  auto& c = b.config();
  c["linux"]["namespaces"].push_back({{"type", "user"}});
  c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", kHostBase}, {"size", 65536}}};
  c["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", kHostBase}, {"size", 65536}}};
}

std::string status_field(pid_t pid, const std::string& key) {
  std::string text = read_file_or_empty("/proc/" + std::to_string(pid) + "/status");
  auto at = text.find("\n" + key + ":\t");
  if (at == std::string::npos) return "";
  auto start = at + key.size() + 3;
  return text.substr(start, text.find('\n', start) - start);
}

std::string ns_link(const std::string& path) {
  char buf[256];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

class UserTimeNs : public ::testing::Test {
protected:
  void SetUp() override { CAPSA_REQUIRE_ROOT(); }
  TempDir root_{"capsa-root"};
};

TEST_F(UserTimeNs, ContainerRootIsAnUnprivilegedHostUidWithWorkingDevicesSysAndCgroups) {
  TempDir shared("capsa-userns-shared");
  ASSERT_EQ(::chmod(shared.path().c_str(), 0777), 0);
  Bundle b({"/bin/sh", "-c",
            "id -u; id -g; read a b c < /proc/self/uid_map; echo map $a $b $c; "
            "echo hi > /dev/null && head -c 4 /dev/zero | wc -c; "
            "ls /sys/class/net; "
            "test -f /sys/fs/cgroup/pids/pids.max -o -f /sys/fs/cgroup/pids.max && echo own-cgroup; "
            "touch /shared/made-inside; "
            "mknod /shared/mem c 1 1 2>/dev/null || echo no-mknod; "
            "cat /shared/secret 2>/dev/null || echo no-secret; "
            "hostname"});
  write_file_atomic(shared.path() + "/secret", "host root only\n", 0600);
  // The rootfs belongs to host root, which is unmapped: the container's root
  // cannot create the mount point, so the image brings it (as under runc).
  ASSERT_EQ(::mkdir((b.rootfs() + "/shared").c_str(), 0755), 0);
  add_user_ns(b);
  // Capabilities that would defeat both checks outside a user namespace.
  nlohmann::json caps = {"CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_MKNOD", "CAP_SYS_ADMIN"};
  for (const char* set : {"bounding", "effective", "permitted"}) b.config()["process"]["capabilities"][set] = caps;
  b.config()["mounts"].push_back(
      {{"destination", "/shared"}, {"type", "bind"}, {"source", shared.path()}, {"options", {"rbind", "rw"}}});
  b.config()["hostname"] = "in-userns";
  b.save();
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("userns")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "0\n0\nmap 0 " + std::to_string(kHostBase) + " 65536\n4\nlo\nown-cgroup\nno-mknod\nno-secret\nin-userns\n");
  // What the container made is owned by the mapped host uid, not root.
  struct stat st;
  ASSERT_EQ(::stat((shared.path() + "/made-inside").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kHostBase);
  EXPECT_EQ(st.st_gid, kHostBase);
}

TEST_F(UserTimeNs, WithoutItsOwnNetworkNamespaceSysIsTheHostsBoundReadOnly) {
  // sysfs may only be mounted by the owner of the network namespace.
  Bundle b({"/bin/sh", "-c", "test -d /sys/class/net/lo && echo has-sys; touch /sys/kernel/x 2>/dev/null || echo read-only"});
  add_user_ns(b);
  auto& ns = b.config()["linux"]["namespaces"];
  for (size_t i = 0; i < ns.size(); ++i)
    if (ns[i]["type"] == "network") ns.erase(i);
  b.save();
  auto r = capsa(root_.path(), {"run", "--bundle", b.path(), unique_id("userns-sys")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "has-sys\nread-only\n");
}

TEST_F(UserTimeNs, ExecJoinsTheUserNamespaceAndTheHostSeesTheMappedUid) {
  Bundle b({"/bin/sleep", "1000"});
  add_user_ns(b);
  b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.save();
  std::string id = unique_id("userns-exec");
  auto c = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto st = capsa(root_.path(), {"state", id});
  pid_t pid = nlohmann::json::parse(st.out)["pid"].get<pid_t>();
  EXPECT_EQ(status_field(pid, "Uid"), "101000\t101000\t101000\t101000");
  EXPECT_EQ(status_field(pid, "Gid"), "101000\t101000\t101000\t101000");
  ASSERT_EQ(capsa(root_.path(), {"start", id}).exit_code, 0);
  auto e = capsa(root_.path(), {"exec", id, "/bin/sh", "-c", "id -u; read a b c < /proc/self/uid_map; echo $a $b $c"});
  EXPECT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.out, "1000\n0 " + std::to_string(kHostBase) + " 65536\n");
  auto root_exec = capsa(root_.path(), {"exec", "--user", "0:0", id, "/bin/id", "-u"});
  EXPECT_EQ(root_exec.out, "0\n") << root_exec.err;
  EXPECT_EQ(capsa(root_.path(), {"delete", "--force", id}).exit_code, 0);
}

TEST_F(UserTimeNs, TimeNamespaceOffsetsShiftBoottimeForInitAndExec) {
  Bundle b({"/bin/sleep", "1000"});
  b.config()["linux"]["namespaces"].push_back({{"type", "time"}});
  b.config()["linux"]["timeOffsets"] = {{"boottime", {{"secs", kYear}}}, {"monotonic", {{"secs", kYear}}}};
  b.save();
  std::string id = unique_id("timens");
  ASSERT_EQ(capsa(root_.path(), {"run", "--detach", "--bundle", b.path(), id}).exit_code, 0);
  auto uptime = [&](const std::vector<std::string>& cmd) {
    std::vector<std::string> args = {"exec", id};
    args.insert(args.end(), cmd.begin(), cmd.end());
    auto r = capsa(root_.path(), args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::stod(r.out.empty() ? "0" : r.out);
  };
  double host = std::stod(read_file_or_empty("/proc/uptime"));
  double inside = uptime({"/bin/cat", "/proc/uptime"});
  EXPECT_GE(inside, host + kYear - 60) << "host uptime " << host;
  EXPECT_LT(inside, host + kYear + 600);
  auto st = capsa(root_.path(), {"state", id});
  pid_t pid = nlohmann::json::parse(st.out)["pid"].get<pid_t>();
  // The init itself is in the namespace, not just its children.
  EXPECT_EQ(ns_link("/proc/" + std::to_string(pid) + "/ns/time"),
            ns_link("/proc/" + std::to_string(pid) + "/ns/time_for_children"));
  EXPECT_NE(ns_link("/proc/" + std::to_string(pid) + "/ns/time"), ns_link("/proc/self/ns/time"));
  EXPECT_EQ(capsa(root_.path(), {"delete", "--force", id}).exit_code, 0);
}

TEST_F(UserTimeNs, WhatCapsaCannotDoWithAUserNamespaceFailsCreateAndLeavesNothing) {
  Bundle b({"/bin/true"});
  add_user_ns(b);
  for (auto& ns : b.config()["linux"]["namespaces"])
    if (ns["type"] == "network") ns["path"] = "/proc/1/ns/net";
  b.save();
  std::string id = unique_id("userns-bad");
  auto r = capsa(root_.path(), {"create", "--bundle", b.path(), id});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("].path: joining a network namespace together with a new user namespace is not supported"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");
  EXPECT_FALSE(path_exists("/sys/fs/cgroup/pids/capsa/" + id));

  // A rootfs the container's root cannot reach: the error says why.
  Bundle hidden({"/bin/true"});
  add_user_ns(hidden);
  hidden.save();
  ASSERT_EQ(::chmod(hidden.path().c_str(), 0700), 0);
  auto h = capsa(root_.path(), {"create", "--bundle", hidden.path(), id});
  EXPECT_NE(h.exit_code, 0);
  EXPECT_NE(h.err.find("Permission denied (with a user namespace, every directory up to the rootfs must be searchable"),
            std::string::npos)
      << h.err;
  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");
  EXPECT_FALSE(path_exists("/sys/fs/cgroup/pids/capsa/" + id));
}

}  // namespace
}  // namespace capsa::test
