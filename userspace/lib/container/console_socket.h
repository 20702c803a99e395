// Handing a container's pty master to the --console-socket of a caller such
// as conmon, the way runc does: one SCM_RIGHTS message on a unix socket.
#pragma once

#include <string>

namespace capsa::container {

void send_to_console_socket(const std::string& path, const std::string& pty_name, int master);

}  // namespace capsa::container
