#include "metrics/exposition.h"

#include <charconv>
#include <cmath>

namespace capsa::metrics {

namespace {

// HELP text escapes backslash and newline; label values also the double quote.
void append_escaped(std::string& out, const std::string& s, bool quotes) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
}

}  // namespace

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0";  // not "-0"
  char buf[64];
  // The shortest form would turn 1000000000000000 into 1e+15; byte and event
  // counts read better (and grep better) as digits.
  bool exact_int = v == std::trunc(v) && std::fabs(v) <= 9007199254740992.0;
  auto res = exact_int ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                       : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string to_text(const std::vector<Family>& families) {
  std::string out;
  for (const auto& f : families) {
    if (f.samples.empty()) continue;
    out += "# HELP " + f.name + " ";
    append_escaped(out, f.help, false);
    out += "\n# TYPE " + f.name + (f.type == MetricType::Counter ? " counter\n" : " gauge\n");
    for (const auto& s : f.samples) {
      out += f.name;
      if (!s.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < s.labels.size(); ++i) {
          if (i) out += ',';
          out += s.labels[i].first + "=\"";
          append_escaped(out, s.labels[i].second, true);
          out += '"';
        }
        out += '}';
      }
      out += ' ' + format_value(s.value) + '\n';
    }
  }
  return out;
}

}  // namespace capsa::metrics
