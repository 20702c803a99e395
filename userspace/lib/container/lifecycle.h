// The runtime's container operations, shared by the CLI subcommands:
// create (clone + set up, init left waiting), start, signal, destroy.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/unique_fd.h"
#include "state/state_store.h"

namespace capsa::container {

struct CreateOptions {
  std::string id;
  std::string bundle;          // as given on the command line
  std::string pid_file;        // written once the init is ready; empty: none
  std::string bpf_pin_root;    // where capsad pins the containers map
  std::string console_socket;  // where the pty master goes for process.terminal
  bool foreground = false;     // `run` without --detach: the caller relays the pty
  int preserve_fds = 0;        // --preserve-fds: fds 3.. passed on to the container
  bool no_pivot = false;       // --no-pivot
};

struct Created {
  state::ContainerState state;
  UniqueFd pty_master;  // process.terminal in the foreground only
};

// Validates the bundle, creates cgroups, the state directory and the init
// (a child of the calling process), and returns once the init waits for
// `start`. On any error nothing is left behind (state dir, cgroups, init).
Created create_container(const state::StateStore& store, const CreateOptions& opts);

// Lets a created container's init run its startContainer hooks and exec its
// process; returns once the process runs, throws when a hook failed.
void start_container(const state::ContainerDir& dir, const state::ContainerState& st);

// The poststart hooks; failures are warnings. Called with the container's
// lock released: a hook may well ask `capsa state` about the container.
void run_poststart_hooks(const state::ContainerState& st);

// Sends sig to the init (all=false) or to every process of the container.
void signal_container(const state::ContainerDir& dir, const state::ContainerState& st, int sig, bool all);

// Freezes every process of a running (or created) container / thaws a
// paused one, with runc's errors for the wrong status.
void pause_container(const state::ContainerDir& dir, const state::ContainerState& st);
void resume_container(const state::ContainerDir& dir, const state::ContainerState& st);

// Kills whatever still runs, removes cgroups, the BPF map entry and the state
// directory, then runs the poststop hooks (failures are warnings). The caller
// holds the directory's exclusive lock.
void destroy_container(const state::ContainerDir& dir, const state::ContainerState& st,
                       const std::string& bpf_pin_root);

}  // namespace capsa::container
