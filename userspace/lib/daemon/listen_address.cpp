#include "daemon/listen_address.h"

#include "common/error.h"

namespace capsa::daemon {

ListenAddress parse_listen_address(const std::string& text, const std::string& flag) {
  auto bad = [&](const std::string& why) { return Error(flag + ": \"" + text + "\": " + why); };
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw bad("expected host:port");
  ListenAddress a;
  a.host = text.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
  if (a.host.empty()) a.host = "0.0.0.0";
  std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    throw bad("port must be a number from 1 to 65535");
  a.port = std::stoi(port);
  if (a.port < 1 || a.port > 65535) throw bad("port must be a number from 1 to 65535");
  return a;
}

}  // namespace capsa::daemon
