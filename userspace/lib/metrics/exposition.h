// The Prometheus text exposition format, version 0.0.4.
#pragma once

#include <string>
#include <vector>

#include "metrics/registry.h"

namespace capsa::metrics {

inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// One "# HELP", one "# TYPE" line and the samples per family, in the given
// order. Families without samples are left out (a TYPE line with no series
// only confuses readers). Names are written as given: collect() validates them.
std::string to_text(const std::vector<Family>& families);

// How a sample value is written: integers up to 2^53 as plain digits,
// other finite values in the shortest form that reads back to the same
// double, and +Inf, -Inf, NaN as Prometheus spells them.
std::string format_value(double v);

}  // namespace capsa::metrics
