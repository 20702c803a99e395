// A capsad started for one test: its own port, state root, bpffs pin root,
// policy directory (<state_root>/policies) and event log
// (<state_root>/events.jsonl), killed and unpinned when the object dies.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace capsa::test {

class CapsadProcess {
public:
  CapsadProcess(const std::string& state_root, const std::string& pin_root, std::vector<std::string> extra_args = {});
  ~CapsadProcess();
  CapsadProcess(const CapsadProcess&) = delete;
  CapsadProcess& operator=(const CapsadProcess&) = delete;

  // Starts capsad and waits (bounded) until /metrics answers; false on failure
  // with the reason in error().
  bool start();
  // SIGKILL without cleanup, as an operator's kill -9 would.
  void kill_hard();
  std::string metrics() const;
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& error() const { return error_; }
  const std::string& log_path() const { return log_; }
  const std::string& policy_dir() const { return policy_dir_; }
  const std::string& events_path() const { return events_; }

private:
  std::string state_root_, pin_root_, log_, policy_dir_, events_;
  std::vector<std::string> extra_args_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string error_;
};

// Value of the sample `name{...}` whose label set contains `label_fragment`
// (e.g. container_id="x"); nullopt when absent.
std::optional<double> sample_value(const std::string& exposition, const std::string& name,
                                   const std::string& label_fragment);

int free_tcp_port();

}  // namespace capsa::test
