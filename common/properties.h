// Properties: the key/value pairs of a Java .properties file, as RocketMQ's broker.conf and
// namesrv.conf use them. Each entry remembers the line it came from so config errors can say
// "broker.conf:12". Later duplicates replace earlier ones. Value type; parsing is pure and the
// only I/O is load_properties_file(). Values are kept verbatim (no trimming), as Java does.
#pragma once

#include "common/result.h"

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace rmq::common {

struct PropertyEntry {
  std::string value;
  int line = 0;  // 1-based line where the (logical) line starts; 0 if set programmatically
};

class Properties {
 public:
  using Map = std::map<std::string, PropertyEntry, std::less<>>;

  // `source` names where the entries came from (a file path) for error messages.
  explicit Properties(std::string source = "properties") : source_(std::move(source)) {}

  const std::string& source() const { return source_; }
  // Inserts or replaces `key`.
  void set(std::string key, std::string value, int line = 0);
  // Null when absent.
  const PropertyEntry* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // The value of `key`, or `fallback` when absent.
  std::string get(std::string_view key, std::string_view fallback = {}) const;
  // "source:line" of an entry, or just the source when its line is unknown.
  std::string location(const PropertyEntry& entry) const;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const Map& entries() const { return entries_; }

 private:
  std::string source_;
  Map entries_;
};

// Parses .properties text: `key=value`, `key: value`, `key value`; # and ! comment lines; blank
// lines; leading whitespace; a line ending in an odd number of backslashes continues on the next
// line; escapes \t \n \r \f \uXXXX and \<any> (e.g. \= \: \\ \space). A leading UTF-8 BOM is
// skipped and other bytes pass through unchanged. The only error is a malformed \u escape.
[[nodiscard]] Result<Properties> parse_properties(std::string_view text,
                                                  std::string source = "properties");

// Reads and parses `path`; IOError naming the path when it cannot be read.
[[nodiscard]] Result<Properties> load_properties_file(const std::string& path);

// "key=value" with the escapes needed for parse_properties() to read back the same pair.
std::string format_property(std::string_view key, std::string_view value);

}  // namespace rmq::common
