// What the policy tests of every tier share: a capsad of the test's own with
// a policy directory, policies written as an editor would, containers kept
// alive for `capsa exec`, and capsad's status and event log.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <functional>
#include <list>
#include <string>
#include <vector>
#include <optional>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "capsad_process.h"
#include "common/file_util.h"
#include "daemon/control_socket.h"
#include "test_env.h"

namespace capsa::test {

// A policy selecting every container (default: true) with `spec_body`
// appended under spec (indented by 2).
inline std::string policy_yaml(const std::string& name, const std::string& spec_body, bool is_default = true) {
  return "apiVersion: capsa.io/v1\nkind: Policy\nmetadata:\n  name: " + name + "\nspec:\n  default: " +
         (is_default ? "true" : "false") + "\n" + spec_body;
}

inline std::string deny_port(int port, const std::string& extra = "") {
  return "  network:\n    rules:\n      - name: no-" + std::to_string(port) +
         "\n        cidrs: [127.0.0.0/8]\n        ports: [\"" + std::to_string(port) +
         "\"]\n        protocol: tcp\n        action: deny\n" + extra;
}

// A unix socket a host process (the test) binds and listens on; connects
// queue in its backlog, datagrams in its buffer. Unlinked at destruction.
class UnixListener {
public:
  UnixListener(const std::string& path, int type = SOCK_STREAM) : path_(path) {
    fd_ = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (fd_ < 0 || path.size() >= sizeof addr.sun_path) return;
    path.copy(addr.sun_path, path.size());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        (type == SOCK_STREAM && ::listen(fd_, 64) != 0)) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~UnixListener() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;
  bool ok() const { return fd_ >= 0; }

private:
  std::string path_;
  int fd_ = -1;
};

// A host directory holding a file and a listening unix socket, and a
// bundle whose program reads the one and connects to the other through fd
// 3 (run it with PolicyFixture::run_leaking_dir): the leaked-directory-fd
// route out of a container. Without capsad it prints kOpen.
struct LeakedHostDir {
  static constexpr const char* kOpen = "HOST\nrc=0\nok\nrc=0\n";
  TempDir dir{"capsa-leak"};
  UnixListener sock{(replace_file(dir.path() + "/host-file", "HOST\n"), dir.path() + "/host.sock")};
  Bundle bundle{{"/bin/sh", "-c",
                 "cat /proc/self/fd/3/host-file; echo rc=$?; /bin/unix_connect /proc/self/fd/3/host.sock; echo rc=$?"}};
};

class PolicyFixture : public ::testing::Test {
protected:
  void SetUp() override {
    CAPSA_REQUIRE_ROOT();
    capsad_.emplace(root_.path(), pin_root_, capsad_args());
    make_dirs(capsad_->policy_dir(), 0755);
  }
  void TearDown() override {
    for (const auto& id : ids_) capsa(root_.path(), {"--bpf-pin-root", pin_root_, "delete", "--force", id});
    for (pid_t pid : host_pids_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    capsad_.reset();
  }
  // Extra capsad flags of a fixture (the VM tier adds --require-lsm).
  virtual std::vector<std::string> capsad_args() const { return {}; }
  void start_capsad() { ASSERT_TRUE(capsad_->start()) << capsad_->error(); }

  // Written beside and renamed into place, as an editor or capsactl does.
  void write_policy(const std::string& file, const std::string& text) {
    std::string dst = capsad_->policy_dir() + "/" + file;
    write_file_atomic(dst, text, 0644);
  }

  nlohmann::json status() {
    return daemon::control_request(daemon::default_control_socket(root_.path()), {{"cmd", "status"}});
  }
  // Waits until capsad has `name` in force with a rule count of `rules`.
  bool policy_in_force(const std::string& name, size_t rules) {
    return eventually(
        [&] {
          auto st = status();  // the range below must not outlive it
          for (const auto& p : st["policies"])
            if (p["name"] == name && p["rules"].size() == rules) return true;
          return false;
        },
        5000);
  }

  // A container kept alive so checks can `capsa exec` into it.
  std::string start_container(Bundle& b, const std::string& prefix) {
    std::string id = unique_id(prefix);
    ids_.push_back(id);
    b.save();
    auto r = capsa(root_.path(), {"--bpf-pin-root", pin_root_, "run", "-d", "--bundle", b.path(), id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return id;
  }
  // `capsa run --preserve-fds 1` in the foreground with fd 3 open on a host
  // directory: the leaked-directory-fd route out of a container.
  CommandResult run_leaking_dir(const Bundle& b, const std::string& host_dir, const std::string& prefix) {
    std::string id = unique_id(prefix);
    ids_.push_back(id);
    return run_command({"/bin/sh", "-c", "exec 3<" + host_dir + "; exec " + std::string(CAPSA_BIN) + " --root " +
                                             root_.path() + " --bpf-pin-root " + pin_root_ +
                                             " run --preserve-fds 1 --bundle " + b.path() + " " + id});
  }
  CommandResult exec_in(const std::string& id, const std::string& script) {
    return capsa(root_.path(), {"--bpf-pin-root", pin_root_, "exec", id, "/bin/sh", "-c", script});
  }
  // Connects from inside the container to a listener it runs on `port`.
  CommandResult connect_in(const std::string& id, int port) {
    return exec_in(id, "echo x | nc 127.0.0.1 " + std::to_string(port));
  }

  std::string events() { return read_file_or_empty(capsad_->events_path()); }

  // Policy "files", the default: reads beneath /secret/ are denied (rule no-secrets).
  void deny_secret_reads() {
    write_policy("files.yaml", policy_yaml("files", "  files:\n    rules:\n      - name: no-secrets\n"
                                                    "        paths: [/secret/]\n        access: [read]\n"
                                                    "        action: deny\n"));
  }
  // /secret/token ("TOKEN") in b's root, which is made writable.
  static void with_secret_token(Bundle& b) {
    b.config()["root"]["readonly"] = false;
    ASSERT_EQ(run_command({"/bin/sh", "-c", "mkdir -p " + b.rootfs() + "/secret && echo TOKEN > " + b.rootfs() +
                                                "/secret/token"})
                  .exit_code,
              0);
  }

  // True once capsad has bound the container (to a policy, or to none for
  // root confinement alone).
  bool bound(const std::string& id) {
    return eventually(
        [&] {
          auto st = status();  // the range below must not outlive it
          for (const auto& c : st["containers"])
            if (c["id"] == id) return true;
          return false;
        },
        5000);
  }

  // A container that shares the host's pid namespace and may ptrace: it can
  // name host files as /proc/<host pid>/root/... (a real escape route).
  static void share_host_pids(Bundle& b) {
    auto& ns = b.config()["linux"]["namespaces"];
    ns.erase(std::remove_if(ns.begin(), ns.end(), [](const auto& n) { return n["type"] == "pid"; }), ns.end());
    for (auto& [set, caps] : b.config()["process"]["capabilities"].items()) caps.push_back("CAP_SYS_PTRACE");
  }
  // Adds capabilities to every set of the container's process.
  static void add_caps(Bundle& b, const std::vector<std::string>& add) {
    for (auto& [set, caps] : b.config()["process"]["capabilities"].items())
      for (const auto& c : add) caps.push_back(c);
  }
  // Bind-mounts the host file or directory `source` at `dest` in the container.
  static void bind_mount(Bundle& b, const std::string& source, const std::string& dest) {
    b.config()["mounts"].push_back({{"destination", dest}, {"type", "bind"}, {"source", source}, {"options", {"bind"}}});
  }
  // A host process whose root such a container can reach; killed at TearDown.
  pid_t host_sleeper() {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::execl("/bin/sleep", "sleep", "600", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid > 0) host_pids_.push_back(pid);
    return pid;
  }

  // A running container that shares the host's pid namespace (with
  // CAP_SYS_PTRACE), and a host task it can see: {container id, host pid}.
  std::pair<std::string, pid_t> beside_a_host_task(const std::string& prefix) {
    Bundle& b = kept_bundles_.emplace_back(std::vector<std::string>{"/bin/sleep", "600"});
    share_host_pids(b);
    std::string id = start_container(b, prefix);
    return {id, host_sleeper()};
  }

  // Task confinement, on whichever tier capsad has: a container sharing the
  // host's pid namespace (with CAP_SYS_PTRACE and CAP_KILL) traces and
  // signals a host task while capsad is away (the hole is real), is refused
  // with EPERM once capsad has bound it (the host task lives on, each
  // refusal a task-escape event), and still traces and signals its own
  // tasks. The same holds for SIGIO to a descriptor's owner: a host task
  // made owner never gets it, refused as the owner is set
  // (`owner_set` "setown errno 1\n") or as the signal is sent ("setown
  // ok\n"). `more(id, host_pid)` adds a tier's own checks while capsad runs.
  void check_task_confinement(const std::string& owner_set,
                              const std::function<void(const std::string&, const std::string&)>& more = {}) {
    auto [id, host] = beside_a_host_task("tasks");
    ASSERT_GT(host, 0);
    const std::string h = std::to_string(host);
    const std::string seize = "/bin/syscall_probe 101 0x4206 " + h + " 0 0";  // PTRACE_SEIZE
    const std::string signal = "kill -CONT " + h + "; echo rc=$?";
    ASSERT_EQ(exec_in(id, seize).out, "ok 0\n") << "ptrace of a host task works without capsad: the test proves nothing";
    ASSERT_EQ(exec_in(id, signal).out, "rc=0\n");
    pid_t victim = host_sleeper();
    ASSERT_EQ(exec_in(id, "/bin/sigio_probe fcntl " + std::to_string(victim)).out, "setown ok\nsigio no\n");
    int ws = 0;
    ASSERT_EQ(::waitpid(victim, &ws, 0), victim);
    ASSERT_TRUE(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGIO)
        << "SIGIO to a host owner works without capsad: the test proves nothing (wait status " << ws << ")";

    start_capsad();
    ASSERT_TRUE(bound(id)) << status().dump(2);
    EXPECT_EQ(exec_in(id, seize).out, "errno 1\n");
    auto k = exec_in(id, signal);
    EXPECT_EQ(k.out, "rc=1\n");
    EXPECT_NE(k.err.find("Operation not permitted"), std::string::npos) << k.err;
    for (const char* how : {"fcntl", "ex", "ioctl"}) {
      EXPECT_EQ(exec_in(id, std::string("/bin/sigio_probe ") + how + " " + h).out, owner_set + "sigio no\n") << how;
      EXPECT_EQ(exec_in(id, std::string("/bin/sigio_probe ") + how + " self").out, "setown ok\nsigio yes\n") << how;
    }
    if (more) more(id, h);
    EXPECT_EQ(::kill(host, 0), 0) << "the host task is gone";
    EXPECT_EQ(exec_in(id, "sleep 60 & /bin/syscall_probe 101 0x4206 $! 0 0; kill $!; wait $!; echo rc=$?").out,
              "ok 0\nrc=143\n");
    ASSERT_TRUE(eventually([&] { return events().find("\"operation\":\"signal\"") != std::string::npos; }, 5000))
        << events();
    auto ev = events();
    EXPECT_NE(ev.find("\"kind\":\"task-escape\""), std::string::npos) << ev;
    EXPECT_NE(ev.find("\"operation\":\"ptrace\""), std::string::npos) << ev;
    EXPECT_NE(ev.find("\"target_pid\":" + h), std::string::npos) << ev;
    EXPECT_NE(ev.find("\"target_comm\":\"sleep\""), std::string::npos) << ev;
    EXPECT_NE(ev.find("\"signal\":18"), std::string::npos) << ev;
    EXPECT_NE(ev.find("\"signal\":29"), std::string::npos) << "SIGIO to a host owner: " << ev;
    EXPECT_NE(ev.find("\"syscall\":\"kill\""), std::string::npos) << ev;
  }

  std::list<Bundle> kept_bundles_;  // their containers run until TearDown
  TempDir root_{"capsa-root"};
  std::string pin_root_ = "/sys/fs/bpf/capsa-test-" + std::to_string(::getpid());
  std::optional<CapsadProcess> capsad_;
  std::vector<std::string> ids_;
  std::vector<pid_t> host_pids_;
};

}  // namespace capsa::test
