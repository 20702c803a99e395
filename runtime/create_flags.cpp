#include "cli.h"
#include "common/error.h"

namespace capsa::cli {

void add_create_flags(CLI::App& cmd, CreateFlags& f) {
  cmd.add_option("-b,--bundle", f.bundle, "path to the root of the bundle directory (default: current directory)");
  cmd.add_option("--pid-file", f.pid_file, "file to write the process id to");
  cmd.add_option("--console-socket", f.console_socket, "unix socket that receives the pty master (SCM_RIGHTS)");
  cmd.add_flag("--no-pivot", f.no_pivot, "do not use pivot_root (not supported)");
  cmd.add_flag("--no-new-keyring", f.no_new_keyring, "do not create a new session keyring (capsa never does)");
  cmd.add_option("--preserve-fds", f.preserve_fds, "pass N additional file descriptors (3 .. 3+N-1) to the container");
}

void check_create_flags(const CreateFlags& f) {
  if (f.no_pivot) throw Error("--no-pivot: capsa always uses pivot_root; running without it is not supported");
}

}  // namespace capsa::cli
