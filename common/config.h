// ConfigSchema: the declared keys of a component's config (RocketMQ camelCase names), each bound
// to a field of the component's plain Config struct. apply() reads a Properties file, then
// command-line overrides, into those fields and reports every problem at once. Several structs
// may bind keys into one schema (broker + store + dledger all read broker.conf). Built and applied
// on one thread at startup; the bound fields must outlive the schema.
#pragma once

#include "common/check.h"
#include "common/properties.h"
#include "common/status.h"

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace rmq::common {

// key=value pairs from the command line, applied after the file, in order.
using ConfigOverrides = std::vector<std::pair<std::string, std::string>>;

namespace detail {

struct ConfigEntry {
  std::string key;
  std::string type;  // "string", "int", "bool", "enum", "duration(ms)", "ignored"
  std::string help;
  bool required = false;
  bool has_range = false;
  int64_t min = 0;
  int64_t max = 0;
  std::vector<std::string> choices;  // enum names, in declaration order
  std::string default_text;          // the field's value when declared, or default_value()
  // Stores the (trimmed) text into the field; returns what is wrong with it ("is not an
  // integer"), empty on success. Leaves the field untouched on error.
  std::function<std::string(const ConfigEntry&, std::string_view)> set;
  std::function<std::string()> get;  // the field's current value as text
};

// Helpers behind the templates below; each returns an error description, empty on success.
std::string parse_int(const ConfigEntry& e, std::string_view text, int64_t type_min,
                      int64_t type_max, int64_t* out);
std::string parse_choice(const ConfigEntry& e, std::string_view text, size_t* index);

}  // namespace detail

// Builder handle returned by ConfigSchema::add_*(); valid while the schema lives.
template <typename T>
class ConfigKey {
 public:
  ConfigKey(detail::ConfigEntry* entry, T* field) : e_(entry), field_(field) {}

  // apply() fails when the key is in neither the file nor the overrides, or is empty.
  ConfigKey& required() {
    e_->required = true;
    return *this;
  }
  // Inclusive bounds, in the key's unit. REQUIRES: an int or duration key.
  ConfigKey& range(int64_t lo, int64_t hi) {
    RMQ_CHECK(e_->type == "int" || e_->type == "duration(ms)");
    RMQ_CHECK(lo <= hi);
    e_->has_range = true;
    e_->min = lo;
    e_->max = hi;
    return *this;
  }
  // Sets the field now. Without it, the field's value at declaration time is the default.
  ConfigKey& default_value(T v) {
    *field_ = std::move(v);
    e_->default_text = e_->get();
    RMQ_CHECK_MSG(e_->choices.empty() || std::find(e_->choices.begin(), e_->choices.end(),
                                                   e_->default_text) != e_->choices.end(),
                  "default_value() is not one of the enum choices");
    return *this;
  }
  ConfigKey& help(std::string text) {
    e_->help = std::move(text);
    return *this;
  }

 private:
  detail::ConfigEntry* e_;
  T* field_;
};

class ConfigSchema {
 public:
  // `component` ("broker", "namesrv") prefixes error messages and describe().
  explicit ConfigSchema(std::string component) : component_(std::move(component)) {}
  ConfigSchema(const ConfigSchema&) = delete;
  ConfigSchema& operator=(const ConfigSchema&) = delete;
  ConfigSchema(ConfigSchema&&) = default;
  ConfigSchema& operator=(ConfigSchema&&) = default;

  // Declaring the same key twice is a programming error (RMQ_CHECK).
  ConfigKey<std::string> add_string(std::string key, std::string* field);
  ConfigKey<bool> add_bool(std::string key, bool* field);  // true/false, any case
  // Plain number of milliseconds, or with a unit: 500ms, 10s, 5m, 1h.
  ConfigKey<std::chrono::milliseconds> add_duration_ms(std::string key,
                                                       std::chrono::milliseconds* field);
  // Choices match case-insensitively; the field gets the declared spelling.
  ConfigKey<std::string> add_enum(std::string key, std::string* field,
                                  std::vector<std::string> choices);
  // A key RocketMQ has but we deliberately do not use: accepted and ignored, not "unknown".
  void add_ignored(std::string key, std::string reason);

  template <typename T>
  requires(std::integral<T> && !std::same_as<T, bool>) ConfigKey<T> add_int(std::string key,
                                                                            T* field) {
    constexpr auto kMax = static_cast<int64_t>(
        std::min<uint64_t>(static_cast<uint64_t>(std::numeric_limits<T>::max()),
                           static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
    constexpr auto kMin = static_cast<int64_t>(std::numeric_limits<T>::min());
    detail::ConfigEntry& e = add_entry(std::move(key), "int");
    e.set = [field](const detail::ConfigEntry& en, std::string_view text) {
      int64_t v = 0;
      std::string err = detail::parse_int(en, text, kMin, kMax, &v);
      if (err.empty()) *field = static_cast<T>(v);
      return err;
    };
    e.get = [field] { return std::to_string(*field); };
    e.default_text = e.get();
    return {&e, field};
  }

  template <typename E>
  requires std::is_enum_v<E> ConfigKey<E> add_enum(std::string key, E* field,
                                                   std::vector<std::pair<std::string, E>> choices) {
    detail::ConfigEntry& e = add_entry(std::move(key), "enum");
    for (const auto& c : choices) e.choices.push_back(c.first);
    e.set = [field, choices](const detail::ConfigEntry& en, std::string_view text) {
      size_t i = 0;
      std::string err = detail::parse_choice(en, text, &i);
      if (err.empty()) *field = choices[i].second;
      return err;
    };
    e.get = [field, choices]() -> std::string {
      for (const auto& c : choices) {
        if (c.second == *field) return c.first;
      }
      return std::to_string(static_cast<std::underlying_type_t<E>>(*field));
    };
    e.default_text = e.get();
    return {&e, field};
  }

  // Applies the file's entries, then `overrides` (later wins), to the bound fields. Validates
  // everything and returns InvalidArgument listing all errors, one per line, each naming the
  // key, the value and its source ("broker.conf:12" or "command line"): unknown keys (with a
  // "did you mean" suggestion), unparsable or out-of-range values, missing required keys.
  // Fields whose value was invalid keep their previous value.
  [[nodiscard]] Status apply(const Properties& file, const ConfigOverrides& overrides = {});

  // Human-readable key list with types, defaults, ranges and help (for --help output).
  std::string describe() const;
  // The effective "key=value" lines in declaration order; parse_properties() reads them back.
  std::string dump() const;
  // Declared keys (not the ignored ones), in declaration order.
  std::vector<std::string> keys() const;
  bool has_key(std::string_view key) const;
  const std::string& component() const { return component_; }

 private:
  detail::ConfigEntry& add_entry(std::string key, std::string type);
  const detail::ConfigEntry* find(std::string_view key) const;

  std::string component_;
  std::vector<std::unique_ptr<detail::ConfigEntry>> entries_;  // stable addresses for ConfigKey
};

}  // namespace rmq::common
