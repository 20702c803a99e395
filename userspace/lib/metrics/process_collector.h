// The standard process_* metrics (the names every Prometheus client library
// exports) for the calling process, read from /proc at each scrape:
// process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_start_time_seconds,
// process_open_fds, process_max_fds.
#pragma once

#include "metrics/registry.h"

namespace capsa::metrics {

void register_process_collector(Registry& registry);

}  // namespace capsa::metrics
