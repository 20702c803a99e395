// The Prometheus text exposition format, version 0.0.4.
#pragma once

#include <string>
#include <vector>

#include "metrics/registry.h"

namespace capsa::metrics {

inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// Families without samples are left out.
std::string to_text(const std::vector<Family>& families);
// How a sample value is written: integers exactly, +Inf/-Inf/NaN by name.
std::string format_value(double v);

}  // namespace capsa::metrics
