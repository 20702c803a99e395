#include "metrics/process_collector.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sstream>

#include "common/file_util.h"

namespace capsa::metrics {

namespace {

void collect(std::vector<Family>& out) {
  // /proc/self/stat fields after the comm: state is field 3.
  std::string stat = read_file("/proc/self/stat");
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> f(1, "");  // index = field number - 2
  for (std::string tok; in >> tok;) f.push_back(tok);
  auto field = [&](size_t n) { return std::stod(f.at(n - 2)); };
  double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  double page = static_cast<double>(::sysconf(_SC_PAGESIZE));

  double btime = 0;
  std::istringstream pst(read_file("/proc/stat"));
  for (std::string line; std::getline(pst, line);)
    if (line.rfind("btime ", 0) == 0) btime = std::stod(line.substr(6));

  double fds = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') ++fds;
    ::closedir(d);
    fds -= 1;  // the directory stream itself
  }
  struct rlimit lim {};
  ::getrlimit(RLIMIT_NOFILE, &lim);

  auto gauge = [&](const char* name, const char* help, double v) {
    out.push_back({name, help, MetricType::Gauge, {{{}, v}}});
  };
  out.push_back({"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", MetricType::Counter,
                 {{{}, (field(14) + field(15)) / ticks}}});
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", field(24) * page);
  gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", field(23));
  gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
        btime + field(22) / ticks);
  gauge("process_open_fds", "Number of open file descriptors.", fds);
  gauge("process_max_fds", "Maximum number of open file descriptors.", static_cast<double>(lim.rlim_cur));
}

}  // namespace

void register_process_collector(Registry& registry) { registry.add_collector(collect); }

}  // namespace capsa::metrics
