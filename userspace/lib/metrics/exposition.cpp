#include "metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <string>

namespace capsa::metrics {

namespace {

// HELP text escapes backslash and newline; label values also the double quote.
void append_escaped(std::string& out, const std::string& s, bool quotes) {
  if (s.find_first_of(quotes ? "\\\n\"" : "\\\n") == std::string::npos) {
    out.append(s);
    return;
  }
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

// Writes v into buf as format_value() spells it; returns the length.
size_t write_value(char (&buf)[64], double v) {
  auto put = [&](const char* s) {
    size_t n = std::char_traits<char>::length(s);
    std::char_traits<char>::copy(buf, s, n);
    return n;
  };
  if (std::isnan(v)) return put("NaN");
  if (std::isinf(v)) return put(v > 0 ? "+Inf" : "-Inf");
  if (v == 0) return put("0");  // not "-0"
  // The shortest form would turn 1000000000000000 into 1e+15; byte and event
  // counts read better (and grep better) as digits.
  bool exact_int = v == std::trunc(v) && std::fabs(v) <= 9007199254740992.0;
  auto res = exact_int ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                       : std::to_chars(buf, buf + sizeof buf, v);
  return static_cast<size_t>(res.ptr - buf);
}

}  // namespace

std::string format_value(double v) {
  char buf[64];
  return std::string(buf, write_value(buf, v));
}

std::string to_text(const std::vector<Family>& families) {
  // Appended in place, no temporaries: a scrape of 200 containers is ~120 KB.
  size_t guess = 0;
  for (const auto& f : families) guess += 2 * f.help.size() + f.samples.size() * (f.name.size() + 64);
  std::string out;
  out.reserve(guess);
  char value[64];
  for (const auto& f : families) {
    if (f.samples.empty()) continue;
    out.append("# HELP ").append(f.name).append(" ");
    append_escaped(out, f.help, false);
    out.append("\n# TYPE ").append(f.name).append(f.type == MetricType::Counter ? " counter\n" : " gauge\n");
    for (const auto& s : f.samples) {
      out.append(f.name);
      if (!s.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < s.labels.size(); ++i) {
          if (i) out += ',';
          out.append(s.labels[i].first).append("=\"");
          append_escaped(out, s.labels[i].second, true);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      out.append(value, write_value(value, s.value));
      out += '\n';
    }
  }
  return out;
}

}  // namespace capsa::metrics
