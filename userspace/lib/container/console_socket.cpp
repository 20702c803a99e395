#include "container/console_socket.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "common/error.h"
#include "common/unique_fd.h"
#include "container/sync_channel.h"

namespace capsa::container {

void send_to_console_socket(const std::string& path, const std::string& pty_name, int master) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) throw_sys("--console-socket: socket");
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw Error("--console-socket: path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw_sys("--console-socket: connect " + path);
  if (!send_with_fd(sock.get(), pty_name, master)) throw_sys("--console-socket: send the terminal to " + path);
}

}  // namespace capsa::container
