// Json: a small JSON document model, parser and writer for RocketMQ's JSON headers and bodies.
// - Numbers keep their source text, so a 64-bit offset survives a round trip exactly.
// - Objects keep member order (fastjson output is compared byte for byte in golden tests).
// - The parser is bounded (max depth, no recursion past it), accepts trailing whitespace and,
//   when asked, fastjson's unquoted integer keys ({0:"addr"}); it never throws.
// Value type; not thread-safe for concurrent mutation.
#pragma once

#include "common/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rmq::common {

class Json {
 public:
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, Json>;

  Json() = default;
  static Json null() { return {}; }
  static Json boolean(bool b);
  static Json number(int64_t v);
  static Json number_double(double v);
  static Json string(std::string s);
  static Json array();
  static Json object();

  struct ParseOptions {
    int max_depth = 64;
    bool allow_unquoted_int_keys = false;  // fastjson's {0:"a"} form
  };
  static Result<Json> parse(std::string_view text);
  static Result<Json> parse(std::string_view text, const ParseOptions& options);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  bool as_bool() const { return bool_; }
  // String payload; for a number, its source text.
  const std::string& text() const { return text_; }
  std::optional<int64_t> as_int() const;    // number or numeric string
  std::optional<double> as_double() const;  // number or numeric string
  // The value as RocketMQ expects a header field: string as-is, number as its text,
  // bool as "true"/"false", null as "". Arrays and objects are written as JSON.
  std::string to_plain_string() const;

  // Arrays.
  const std::vector<Json>& items() const { return items_; }
  std::vector<Json>& items() { return items_; }
  Json& push_back(Json v);
  size_t size() const { return type_ == Type::kObject ? members_.size() : items_.size(); }

  // Objects. find() returns null when absent or not an object.
  const std::vector<Member>& members() const { return members_; }
  std::vector<Member>& members() { return members_; }
  const Json* find(std::string_view key) const;
  Json* find(std::string_view key);
  // Inserts or replaces; keeps first-insertion order.
  Json& set(std::string_view key, Json v);
  // Convenience getters for object members with a fallback.
  std::string get_string(std::string_view key, std::string_view fallback = {}) const;
  int64_t get_int(std::string_view key, int64_t fallback = 0) const;
  bool get_bool(std::string_view key, bool fallback = false) const;

  std::string dump() const;
  void dump_to(std::string& out) const;

  friend bool operator==(const Json& a, const Json& b);

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<Json> items_;
  std::vector<Member> members_;
};

// Appends `s` to `out` as a quoted JSON string with escapes. For hand-written emitters.
void append_json_string(std::string& out, std::string_view s);

}  // namespace rmq::common
