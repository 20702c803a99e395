#include "common/signals.h"

#include <signal.h>

#include <string_view>

#include "common/error.h"

namespace capsa {

namespace {
struct SignalName {
  std::string_view name;
  int number;
};
constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},   {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},       {"POLL", SIGPOLL},   {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};
}  // namespace

int parse_signal(const std::string& s) {
  auto unknown = [&] { return Error("unknown signal \"" + s + "\""); };
  if (s.empty()) throw unknown();
  if (s.find_first_not_of("0123456789") == std::string::npos) {
    if (s.size() > 3) throw unknown();
    int n = std::stoi(s);
    if (n <= 0 || n >= NSIG) throw unknown();
    return n;
  }
  std::string_view name = s;
  if (name.rfind("SIG", 0) == 0) name.remove_prefix(3);
  for (const auto& sig : kSignals)
    if (sig.name == name) return sig.number;
  if (name.rfind("RTMIN", 0) == 0 || name.rfind("RTMAX", 0) == 0) {
    bool min = name[4] == 'N';
    std::string_view rest = name.substr(5);
    int offset = 0;
    if (!rest.empty()) {
      if (rest.size() < 2 || (rest[0] != '+' && rest[0] != '-')) throw unknown();
      offset = std::stoi(std::string(rest));
    }
    int n = (min ? SIGRTMIN : SIGRTMAX) + offset;
    if (n < SIGRTMIN || n > SIGRTMAX) throw unknown();
    return n;
  }
  throw unknown();
}

}  // namespace capsa
