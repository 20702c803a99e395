// Typed access to a JSON object that reports errors by field path, e.g.
// "linux.resources.memory.limit: expected integer, got string".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace capsa::spec {

class JsonReader {
public:
  JsonReader(const nlohmann::json& j, std::string path, std::string origin)
      : j_(j), path_(std::move(path)), origin_(std::move(origin)) {}

  const nlohmann::json& json() const { return j_; }
  const std::string& path() const { return path_; }
  bool has(const char* key) const { return j_.is_object() && j_.contains(key) && !j_.at(key).is_null(); }
  JsonReader child(const char* key) const;            // must be present
  std::optional<JsonReader> maybe(const char* key) const;
  JsonReader at(size_t i) const;                      // element of an array
  size_t size() const { return j_.size(); }

  // Type checks of this node.
  void expect_object() const;
  void expect_array() const;

  std::string str(const char* key) const;  // required
  std::string str_or(const char* key, const std::string& def) const;
  bool boolean_or(const char* key, bool def) const;
  std::optional<int64_t> i64(const char* key, int64_t min = INT64_MIN, int64_t max = INT64_MAX) const;
  std::optional<uint64_t> u64(const char* key, uint64_t max = UINT64_MAX) const;
  std::vector<std::string> strings(const char* key) const;  // optional array of strings
  std::map<std::string, std::string> string_map(const char* key) const;
  std::string as_string() const;

  [[noreturn]] void fail(const std::string& what) const;
  [[noreturn]] void fail_field(const char* key, const std::string& what) const;
  std::string field(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

private:
  const nlohmann::json& j_;
  std::string path_;
  std::string origin_;
};

const char* json_type_name(const nlohmann::json& j);

}  // namespace capsa::spec
