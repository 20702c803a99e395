#include "spec/json_reader.h"

#include "common/error.h"

namespace capsa::spec {

const char* json_type_name(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "object";
    case nlohmann::json::value_t::array: return "array";
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::boolean: return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "integer";
    case nlohmann::json::value_t::number_float: return "number";
    default: return "value";
  }
}

void JsonReader::fail(const std::string& what) const {
  throw Error(origin_ + ": " + (path_.empty() ? std::string("(top level)") : path_) + ": " + what);
}

void JsonReader::fail_field(const char* key, const std::string& what) const {
  throw Error(origin_ + ": " + field(key) + ": " + what);
}

JsonReader JsonReader::child(const char* key) const {
  if (!has(key)) fail_field(key, "required field missing");
  return JsonReader(j_.at(key), field(key), origin_);
}

std::optional<JsonReader> JsonReader::maybe(const char* key) const {
  if (!has(key)) return std::nullopt;
  return JsonReader(j_.at(key), field(key), origin_);
}

JsonReader JsonReader::at(size_t i) const { return JsonReader(j_.at(i), path_ + "[" + std::to_string(i) + "]", origin_); }

void JsonReader::expect_object() const {
  if (!j_.is_object()) fail(std::string("expected object, got ") + json_type_name(j_));
}

void JsonReader::expect_array() const {
  if (!j_.is_array()) fail(std::string("expected array, got ") + json_type_name(j_));
}

std::string JsonReader::as_string() const {
  if (!j_.is_string()) fail(std::string("expected string, got ") + json_type_name(j_));
  return j_.get<std::string>();
}

std::string JsonReader::str(const char* key) const { return child(key).as_string(); }

std::string JsonReader::str_or(const char* key, const std::string& def) const {
  auto c = maybe(key);
  return c ? c->as_string() : def;
}

bool JsonReader::boolean_or(const char* key, bool def) const {
  auto c = maybe(key);
  if (!c) return def;
  if (!c->j_.is_boolean()) c->fail(std::string("expected boolean, got ") + json_type_name(c->j_));
  return c->j_.get<bool>();
}

std::optional<int64_t> JsonReader::i64(const char* key, int64_t min, int64_t max) const {
  auto c = maybe(key);
  if (!c) return std::nullopt;
  const auto& v = c->j_;
  // nlohmann keeps every non-negative literal as unsigned: the lower bound
  // applies to it too.
  if (v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX) || static_cast<int64_t>(u) > max || static_cast<int64_t>(u) < min)
      c->fail("value " + std::to_string(u) + " out of range (" +
              (min <= 0 && max == INT64_MAX ? "at most " + std::to_string(max)
                                            : std::to_string(min) + " to " + std::to_string(max)) +
              ")");
    return static_cast<int64_t>(u);
  }
  if (!v.is_number_integer()) c->fail(std::string("expected integer, got ") + json_type_name(v));
  auto n = v.get<int64_t>();
  if (n < min || n > max)
    c->fail("value " + std::to_string(n) + " out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")");
  return n;
}

std::optional<uint64_t> JsonReader::u64(const char* key, uint64_t max) const {
  auto c = maybe(key);
  if (!c) return std::nullopt;
  const auto& v = c->j_;
  if (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0)
    c->fail("expected a non-negative integer, got " + std::to_string(v.get<int64_t>()));
  if (!v.is_number_integer()) c->fail(std::string("expected integer, got ") + json_type_name(v));
  auto n = v.get<uint64_t>();
  if (n > max) c->fail("value " + std::to_string(n) + " out of range (at most " + std::to_string(max) + ")");
  return n;
}

std::vector<std::string> JsonReader::strings(const char* key) const {
  std::vector<std::string> out;
  auto c = maybe(key);
  if (!c) return out;
  c->expect_array();
  for (size_t i = 0; i < c->size(); ++i) out.push_back(c->at(i).as_string());
  return out;
}

std::map<std::string, std::string> JsonReader::string_map(const char* key) const {
  std::map<std::string, std::string> out;
  auto c = maybe(key);
  if (!c) return out;
  c->expect_object();
  for (auto& [k, v] : c->j_.items()) out[k] = JsonReader(v, c->path_ + "[\"" + k + "\"]", origin_).as_string();
  return out;
}

}  // namespace capsa::spec
