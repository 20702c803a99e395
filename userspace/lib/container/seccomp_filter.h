// linux.seccomp compiled with libseccomp. Built by the runtime before the
// container's process is forked, so a bad profile fails `create` with the
// field's path; the forked child only loads it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "container/seccomp_arg_route.h"
#include "spec/spec.h"

namespace capsa::container {

class SeccompFilter {
public:
  // Syscall names this libseccomp does not know are skipped (as runc does:
  // profiles list syscalls of newer kernels); `skipped()` names them.
  static SeccompFilter build(const spec::Seccomp& profile, const std::string& origin);
  // capsad's filter for policy syscall rules: SCMP_ACT_NOTIFY for `syscalls`
  // (native numbers, also under the i386 and x32 ABIs of an x86_64 host),
  // everything else allowed. `added` receives the numbers the filter covers
  // whole. `routes` adds calls sent only for some argument values (a route
  // on a syscall already sent whole adds nothing; one this libseccomp does
  // not know is left out).
  static SeccompFilter notify_on(const std::set<uint32_t>& syscalls, const std::vector<SeccompArgRoute>& routes,
                                 std::set<uint32_t>& added);
  SeccompFilter(SeccompFilter&& o) noexcept : ctx_(o.ctx_), notify_(o.notify_), skipped_(std::move(o.skipped_)) {
    o.ctx_ = nullptr;
  }
  SeccompFilter& operator=(SeccompFilter&&) = delete;
  SeccompFilter(const SeccompFilter&) = delete;
  ~SeccompFilter();

  // Installs the filter on the calling thread (all threads with TSYNC).
  // Returns 0 or a negative errno; async-signal-safe use after fork is fine
  // because the child is single-threaded.
  int load() const noexcept;
  // After load(): the listener fd for SCMP_ACT_NOTIFY rules, or -1.
  int notify_fd() const noexcept;
  bool uses_notify() const { return notify_; }
  const std::vector<std::string>& skipped() const { return skipped_; }

private:
  explicit SeccompFilter(void* ctx) : ctx_(ctx) {}
  void* ctx_;  // scmp_filter_ctx
  bool notify_ = false;
  std::vector<std::string> skipped_;
};

// Hands a notify fd to linux.seccomp.listenerPath with the
// containerProcessState JSON of the runtime-spec (fds: ["seccompFd"]).
void send_to_seccomp_listener(const spec::Seccomp& profile, const nlohmann::json& container_state, pid_t pid, int fd);

}  // namespace capsa::container
