#include "container/sync_channel.h"

#include <sys/socket.h>

#include "common/error.h"

namespace capsa::container {

SyncPair make_sync_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) throw_sys("socketpair for container init");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

bool sync_send(int fd, const std::string& msg) noexcept {
  for (;;) {
    ssize_t n = ::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL);
    if (n >= 0) return true;
    if (errno != EINTR) return false;
  }
}

std::optional<std::string> sync_recv(int fd) noexcept {
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) return std::string(buf, static_cast<size_t>(n));
    if (n == 0) return std::nullopt;
    if (errno != EINTR) return std::nullopt;
  }
}

}  // namespace capsa::container
