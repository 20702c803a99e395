// What a container's cgroup has used so far, read from its control files on
// whichever hierarchy holds each controller (cgroup v2, or v1 on hybrid and
// legacy hosts).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "cgroup/container_cgroup.h"
#include "cgroup/layout.h"

namespace capsa::cgroup {

struct Usage {
  // cpuacct.usage (v1) or cpu.stat usage_usec (v2), in seconds.
  std::optional<double> cpu_seconds;
  // memory.usage_in_bytes (v1) or memory.current (v2).
  std::optional<double> memory_bytes;
  // pids.current: processes and threads.
  std::optional<double> pids;
};

// A field is nullopt when the host lacks its controller or the cgroup is gone
// (the container was deleted while we read). Other failures throw Error.
Usage read_usage(const Layout& layout, const ContainerCgroup& cg);

// A file's text, nullopt when it (or its cgroup) does not exist.
using ReadControlFile = std::function<std::optional<std::string>(const std::string& path)>;
// The plain ReadControlFile: read_file, with ENOENT and ENODEV as nullopt.
std::optional<std::string> read_control_file(const std::string& path);
// The same with the files read through `read` (capsad keeps them open).
Usage read_usage(const Layout& layout, const ContainerCgroup& cg, const ReadControlFile& read);

}  // namespace capsa::cgroup
