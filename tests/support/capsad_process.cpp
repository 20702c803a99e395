#include "capsad_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>

#include "test_env.h"

namespace capsa::test {

int free_tcp_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(s);
  return ntohs(addr.sin_port);
}

CapsadProcess::CapsadProcess(const std::string& state_root, const std::string& pin_root,
                             std::vector<std::string> extra_args)
    : state_root_(state_root),
      pin_root_(pin_root),
      log_(state_root + "/capsad.log"),
      policy_dir_(state_root + "/policies"),
      events_(state_root + "/events.jsonl"),
      extra_args_(std::move(extra_args)) {}

CapsadProcess::~CapsadProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  run_command({CAPSAD_BIN, "--unpin", "--bpf-pin-root", pin_root_});
}

bool CapsadProcess::start() {
  port_ = free_tcp_port();
  std::string listen = "127.0.0.1:" + std::to_string(port_);
  std::vector<std::string> args = {CAPSAD_BIN,         "--listen",       listen,      "--root",
                                    state_root_,        "--bpf-pin-root", pin_root_,   "--sync-interval-ms",
                                    "200",              "--policy-dir",   policy_dir_, "--events",
                                    events_};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    int log = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::execv(CAPSAD_BIN, argv.data());
    ::_exit(127);
  }
  bool up = eventually(
      [&] {
        try {
          http_get(port_, "/metrics");
          return true;
        } catch (...) {
          return ::waitpid(pid_, nullptr, WNOHANG) == pid_ ? (pid_ = -1, true) : false;
        }
      },
      20000);
  if (!up || pid_ < 0) {
    error_ = "capsad did not come up; its log:\n" + read_file_or_empty(log_);
    return false;
  }
  return true;
}

void CapsadProcess::kill_hard() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

std::string CapsadProcess::metrics() const { return http_get(port_, "/metrics"); }

std::optional<double> sample_value(const std::string& exposition, const std::string& name,
                                   const std::string& label_fragment) {
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
    if (!label_fragment.empty() && line.find(label_fragment) == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return std::nullopt;
}

}  // namespace capsa::test
