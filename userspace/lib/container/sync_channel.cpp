#include "container/sync_channel.h"

#include <sys/socket.h>

#include <cstring>

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
  auto r = recv_with_fd(fd);
  if (!r) return std::nullopt;
  return std::move(r->msg);
}

namespace {

// One data buffer plus room for one SCM_RIGHTS descriptor. Points into
// itself, so it stays where it was made.
struct FdMessage {
  FdMessage(void* data, size_t len) : iov{data, len} {
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  struct iovec iov;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr mh {};
};

}  // namespace

bool send_with_fd(int sock, const std::string& msg, int fd) noexcept {
  FdMessage m(const_cast<char*>(msg.data()), msg.size());
  struct msghdr& mh = m.mh;
  struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  for (;;) {
    if (::sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0) return true;
    if (errno != EINTR) return false;
  }
}

std::optional<Received> recv_with_fd(int sock) noexcept {
  // Large enough for the state JSON (annotations included) sent for the hooks.
  char buf[65536];
  FdMessage m(buf, sizeof buf);
  struct msghdr& mh = m.mh;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return std::nullopt;
  Received r;
  r.msg.assign(buf, static_cast<size_t>(n));
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      r.fd.reset(fd);
    }
  }
  return r;
}

}  // namespace capsa::container
