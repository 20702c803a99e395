// The standard process_* metrics of the calling process, from /proc/self.
#pragma once

#include "metrics/registry.h"

namespace capsa::metrics {

void register_process_collector(Registry& registry);

}  // namespace capsa::metrics
