#include "test_env.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <httplib.h>

#include "common/file_util.h"

namespace capsa::test {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, int timeout_s) {
  TempDir io("capsa-io");
  std::string out_path = io.path() + "/out", err_path = io.path() + "/err";
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  CommandResult r;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.err = "timed out after " + std::to_string(timeout_s) + "s\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err += slurp(err_path);
  return r;
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  try {
    remove_tree(path_);
  } catch (...) {
  }
}

Bundle::Bundle(const std::vector<std::string>& args) : dir_("capsa-bundle") {
  auto r = run_command({"/bin/bash", std::string(CAPSA_SOURCE_DIR) + "/tools/mkbundle.sh", path(), CAPSA_BIN});
  if (r.exit_code != 0) throw std::runtime_error("mkbundle.sh failed: " + r.out + r.err);
  auto helpers = run_command({"/bin/sh", "-c", std::string("cp ") + CAPSA_HELPER_DIR + "/* " + rootfs() + "/bin/"});
  if (helpers.exit_code != 0) throw std::runtime_error("copy test helpers: " + helpers.err);
  config_ = nlohmann::json::parse(read_file(path() + "/config.json"));
  config_["process"]["args"] = args;
  config_["process"]["terminal"] = false;
  save();
}

void Bundle::save() const { write_file_atomic(path() + "/config.json", config_.dump(2)); }

CommandResult capsa(const std::string& root, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CAPSA_BIN, "--root", root};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

std::string unique_id(const std::string& prefix) {
  static std::atomic<int> n{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

std::string http_get(int port, const std::string& path) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(2);
  cli.set_read_timeout(10);
  auto res = cli.Get(path.c_str());
  if (!res) throw std::runtime_error("GET " + path + ": " + httplib::to_string(res.error()));
  if (res->status != 200) throw std::runtime_error("GET " + path + ": HTTP " + std::to_string(res->status));
  return res->body;
}

bool eventually(const std::function<bool()>& fn, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (fn()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string read_file_or_empty(const std::string& path) { return slurp(path); }

std::vector<std::string> mounts_mentioning(const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(slurp("/proc/self/mountinfo"));
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

std::string leftovers_of_failed_create(const std::string& state_root, const std::string& id,
                                       const std::string& bundle) {
  std::string out;
  auto exists = [](const std::string& p) { return ::access(p.c_str(), F_OK) == 0; };
  if (exists(state_root + "/" + id)) out += "state directory " + state_root + "/" + id + "\n";
  std::vector<std::string> hierarchies = {"/sys/fs/cgroup"};
  if (DIR* d = ::opendir("/sys/fs/cgroup")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') hierarchies.push_back(std::string("/sys/fs/cgroup/") + e->d_name);
    ::closedir(d);
  }
  for (const auto& h : hierarchies)
    if (exists(h + "/capsa/" + id)) out += "cgroup " + h + "/capsa/" + id + "\n";
  for (const auto& m : mounts_mentioning(bundle)) out += "mount " + m + "\n";
  return out;
}

CommandResult on_pure_cgroup_v2(const std::string& script, int timeout_s) {
  return run_command({"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
                      "umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup || exit 1\n" + script},
                     timeout_s);
}

}  // namespace capsa::test
