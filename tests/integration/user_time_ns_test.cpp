// User and time namespaces: the container's root is an unprivileged host uid,
// its devices, /sys and cgroups still work, and its clocks carry the
// configured offsets; exec joins the same namespaces. Namespaces joined by
// path go with user namespaces, new or joined, as under runc.
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <sstream>

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

TEST_F(UserTimeNs, AnUnreachableRootfsFailsCreateSayingWhyAndLeavesNothing) {
  Bundle hidden({"/bin/true"});
  add_user_ns(hidden);
  hidden.save();
  ASSERT_EQ(::chmod(hidden.path().c_str(), 0700), 0);
  std::string id = unique_id("userns-hidden");
  auto h = capsa(root_.path(), {"create", "--bundle", hidden.path(), id});
  EXPECT_NE(h.exit_code, 0);
  EXPECT_NE(h.err.find("Permission denied (with a user namespace, every directory up to the rootfs must be searchable"),
            std::string::npos)
      << h.err;
  EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, "");
  EXPECT_FALSE(path_exists("/sys/fs/cgroup/pids/capsa/" + id));
}

// Joining namespaces by path (linux.namespaces[].path) together with user
// namespaces, as runc does: a joined user namespace brings its own id maps, a
// new one is made after the others are joined.

// Deletes the container however the test ends.
struct Running {
  std::string root, id;
  ~Running() { capsa(root, {"delete", "--force", id}); }
};

pid_t init_pid(const std::string& root, const std::string& id) {
  auto st = capsa(root, {"state", id});
  if (st.exit_code != 0) return -1;
  return nlohmann::json::parse(st.out)["pid"].get<pid_t>();
}

std::string ns_of(pid_t pid, const std::string& ns) { return ns_link("/proc/" + std::to_string(pid) + "/ns/" + ns); }

// Index of the config's entry of this type, added (without a path) if absent.
size_t ns_entry(Bundle& b, const std::string& type) {
  auto& ns = b.config()["linux"]["namespaces"];
  for (size_t i = 0; i < ns.size(); ++i)
    if (ns[i]["type"] == type) return i;
  ns.push_back({{"type", type}});
  return ns.size() - 1;
}

// A network namespace no container made, held open by a process of ours (as
// `ip netns add` or a CNI plugin would hold one).
class HeldNetns {
public:
  HeldNetns() {
    int p[2];
    if (::pipe(p) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(p[0]);
      char ok = ::unshare(CLONE_NEWNET) == 0 ? '1' : '0';
      if (::write(p[1], &ok, 1) != 1) ::_exit(1);
      for (;;) ::pause();
    }
    ::close(p[1]);
    char ok = '0';
    ready_ = pid_ > 0 && ::read(p[0], &ok, 1) == 1 && ok == '1';
    ::close(p[0]);
  }
  ~HeldNetns() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  bool ready() const { return ready_; }
  std::string path() const { return "/proc/" + std::to_string(pid_) + "/ns/net"; }

private:
  pid_t pid_ = -1;
  bool ready_ = false;
};

// A veth pair whose far end is moved into a process's network namespace: an
// interface only that namespace has.
class VethInto {
public:
  explicit VethInto(const std::string& tag) : host_("uj" + tag + "h"), peer_("uj" + tag + "p") {
    created_ = run_command({kIp, "link", "add", host_, "type", "veth", "peer", "name", peer_}).exit_code == 0;
  }
  ~VethInto() {
    if (created_) run_command({kIp, "link", "del", host_});  // takes the peer with it, wherever it is
  }
  bool created() const { return created_; }
  bool move_peer_to(pid_t pid) {
    return run_command({kIp, "link", "set", peer_, "netns", std::to_string(pid)}).exit_code == 0;
  }
  const std::string& peer() const { return peer_; }

private:
  static constexpr const char* kIp = "/usr/sbin/ip";
  std::string host_, peer_;
  bool created_ = false;
};

void expect_nothing_left(const std::string& root, const std::string& id, const Bundle& b) {
  EXPECT_EQ(capsa(root, {"list", "-q"}).out, "");
  EXPECT_EQ(leftovers_of_failed_create(root, id, b.path()), "");
}

TEST_F(UserTimeNs, AContainerJoinsAnotherContainersUserAndNetworkNamespacesWithItsOwnPidAndMount) {
  // Names unique per test process; at most 15 characters.
  VethInto veth(std::to_string(::getpid() % 1000000));
  if (!veth.created()) GTEST_SKIP() << "NEEDS /usr/sbin/ip AND veth SUPPORT: cannot make an interface to look for";

  Bundle a({"/bin/sleep", "1000"});
  add_user_ns(a);
  a.save();
  Running ra{root_.path(), unique_id("usernsjoin-a")};
  ASSERT_EQ(capsa(root_.path(), {"run", "--detach", "--bundle", a.path(), ra.id}).exit_code, 0);
  pid_t apid = init_pid(root_.path(), ra.id);
  ASSERT_GT(apid, 0);
  ASSERT_TRUE(veth.move_peer_to(apid));

  // B: A's user and network namespaces by path, no id maps of its own.
  Bundle b({"/bin/sleep", "1000"});
  ASSERT_EQ(::chmod(b.path().c_str(), 0755), 0);
  b.config()["linux"]["namespaces"][ns_entry(b, "network")]["path"] = "/proc/" + std::to_string(apid) + "/ns/net";
  b.config()["linux"]["namespaces"][ns_entry(b, "user")]["path"] = "/proc/" + std::to_string(apid) + "/ns/user";
  b.save();
  Running rb{root_.path(), unique_id("usernsjoin-b")};
  auto r = capsa(root_.path(), {"run", "--detach", "--bundle", b.path(), rb.id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  pid_t bpid = init_pid(root_.path(), rb.id);
  ASSERT_GT(bpid, 0);

  // B's root is A's root: the host uid A's maps give it.
  std::string host_uid = std::to_string(kHostBase);
  EXPECT_EQ(status_field(bpid, "Uid"), host_uid + "\t" + host_uid + "\t" + host_uid + "\t" + host_uid);
  EXPECT_EQ(ns_of(bpid, "user"), ns_of(apid, "user"));
  EXPECT_EQ(ns_of(bpid, "net"), ns_of(apid, "net"));
  EXPECT_NE(ns_of(bpid, "user"), ns_link("/proc/self/ns/user"));
  for (const char* own : {"pid", "mnt", "uts", "ipc"}) {
    EXPECT_NE(ns_of(bpid, own), ns_of(apid, own)) << own;
    EXPECT_NE(ns_of(bpid, own), ns_link(std::string("/proc/self/ns/") + own)) << own;
  }
  // B's init is pid 1 of its own pid namespace.
  EXPECT_EQ(status_field(bpid, "NSpid"), std::to_string(bpid) + "\t1");

  // exec joins the same namespaces, the user namespace being A's.
  auto e = capsa(root_.path(), {"exec", rb.id, "/bin/sh", "-c",
                                "id -u; read a b c < /proc/self/uid_map; echo $a $b $c; "
                                "grep -c '" + veth.peer() + ":' /proc/net/dev; cat /proc/1/comm"});
  EXPECT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.out, "0\n0 " + host_uid + " 65536\n1\nsleep\n");
}

TEST_F(UserTimeNs, ANewUserNamespaceIsMadeAfterJoiningANetworkNamespaceTheHostOwns) {
  HeldNetns held;
  ASSERT_TRUE(held.ready()) << "could not hold a network namespace";
  Bundle c({"/bin/sleep", "1000"});
  add_user_ns(c);
  c.config()["linux"]["namespaces"][ns_entry(c, "network")]["path"] = held.path();
  c.save();
  Running rc{root_.path(), unique_id("usernsjoin-c")};
  auto r = capsa(root_.path(), {"run", "--detach", "--bundle", c.path(), rc.id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  pid_t cpid = init_pid(root_.path(), rc.id);
  ASSERT_GT(cpid, 0);

  EXPECT_EQ(ns_of(cpid, "net"), ns_link(held.path()));
  EXPECT_NE(ns_of(cpid, "user"), ns_link("/proc/self/ns/user"));
  // Its own user namespace, with the maps its config gives.
  auto maps = read_file_or_empty("/proc/" + std::to_string(cpid) + "/uid_map");
  EXPECT_EQ(std::vector<std::string>({"0", std::to_string(kHostBase), "65536"}), [&] {
    std::istringstream in(maps);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
  }());
  EXPECT_EQ(status_field(cpid, "Uid"), "100000\t100000\t100000\t100000");

  // exec must join the network namespace before the user namespace, which
  // has no privilege over it.
  auto e = capsa(root_.path(), {"exec", rc.id, "/bin/sh", "-c", "readlink /proc/self/ns/net; id -u"});
  EXPECT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.out, ns_link(held.path()) + "\n0\n");
}

TEST_F(UserTimeNs, MappingsAndIdsAreCheckedAgainstAJoinedUserNamespace) {
  Bundle a({"/bin/sleep", "1000"});
  add_user_ns(a);
  a.save();
  Running ra{root_.path(), unique_id("usernsjoin-maps")};
  ASSERT_EQ(capsa(root_.path(), {"run", "--detach", "--bundle", a.path(), ra.id}).exit_code, 0);
  pid_t apid = init_pid(root_.path(), ra.id);
  ASSERT_GT(apid, 0);
  std::string userns = "/proc/" + std::to_string(apid) + "/ns/user";

  auto joining = [&](const std::function<void(nlohmann::json&)>& edit) {
    auto b = std::make_unique<Bundle>(std::vector<std::string>{"/bin/true"});
    ::chmod(b->path().c_str(), 0755);
    size_t at = ns_entry(*b, "user");
    b->config()["linux"]["namespaces"][at]["path"] = userns;
    edit(b->config());
    b->save();
    return std::make_pair(std::move(b), "linux.namespaces[" + std::to_string(at) + "].path (" + userns + ")");
  };
  struct Case {
    const char* name;
    std::function<void(nlohmann::json&)> edit;
    std::string error;  // before the joined entry's name
  };
  std::vector<Case> cases = {
      {"other maps",
       [](nlohmann::json& c) {
         c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 300000}, {"size", 65536}}};
         c["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", kHostBase}, {"size", 65536}}};
       },
       "linux.uidMappings: \"0 300000 65536\" differs from the maps of the user namespace joined by "},
      {"gid maps only",
       [](nlohmann::json& c) { c["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", kHostBase}, {"size", 65536}}}; },
       "linux.uidMappings: none differs from the maps of the user namespace joined by "},
      {"unmapped uid", [](nlohmann::json& c) { c["process"]["user"] = {{"uid", 70000}, {"gid", 0}}; },
       "process.user.uid: 70000 is not mapped in the user namespace joined by "},
      {"unmapped additional gid",
       [](nlohmann::json& c) { c["process"]["user"] = {{"uid", 0}, {"gid", 0}, {"additionalGids", {5, 65536}}}; },
       "process.user.additionalGids[1]: 65536 is not mapped in the user namespace joined by "},
  };
  for (const auto& c : cases) {
    auto [b, field] = joining(c.edit);
    std::string id = unique_id("usernsjoin-bad");
    auto r = capsa(root_.path(), {"create", "--bundle", b->path(), id});
    EXPECT_NE(r.exit_code, 0) << c.name;
    EXPECT_NE(r.err.find(b->path() + "/config.json: " + c.error + field), std::string::npos) << c.name << ": " << r.err;
    EXPECT_EQ(capsa(root_.path(), {"list", "-q"}).out, ra.id + "\n") << c.name;
    EXPECT_FALSE(path_exists("/sys/fs/cgroup/pids/capsa/" + id)) << c.name;
    EXPECT_TRUE(mounts_mentioning(b->path()).empty()) << c.name;
  }

  // Maps identical to the namespace's are accepted with a warning, as runc 1.2 does.
  auto [same, field] = joining([](nlohmann::json& c) {
    c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", kHostBase}, {"size", 65536}}};
    c["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", kHostBase}, {"size", 65536}}};
    c["process"]["args"] = {"/bin/sh", "-c", "id -u; read a b c < /proc/self/uid_map; echo $a $b $c"};
  });
  auto r = capsa(root_.path(), {"run", "--bundle", same->path(), unique_id("usernsjoin-same")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n0 " + std::to_string(kHostBase) + " 65536\n");
  EXPECT_NE(r.err.find("repeat those of the user namespace joined by " + field), std::string::npos) << r.err;
}

TEST_F(UserTimeNs, ANamespacePathThatIsNoSuchNamespaceFailsCreateWithItsFieldAndLeavesNothing) {
  struct Case {
    const char* type;
    std::function<std::string(const Bundle&)> path;
    std::string error;  // after "<field>: <path>"
  };
  std::vector<Case> cases = {
      {"network", [](const Bundle& b) { return b.path() + "/config.json"; },
       " is not a namespace file (expected /proc/PID/ns/net or a bind mount of one)"},
      {"user", [](const Bundle&) { return std::string("/proc/self/ns/net"); },
       " is a network namespace, but the entry's type is user"},
      {"network", [](const Bundle& b) { return b.path() + "/no-such-netns"; }, ": No such file or directory"},
      {"user", [](const Bundle&) { return std::string("/proc/self/ns/user"); },
       " is the runtime's own user namespace, which cannot be joined"},
  };
  for (const auto& c : cases) {
    Bundle b({"/bin/true"});
    size_t at = ns_entry(b, c.type);
    std::string path = c.path(b);
    b.config()["linux"]["namespaces"][at]["path"] = path;
    b.save();
    std::string id = unique_id("usernsjoin-path");
    auto r = capsa(root_.path(), {"create", "--bundle", b.path(), id});
    EXPECT_NE(r.exit_code, 0) << path;
    std::string field = b.path() + "/config.json: linux.namespaces[" + std::to_string(at) + "].path: ";
    std::string shown = c.error.rfind(": No such", 0) == 0 ? "open " + path : path;
    EXPECT_NE(r.err.find(field + shown + c.error), std::string::npos) << r.err;
    expect_nothing_left(root_.path(), id, b);
  }
}

}  // namespace
}  // namespace capsa::test
