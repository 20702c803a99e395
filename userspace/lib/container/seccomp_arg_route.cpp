#include "container/seccomp_arg_route.h"

#include "common/error.h"

namespace capsa::container {

nlohmann::json arg_routes_to_json(const std::vector<SeccompArgRoute>& routes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : routes) out.push_back({{"syscall", r.syscall}, {"arg", r.arg}, {"values", r.values}});
  return out;
}

std::vector<SeccompArgRoute> arg_routes_from_json(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_array()) throw Error(origin + ": expected a list, got " + j.dump());
  std::vector<SeccompArgRoute> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    std::string where = origin + "[" + std::to_string(i) + "]";
    auto bad = [&](const std::string& what) {
      return Error(where + ": " + what + ", got " + e.dump());
    };
    if (!e.is_object()) throw bad("expected {\"syscall\": name, \"arg\": 0..5, \"values\": [numbers]}");
    SeccompArgRoute r;
    auto s = e.find("syscall");
    if (s == e.end() || !s->is_string() || s->get<std::string>().empty()) throw bad("\"syscall\" must be a name");
    r.syscall = s->get<std::string>();
    auto a = e.find("arg");
    if (a == e.end() || !a->is_number_unsigned() || a->get<uint64_t>() > 5) throw bad("\"arg\" must be 0..5");
    r.arg = a->get<unsigned>();
    auto v = e.find("values");
    if (v == e.end() || !v->is_array() || v->empty()) throw bad("\"values\" must be a non-empty list");
    for (const auto& x : *v) {
      if (!x.is_number_unsigned() || x.get<uint64_t>() > UINT32_MAX) throw bad("\"values\" must hold 32-bit numbers");
      r.values.push_back(x.get<uint32_t>());
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace capsa::container
