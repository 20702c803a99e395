#include "state/process_probe.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/file_util.h"

namespace capsa::state {

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  auto read = read_file_if_exists("/proc/" + std::to_string(pid) + "/stat");
  if (!read) return std::nullopt;
  const std::string& text = *read;
  // comm (field 2) may hold spaces and parentheses: parse after the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) return std::nullopt;
  ProcStat st;
  const char* p = text.c_str() + close + 2;
  st.state = *p;
  // Fields after state start at field 4; starttime is field 22.
  for (int field = 3; field < 22 && *p; ++field) {
    p = std::strchr(p, ' ');
    if (!p) return std::nullopt;
    ++p;
  }
  st.start_time = std::strtoull(p, nullptr, 10);
  return st;
}

bool process_alive(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  auto st = read_proc_stat(pid);
  if (!st) return false;
  if (st->state == 'Z' || st->state == 'X') return false;
  return st->start_time == start_time;
}

}  // namespace capsa::state
