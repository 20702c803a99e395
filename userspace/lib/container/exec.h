// `capsa exec`: a new process inside a running container, in its namespaces
// and cgroups, with the identity and limits of its own process object.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/unique_fd.h"
#include "spec/spec.h"
#include "state/container_state.h"

namespace capsa::container {

struct ExecRequest {
  spec::Process process;
  std::string console_socket;  // receives the pty master when process.terminal
  bool foreground = false;     // the caller relays the pty itself
  // The container's linux.seccomp: exec'd processes are filtered like its init.
  std::optional<spec::Seccomp> seccomp;
  // The container's linux.personality: exec'd processes run in its domain too.
  std::optional<spec::Personality> personality;
  int preserve_fds = 0;  // --preserve-fds: fds 3.. passed on to the process
  // capsad's control socket: the process gets capsad's filter for policy
  // syscall rules when capsad listens there (container/policy_seccomp.h).
  std::string capsad_socket;
  // The container's kept Landlock plan (container/policy_seccomp.h).
  std::string landlock_plan_file;
};

struct Executed {
  pid_t pid = -1;       // a child of the caller
  UniqueFd pty_master;  // process.terminal in the foreground only
};

// Returns once the program has been exec'd; errors before that (a missing
// binary, a bad cwd) are reported here with the field they concern.
Executed exec_in_container(const state::ContainerState& st, const ExecRequest& req);

}  // namespace capsa::container
