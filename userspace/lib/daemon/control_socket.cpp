#include "daemon/control_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <spdlog/spdlog.h>

#include "common/error.h"

namespace capsa::daemon {

namespace {

sockaddr_un address_of(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw Error("control socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Reads until '\n' or EOF, waiting at most until `deadline`. A descriptor
// attached to the data goes to `passed` (others are closed).
std::string read_line(int fd, std::chrono::steady_clock::time_point deadline, UniqueFd* passed = nullptr) {
  std::string buf;
  char chunk[4096];
  while (buf.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw Error("control socket: no reply in time", ETIMEDOUT);
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_sys("control socket: poll");
    if (r == 0) continue;
    iovec iov{chunk, sizeof chunk};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); n >= 0 && c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int got;
        std::memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
        if (passed && !*passed)
          passed->reset(got);
        else
          ::close(got);
      }
    }
    if (n < 0) throw_sys("control socket: read");
    if (n == 0) break;
    buf.append(chunk, static_cast<size_t>(n));
    if (buf.size() > (16u << 20)) throw Error("control socket: message over 16 MiB");
  }
  if (auto nl = buf.find('\n'); nl != std::string::npos) buf.resize(nl);
  return buf;
}

// The first byte carries pass_fd (when >= 0): a receiver reading the line in
// pieces still gets it with the first piece.
void write_all(int fd, const std::string& s, int pass_fd = -1) {
  size_t off = 0;
  if (pass_fd >= 0) {
    iovec iov{const_cast<char*>(s.data()), 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof pass_fd);
    ssize_t n;
    do n = ::sendmsg(fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw_sys("control socket: send a descriptor");
    off = 1;
  }
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_sys("control socket: write");
    off += static_cast<size_t>(n);
  }
}

}  // namespace

std::string default_control_socket(const std::string& state_root) { return state_root + "/capsad.sock"; }

ControlServer::ControlServer(std::string path, Handler handler) : path_(std::move(path)), handler_(std::move(handler)) {
  auto addr = address_of(path_);
  fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd_) throw_sys("control socket: socket");
  ::unlink(path_.c_str());
  mode_t old = ::umask(0077);
  int rc = ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0) throw_sys("control socket: bind " + path_);
  if (::listen(fd_.get(), 16) != 0) throw_sys("control socket: listen " + path_);
  thread_ = std::thread([this] { serve(); });
}

ControlServer::~ControlServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::unlink(path_.c_str());
}

void ControlServer::serve() {
  while (!stop_) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) continue;
    nlohmann::json reply;
    try {
      UniqueFd passed;
      auto line = read_line(conn.get(), std::chrono::steady_clock::now() + std::chrono::seconds(5), &passed);
      auto request = nlohmann::json::parse(line);
      reply = handler_(request, std::move(passed));
    } catch (const std::exception& e) {
      reply = {{"ok", false}, {"error", e.what()}};
    }
    try {
      write_all(conn.get(), reply.dump() + "\n");
    } catch (const std::exception& e) {
      spdlog::debug("control socket: {}", e.what());
    }
  }
}

namespace {

// The connected socket, or an invalid fd with connect's errno in err.
UniqueFd connect_to(const std::string& path, int& err) {
  auto addr = address_of(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_sys("control socket: socket");
  err = 0;
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    err = errno;
    return UniqueFd();
  }
  return fd;
}

nlohmann::json exchange(int fd, const std::string& path, const nlohmann::json& request, int timeout_ms,
                        int pass_fd) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  write_all(fd, request.dump() + "\n", pass_fd);
  auto line = read_line(fd, deadline);
  try {
    return nlohmann::json::parse(line);
  } catch (const std::exception& e) {
    throw Error("capsad at " + path + " sent a reply that is not JSON: " + e.what());
  }
}

}  // namespace

nlohmann::json control_request(const std::string& path, const nlohmann::json& request, int timeout_ms, int pass_fd) {
  int err;
  UniqueFd fd = connect_to(path, err);
  if (!fd) throw_sys("connect to capsad at " + path, err);
  return exchange(fd.get(), path, request, timeout_ms, pass_fd);
}

std::optional<nlohmann::json> control_request_if_listening(const std::string& path, const nlohmann::json& request,
                                                           int timeout_ms, int pass_fd) {
  int err;
  UniqueFd fd = connect_to(path, err);
  if (!fd) {
    if (err == ENOENT || err == ECONNREFUSED) return std::nullopt;
    throw_sys("connect to capsad at " + path, err);
  }
  return exchange(fd.get(), path, request, timeout_ms, pass_fd);
}

}  // namespace capsa::daemon
