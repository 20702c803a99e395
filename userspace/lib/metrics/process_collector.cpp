#include "metrics/process_collector.h"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "common/error.h"
#include "common/file_util.h"

namespace capsa::metrics {

namespace {

// Fields of /proc/self/stat, numbered as in proc(5) (1 = pid). The comm field
// may contain spaces and parentheses, so parsing starts after the last ')'.
class ProcStat {
public:
  ProcStat() {
    std::string stat = read_file("/proc/self/stat");
    auto end = stat.rfind(')');
    if (end == std::string::npos) throw Error("/proc/self/stat: no ')' after the command name");
    std::istringstream in(stat.substr(end + 1));
    for (std::string tok; in >> tok;) fields_.push_back(tok);
  }
  double field(size_t n) const {
    if (n < 3 || n - 3 >= fields_.size()) throw Error("/proc/self/stat: no field " + std::to_string(n));
    return std::stod(fields_[n - 3]);
  }

private:
  std::vector<std::string> fields_;  // from field 3 (state) on
};

double boot_time_seconds() {
  std::istringstream in(read_file("/proc/stat"));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  throw Error("/proc/stat: no btime line");
}

double open_fds() {
  // Linux 6.2 and later report the count as the directory's size: listing
  // the directory instead costs a /proc lookup per descriptor, and capsad
  // keeps several open per container.
  struct stat st {};
  if (::stat("/proc/self/fd", &st) == 0 && st.st_size > 0) return static_cast<double>(st.st_size);
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) throw_sys("opendir /proc/self/fd");
  double n = 0;
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // the directory stream's own descriptor
}

void collect(std::vector<Family>& out) {
  ProcStat stat;
  double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  struct rlimit lim {};
  ::getrlimit(RLIMIT_NOFILE, &lim);

  auto gauge = [&](const char* name, const char* help, double v) {
    out.push_back({name, help, MetricType::Gauge, {{{}, v}}});
  };
  // utime (14) + stime (15), in clock ticks.
  out.push_back({"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", MetricType::Counter,
                 {{{}, (stat.field(14) + stat.field(15)) / ticks}}});
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", stat.field(24) * page);
  gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", stat.field(23));
  // starttime (22) counts clock ticks since boot.
  gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
        boot_time_seconds() + stat.field(22) / ticks);
  gauge("process_open_fds", "Number of open file descriptors.", open_fds());
  gauge("process_max_fds", "Maximum number of open file descriptors.", static_cast<double>(lim.rlim_cur));
}

}  // namespace

void register_process_collector(Registry& registry) { registry.add_collector(collect); }

}  // namespace capsa::metrics
