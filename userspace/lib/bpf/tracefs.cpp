#include "bpf/tracefs.h"

#include <sys/mount.h>
#include <unistd.h>

#include "common/error.h"

namespace capsa::bpf {

namespace {

// libbpf's two places: the debugfs one wins where it exists (debugfs
// mounts tracefs under itself on first access).
constexpr const char* kTracefs = "/sys/kernel/tracing";
constexpr const char* kDebugfsTracing = "/sys/kernel/debug/tracing";

bool has_events(const std::string& dir) { return ::access((dir + "/events").c_str(), F_OK) == 0; }

}  // namespace

std::string ensure_tracefs_mounted() {
  if (::access(kDebugfsTracing, F_OK) == 0) {
    return has_events(kDebugfsTracing) ? "" : std::string(kDebugfsTracing) + " has no events directory";
  }
  if (has_events(kTracefs)) return "";
  if (::mount("tracefs", kTracefs, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") != 0) {
    return std::string("mount tracefs on ") + kTracefs + ": " + errno_text(errno);
  }
  return has_events(kTracefs) ? "" : std::string("tracefs mounted on ") + kTracefs + " has no events directory";
}

}  // namespace capsa::bpf
