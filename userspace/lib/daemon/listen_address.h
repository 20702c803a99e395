// "host:port" as given to --listen.
#pragma once

#include <string>

namespace capsa::daemon {

struct ListenAddress {
  std::string host;
  int port = 0;
};

// Accepts "127.0.0.1:9464", "[::1]:9464", ":9464" (all addresses); throws
// capsa::Error naming `flag` otherwise.
ListenAddress parse_listen_address(const std::string& text, const std::string& flag);

}  // namespace capsa::daemon
