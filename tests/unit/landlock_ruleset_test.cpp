// The Landlock tier's two halves without a container: which rules of a
// policy go to Landlock and how they travel (policy/landlock_rules.h), and
// the ruleset built from them (container/landlock_ruleset.h), checked by
// what a restricted process can do in a small tree it is chrooted into.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "container/landlock_ruleset.h"
#include "policy/landlock_rules.h"
#include "policy/parse.h"

namespace capsa {
namespace {

using policy::LandlockDeny;
using policy::PathPattern;

policy::Policy parse(const std::string& spec_body) {
  return policy::parse_policy("apiVersion: capsa.io/v1\nkind: Policy\nmetadata: {name: t}\nspec:\n" + spec_body,
                              "t.yaml");
}

TEST(LandlockRules, OnlyDenyAndKillOfAnOptedInEnforcePolicyGo) {
  const std::string rules = "    rules:\n"
                            "      - {paths: [/secret/, /etc/shadow], access: [read]}\n"
                            "      - {paths: [/secret/], access: [create], action: kill}\n"
                            "      - {paths: [/var/log/], access: [write], action: audit}\n";
  auto d = policy::landlock_denies(parse("  files:\n    landlock: true\n" + rules));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], (LandlockDeny{PathPattern{"/etc/shadow", false}, policy::kFileRead}));
  EXPECT_EQ(d[1], (LandlockDeny{PathPattern{"/secret", true}, policy::kFileRead | policy::kFileCreate}));
  EXPECT_TRUE(policy::landlock_denies(parse("  files:\n" + rules)).empty());
  EXPECT_TRUE(policy::landlock_denies(parse("  mode: audit\n  files:\n    landlock: true\n" + rules)).empty());
}

TEST(LandlockRules, JsonRoundTripAndPreciseErrors) {
  std::vector<LandlockDeny> d = {{PathPattern{"/", true}, policy::kFileUnlink},
                                 {PathPattern{"/a/b", false}, policy::kFileRead | policy::kFileExec}};
  auto j = policy::landlock_denies_to_json(d);
  EXPECT_EQ(j.dump(), R"([{"access":["unlink"],"path":"/","prefix":true},{"access":["read","exec"],"path":"/a/b","prefix":false}])");
  EXPECT_EQ(policy::landlock_denies_from_json(j, "x"), d);
  auto error_of = [](const std::string& text) {
    try {
      policy::landlock_denies_from_json(nlohmann::json::parse(text), "reply.rules");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error_of(R"({"path":"/a"})"), "reply.rules: expected a list of Landlock rules, got object");
  EXPECT_EQ(error_of(R"([{"path":"a","access":["read"]}])"), "reply.rules[0].path: \"a\" is not an absolute path");
  EXPECT_EQ(error_of(R"([{"path":"/a","access":["read","fly"]}])"),
            "reply.rules[0].access: \"fly\" is not one of read, write, exec, create, unlink");
  EXPECT_EQ(error_of(R"([{"path":"/a","access":[]}])"), "reply.rules[0].access: empty");
}

// A tree, a child chrooted into it that installs the ruleset and runs
// `probe`, and what each probe returned (0 or an errno).
class LandlockRuleset : public ::testing::Test {
protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (chroot)";
    if (container::landlock_abi() < 1) GTEST_SKIP() << "this kernel has no Landlock";
    char tmpl[] = "/tmp/capsa-landlock-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    for (const char* d : {"/secret/deep", "/etc", "/data", "/empty"}) std::filesystem::create_directories(root_ + d);
    for (const char* f : {"/secret/deep/token", "/etc/shadow", "/etc/passwd", "/data/f", "/data/g", "/top"})
      std::ofstream(root_ + f) << "x\n";
    std::filesystem::create_directory_symlink("/secret", root_ + "/alias");
  }
  void TearDown() override {
    if (!root_.empty()) std::filesystem::remove_all(root_);
  }

  using Probe = std::function<int()>;  // 0 or the errno of the operation
  // Returns each probe's result, or the error text of building/installing.
  // `setup` runs in the child's own mount namespace, before the chroot.
  std::map<std::string, int> run(const container::LandlockPlan& plan, const std::map<std::string, Probe>& probes,
                                 std::string* summary = nullptr, const std::function<void()>& setup = {}) {
    int pipefd[2];
    EXPECT_EQ(::pipe(pipefd), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(pipefd[0]);
      std::string out;
      try {
        // A /proc of its own, as in a container (the ruleset reads mountinfo).
        std::string proc = root_ + "/proc";
        ::mkdir(proc.c_str(), 0755);
        // The tree a mount of its own, as a container's root is.
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount(root_.c_str(), root_.c_str(), nullptr, MS_BIND, nullptr) != 0)
          throw_sys("a mount namespace with the tree as a mount");
        if (setup) setup();
        if (::mount("proc", proc.c_str(), "proc", 0, nullptr) != 0) throw_sys("mount /proc");
        if (::chroot(root_.c_str()) != 0 || ::chdir("/") != 0) throw_sys("chroot");
        auto rs = container::build_landlock_ruleset(plan, -1);
        container::restrict_self(rs);
        out = rs.summary().dump() + "\n";
        for (const auto& [name, probe] : probes) out += name + "=" + std::to_string(probe()) + "\n";
      } catch (const std::exception& e) {
        out = std::string("error: ") + e.what() + "\n";
      }
      ssize_t ignored = ::write(pipefd[1], out.data(), out.size());
      (void)ignored;
      ::_exit(0);
    }
    ::close(pipefd[1]);
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;) text.append(buf, n);
    ::close(pipefd[0]);
    ::waitpid(pid, nullptr, 0);
    std::map<std::string, int> res;
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    if (summary) *summary = line;
    while (std::getline(in, line)) {
      auto eq = line.find('=');
      if (eq != std::string::npos) res[line.substr(0, eq)] = std::stoi(line.substr(eq + 1));
    }
    return res;
  }

  // Opens `name` relative to `dir` (a descriptor from outside the root, or AT_FDCWD).
  static Probe open_at(int dir, const char* name, int flags) {
    return [=] {
      int fd = ::openat(dir, name, flags | O_CLOEXEC, 0644);
      if (fd < 0) return errno;
      ::close(fd);
      return 0;
    };
  }
  static Probe open_as(const char* path, int flags) { return open_at(AT_FDCWD, path, flags); }
  static Probe make_dir(const char* path) {
    return [=] { return ::mkdir(path, 0755) == 0 ? 0 : errno; };
  }
  static Probe remove(const char* path) {
    return [=] { return ::unlink(path) == 0 ? 0 : errno; };
  }
  static Probe move(const char* from, const char* to) {
    return [=] { return ::rename(from, to) == 0 ? 0 : errno; };
  }

  std::string root_;
};

TEST_F(LandlockRuleset, DeniesBeneathThePathsAndGrantsTheSiblingsAlongTheRoute) {
  container::LandlockPlan plan{"p",
                               {{PathPattern{"/secret", true}, policy::kFileRead | policy::kFileCreate},
                                {PathPattern{"/etc/shadow", false}, policy::kFileRead | policy::kFileWrite},
                                {PathPattern{"/missing", true}, policy::kFileRead}}};
  std::string summary;
  auto r = run(plan,
               {{"read-token", open_as("/secret/deep/token", O_RDONLY)},
                {"read-via-symlink", open_as("/alias/deep/token", O_RDONLY)},
                {"list-secret", open_as("/secret/deep", O_RDONLY | O_DIRECTORY)},
                {"create-in-secret", open_as("/secret/deep/new", O_WRONLY | O_CREAT)},
                {"mkdir-in-secret", make_dir("/secret/d")},
                {"write-token", open_as("/secret/deep/token", O_WRONLY)},
                {"read-shadow", open_as("/etc/shadow", O_RDONLY)},
                {"write-shadow", open_as("/etc/shadow", O_WRONLY)},
                {"read-passwd", open_as("/etc/passwd", O_RDONLY)},
                {"list-etc", open_as("/etc", O_RDONLY | O_DIRECTORY)},
                {"write-data", open_as("/data/g", O_WRONLY | O_TRUNC)},
                {"create-in-data", open_as("/data/new", O_WRONLY | O_CREAT)},
                {"remove-in-data", remove("/data/f")},
                {"move-across", move("/data/new", "/empty/new")},
                {"read-top", open_as("/top", O_RDONLY)},
                // The documented cost: the route directories themselves.
                {"create-at-root", open_as("/new", O_WRONLY | O_CREAT)},
                {"create-in-etc", open_as("/etc/new", O_WRONLY | O_CREAT)},
                {"list-root", open_as("/", O_RDONLY | O_DIRECTORY)}},
               &summary);
  ASSERT_FALSE(r.empty()) << summary;
  std::map<std::string, int> want = {
      {"read-token", EACCES},    {"read-via-symlink", EACCES}, {"list-secret", EACCES},   {"create-in-secret", EACCES},
      {"mkdir-in-secret", EACCES}, {"write-token", 0},         {"read-shadow", EACCES},   {"write-shadow", EACCES},
      {"read-passwd", 0},        {"list-etc", 0},              {"write-data", 0},         {"create-in-data", 0},
      {"remove-in-data", 0},     {"move-across", 0},           {"read-top", 0},           {"create-at-root", EACCES},
      {"create-in-etc", EACCES}, {"list-root", EACCES}};
  EXPECT_EQ(r, want) << summary;
  auto s = nlohmann::json::parse(summary);
  EXPECT_EQ(s["skipped"], nlohmann::json::array({"/missing/"}));
  EXPECT_GE(s["abi"].get<int>(), 1);
}

TEST_F(LandlockRuleset, EveryPathMissingInstallsNothing) {
  container::LandlockPlan plan{"p", {{PathPattern{"/nowhere", true}, policy::kFileRead}}};
  std::string summary;
  auto r = run(plan, {{"create-at-root", open_as("/new", O_WRONLY | O_CREAT)}}, &summary);
  EXPECT_EQ(r["create-at-root"], 0) << summary;
  EXPECT_EQ(nlohmann::json::parse(summary)["grants"], 0);
}

// Root confinement: every access is handled and granted beneath "/" alone,
// so a directory fd from outside the root (opened before the chroot, as a
// leaked host fd would be) reaches nothing, while everything inside works,
// the deny rules included, and creating at "/" is no longer refused by a
// rule that does not deny creating.
TEST_F(LandlockRuleset, ConfiningToTheRootRefusesEverythingOutsideItAndNothingInside) {
  char tmpl[] = "/tmp/capsa-landlock-outside-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string outside = tmpl;
  std::ofstream(outside + "/f") << "host\n";
  int out_fd = ::open(outside.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(out_fd, 0);
  auto at = [out_fd](const char* name, int flags) { return open_at(out_fd, name, flags); };
  container::LandlockPlan plan{"p", {{PathPattern{"/secret", true}, policy::kFileRead}}, false, true};
  std::string summary;
  auto r = run(plan,
               {{"read-outside", at("f", O_RDONLY)},
                {"write-outside", at("f", O_WRONLY)},
                {"create-outside", at("new", O_WRONLY | O_CREAT)},
                {"list-outside", at(".", O_RDONLY | O_DIRECTORY)},
                {"mkdir-outside", [out_fd] { return ::mkdirat(out_fd, "d", 0755) == 0 ? 0 : errno; }},
                {"remove-outside", [out_fd] { return ::unlinkat(out_fd, "f", 0) == 0 ? 0 : errno; }},
                {"read-token", open_as("/secret/deep/token", O_RDONLY)},
                {"write-token", open_as("/secret/deep/token", O_WRONLY)},
                {"read-passwd", open_as("/etc/passwd", O_RDONLY)},
                {"create-at-root", open_as("/new", O_WRONLY | O_CREAT)},
                {"mkdir-in-data", make_dir("/data/d")},
                {"remove-in-data", remove("/data/f")},
                {"list-root", open_as("/", O_RDONLY | O_DIRECTORY)}},
               &summary);
  ::close(out_fd);
  bool left = std::filesystem::exists(outside + "/f") && !std::filesystem::exists(outside + "/new") &&
              !std::filesystem::exists(outside + "/d");
  std::filesystem::remove_all(outside);
  ASSERT_FALSE(r.empty()) << summary;
  std::map<std::string, int> want = {
      {"read-outside", EACCES}, {"write-outside", EACCES}, {"create-outside", EACCES}, {"list-outside", EACCES},
      {"mkdir-outside", EACCES}, {"remove-outside", EACCES}, {"read-token", EACCES},   {"write-token", 0},
      {"read-passwd", 0},       {"create-at-root", 0},     {"mkdir-in-data", 0},      {"remove-in-data", 0},
      {"list-root", EACCES}};
  EXPECT_EQ(r, want) << summary;
  EXPECT_TRUE(left) << "the host directory was changed";
  EXPECT_EQ(nlohmann::json::parse(summary)["root"], true) << summary;
}

// Where Landlock's inode rules are weaker than the BPF tier: a denied file
// with a second name is readable by it (the grant on the directory holding
// it covers it), and the ruleset says so; a read-only root of a file system
// the host has mounted is another gap (usable read-write through the host's
// mount by a host descriptor).
TEST_F(LandlockRuleset, ItsRootConfinementGapsAreReported) {
  ASSERT_EQ(::link((root_ + "/etc/shadow").c_str(), (root_ + "/data/shadow-link").c_str()), 0);
  struct stat st {};
  ASSERT_EQ(::stat(root_.c_str(), &st), 0);
  container::LandlockPlan plan{"p", {{PathPattern{"/etc/shadow", false}, policy::kFileRead}}, false, true};
  plan.host_devices = {st.st_dev};
  std::string summary;
  auto r = run(plan, {{"read-shadow", open_as("/etc/shadow", O_RDONLY)},
                      {"read-link", open_as("/data/shadow-link", O_RDONLY)}},
               &summary);
  EXPECT_EQ(r["read-shadow"], EACCES) << summary;
  EXPECT_EQ(r["read-link"], 0) << summary << ": Landlock judges the path, not the inode";
  auto gaps = nlohmann::json::parse(summary)["root_gaps"];
  ASSERT_EQ(gaps.size(), 1u) << summary;
  EXPECT_NE(gaps[0].get<std::string>().find("/etc/shadow (denied, but reachable by another name"), std::string::npos)
      << summary;
  ASSERT_EQ(::unlink((root_ + "/data/shadow-link").c_str()), 0);
  r = run(plan, {{"read-shadow", open_as("/etc/shadow", O_RDONLY)}}, &summary);
  EXPECT_TRUE(nlohmann::json::parse(summary)["root_gaps"].empty()) << summary;
}

// A read-only root is a file system the host has mounted read-write too: no
// write right is granted on it, so a host descriptor leading to it (opened
// before the chroot, on the writable mount) cannot write there either, while
// a writable mount inside keeps every right and reads stay as inside.
TEST_F(LandlockRuleset, AReadOnlyRootGetsNoWriteRightEvenThroughAHostDescriptor) {
  int host_fd = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(host_fd, 0);
  auto at = [host_fd](const char* name, int flags) { return open_at(host_fd, name, flags); };
  std::string r_ = root_;
  auto read_only_root = [r_] {
    if (::mount(nullptr, r_.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0 ||
        ::mount("tmpfs", (r_ + "/data").c_str(), "tmpfs", 0, nullptr) != 0)
      throw_sys("a read-only root with a writable /data");
  };
  container::LandlockPlan plan{"p", {{PathPattern{"/secret", true}, policy::kFileRead}}, false, true};
  std::string summary;
  auto r = run(plan,
               {{"write-via-host", at("etc/passwd", O_WRONLY)},
                {"create-via-host", at("top-new", O_WRONLY | O_CREAT)},
                {"read-via-host", at("etc/passwd", O_RDONLY)},
                {"write-inside", open_as("/etc/passwd", O_WRONLY)},
                {"create-in-data", open_as("/data/new", O_WRONLY | O_CREAT)},
                {"read-token", open_as("/secret/deep/token", O_RDONLY)}},
               &summary, read_only_root);
  ::close(host_fd);
  ASSERT_FALSE(r.empty()) << summary;
  std::map<std::string, int> want = {{"write-via-host", EACCES}, {"create-via-host", EACCES}, {"read-via-host", 0},
                                     {"write-inside", EROFS},    {"create-in-data", 0},       {"read-token", EACCES}};
  EXPECT_EQ(r, want) << summary;
  EXPECT_FALSE(std::filesystem::exists(root_ + "/top-new"));
}

// With no rule at all, root confinement alone is still a ruleset.
TEST_F(LandlockRuleset, RootConfinementAloneIsARuleset) {
  container::LandlockPlan plan{"p", {}, false, true};
  std::string summary;
  auto r = run(plan, {{"create-at-root", open_as("/new", O_WRONLY | O_CREAT)}, {"list-root", open_as("/", O_RDONLY)}},
               &summary);
  EXPECT_EQ(r["create-at-root"], 0) << summary;
  EXPECT_EQ(r["list-root"], 0) << summary;
  auto s = nlohmann::json::parse(summary);
  EXPECT_GE(s["grants"].get<int>(), 1) << summary;
  EXPECT_EQ(s["root"], true);
}

}  // namespace
}  // namespace capsa
