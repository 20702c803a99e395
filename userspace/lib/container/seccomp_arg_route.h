// A syscall the runtime routes to capsad only when one argument holds one of
// a few values: fcntl's F_SETOWN, not every fcntl. Named rather than
// numbered, so a call only another ABI has (i386's fcntl64) can be listed.
// Values are compared on the argument's low 32 bits: the kernel reads these
// arguments as unsigned int, so garbage in the upper half must not slip a
// call past the filter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace capsa::container {

struct SeccompArgRoute {
  std::string syscall;
  unsigned arg = 0;  // 0..5
  std::vector<uint32_t> values;
  // And only when argument `bits_arg` has every bit of `bits` set (fcntl's
  // F_SETFL turning O_ASYNC on, not every F_SETFL); -1: no such condition.
  int bits_arg = -1;
  uint32_t bits = 0;
};

nlohmann::json arg_routes_to_json(const std::vector<SeccompArgRoute>& routes);
// Throws Error naming `origin` and the element when `j` is not a list of
// {"syscall": name, "arg": 0..5, "values": [numbers]} (with optionally
// "with_bits": {"arg": 0..5, "bits": number}).
std::vector<SeccompArgRoute> arg_routes_from_json(const nlohmann::json& j, const std::string& origin);

}  // namespace capsa::container
