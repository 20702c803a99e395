#include "cli.h"
#include "common/error.h"

namespace capsa::cli {

void add_create_flags(CLI::App& cmd, CreateFlags& f) {
  cmd.add_option("-b,--bundle", f.bundle, "path to the root of the bundle directory (default: current directory)");
  cmd.add_option("--pid-file", f.pid_file, "file to write the process id to");
  cmd.add_option("--console-socket", f.console_socket, "unix socket that receives the pty master (SCM_RIGHTS)");
  cmd.add_flag("--no-pivot", f.no_pivot, "do not use pivot_root: move the rootfs over / and chroot (for a rootfs on ramfs)");
  cmd.add_flag("--no-new-keyring", f.no_new_keyring, "do not create a new session keyring (capsa never does)");
  cmd.add_option("--preserve-fds", f.preserve_fds, "pass N additional file descriptors (3 .. 3+N-1) to the container");
}

}  // namespace capsa::cli
