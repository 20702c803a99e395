#include "container/seccomp_arg_route.h"

#include "common/error.h"

namespace capsa::container {

nlohmann::json arg_routes_to_json(const std::vector<SeccompArgRoute>& routes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : routes) {
    nlohmann::json e = {{"syscall", r.syscall}, {"arg", r.arg}, {"values", r.values}};
    if (r.bits_arg >= 0) e["with_bits"] = {{"arg", r.bits_arg}, {"bits", r.bits}};
    out.push_back(std::move(e));
  }
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
    if (auto w = e.find("with_bits"); w != e.end()) {
      auto wa = w->is_object() ? w->find("arg") : w->end();
      auto wb = w->is_object() ? w->find("bits") : w->end();
      if (!w->is_object() || wa == w->end() || !wa->is_number_unsigned() || wa->get<uint64_t>() > 5 ||
          wb == w->end() || !wb->is_number_unsigned() || wb->get<uint64_t>() == 0 || wb->get<uint64_t>() > UINT32_MAX)
        throw bad("\"with_bits\" must be {\"arg\": 0..5, \"bits\": a non-zero 32-bit number}");
      r.bits_arg = wa->get<int>();
      r.bits = wb->get<uint32_t>();
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace capsa::container
