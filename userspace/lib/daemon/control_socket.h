// capsad's control socket: one JSON request line in, one JSON reply line out,
// on a unix stream socket only root can reach. capsactl uses it for
// status/reload; the runtime uses it at create so a new container is bound
// to its policy before its process runs, and hands it the seccomp listener of
// each process it starts in a container (one fd attached with SCM_RIGHTS).
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/unique_fd.h"

namespace capsa::daemon {

// Default path: beside the runtime's state, so one --root finds both.
std::string default_control_socket(const std::string& state_root);

class ControlServer {
public:
  // `passed`: the descriptor the request carried, if any (closed unless the
  // handler keeps it).
  using Handler = std::function<nlohmann::json(const nlohmann::json& request, UniqueFd passed)>;
  // Binds (replacing a stale socket file) and serves on a thread of its own.
  ControlServer(std::string path, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

private:
  void serve();
  std::string path_;
  Handler handler_;
  UniqueFd fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Sends one request and returns the reply. Throws Error carrying errno
// (ENOENT / ECONNREFUSED when no capsad listens) or a protocol message.
// pass_fd >= 0 travels with the request (SCM_RIGHTS).
nlohmann::json control_request(const std::string& path, const nlohmann::json& request, int timeout_ms = 5000,
                               int pass_fd = -1);
// The same, but nullopt when no capsad listens at path (no socket file, or
// nobody accepting): that is the normal case for the runtime without capsad.
std::optional<nlohmann::json> control_request_if_listening(const std::string& path, const nlohmann::json& request,
                                                           int timeout_ms = 5000, int pass_fd = -1);

}  // namespace capsa::daemon
