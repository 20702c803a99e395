// Shared test plumbing: running the built binaries, throwaway bundles built
// by tools/mkbundle.sh, unique ids, a tiny HTTP GET.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace capsa::test {

struct CommandResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs argv with stdin from /dev/null, capturing stdout and stderr (via
// temporary files, so processes that outlive the command cannot block us).
CommandResult run_command(const std::vector<std::string>& argv, int timeout_s = 120);

// A directory removed (recursively) when the object dies.
class TempDir {
public:
  explicit TempDir(const std::string& prefix = "capsa-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

// An OCI bundle: busybox rootfs plus the test helpers in /bin, config.json
// from `capsa spec` with terminal off. Edit config(), then save().
class Bundle {
public:
  explicit Bundle(const std::vector<std::string>& args);
  const std::string& path() const { return dir_.path(); }
  std::string rootfs() const { return dir_.path() + "/rootfs"; }
  nlohmann::json& config() { return config_; }
  void save() const;

private:
  TempDir dir_;
  nlohmann::json config_;
};

// capsa with --root <root> prepended.
CommandResult capsa(const std::string& root, const std::vector<std::string>& args);

std::string unique_id(const std::string& prefix);

// Skips the current test (loudly) unless running as root.
#define CAPSA_REQUIRE_ROOT()                                                   \
  do {                                                                         \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, cgroups)"; \
  } while (0)

// Body of a GET to 127.0.0.1:port; throws on connection failure or non-200.
std::string http_get(int port, const std::string& path);

// Polls fn() every 20 ms until true or timeout; returns the last result.
bool eventually(const std::function<bool()>& fn, int timeout_ms = 5000);

// The file's text, or "" when it cannot be read.
std::string read_file_or_empty(const std::string& path);

// Runs `sh -c script` in a private mount namespace where /sys/fs/cgroup is
// the cgroup2 hierarchy alone: a pure cgroup v2 host, as capsa sees it
// (layout detection reads mountinfo).
CommandResult on_pure_cgroup_v2(const std::string& script, int timeout_s = 120);

// Lines of /proc/self/mountinfo that mention `needle`.
std::vector<std::string> mounts_mentioning(const std::string& needle);

// What a failed `capsa create` of `id` left behind, one line each: its state
// directory under `state_root`, a cgroup named after it (capsa/<id> in any
// hierarchy), a mount of the bundle. Empty when nothing: the promise that a
// failed create leaves no partial state.
std::string leftovers_of_failed_create(const std::string& state_root, const std::string& id,
                                       const std::string& bundle);

}  // namespace capsa::test
