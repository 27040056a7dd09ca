// fastjson's text forms, shared by the body codecs of remoting/protocol/ and by the modules that
// still write or read a body of their own (PROTOCOL.md §3.2-§5). The writers emit what fastjson
// emits; callers write members in alphabetical order, as fastjson does. The readers take what
// Java (fastjson), ali-ons and rocketmq-client-cpp send: integers as numbers or numeric strings,
// null as absent, unknown members ignored; errors are InvalidArgument naming the member
// ("<where>.<key>: ..."). fastjson writes Map<MessageQueue, X> with JSON objects as keys
// ({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{...}}}), which no standard JSON
// parser reads: read_offset_table() does, and also takes Java's MessageQueue.toString() as a
// quoted key. Pure functions; thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/json.h"
#include "common/result.h"
#include "remoting/protocol/message_queue.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::remoting::protocol {

// ---- writing ----

void append_int(std::string& out, int64_t v);
void append_bool(std::string& out, bool v);
// A quoted JSON string (common::append_json_string).
void append_string(std::string& out, std::string_view s);
// Java's Double.toString for the usual range: always with a decimal point ("0.0", "12.5"); NaN
// and infinities as null, as fastjson writes them.
void append_java_double(std::string& out, double v);
// {"brokerName":"b","queueId":0,"topic":"t"}
void append_message_queue(std::string& out, const MessageQueue& mq);

// Writes one JSON object member by member, in call order (fastjson's alphabetical order is the
// caller's): ObjectWriter(out).str("brokerName", b).num("queueId", 0).end() appends
// {"brokerName":"b","queueId":0}. Member names are written as given.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ObjectWriter& str(std::string_view key, std::string_view value);
  ObjectWriter& num(std::string_view key, int64_t value);
  ObjectWriter& boolean(std::string_view key, bool value);
  // A member whose value append(out) writes.
  template <typename Append>
  ObjectWriter& raw(std::string_view key, Append append) {
    member(key);
    append(out_);
    return *this;
  }
  // [e0,e1,...] with append_one(out, e) for each element (append_array).
  template <typename Range, typename AppendOne>
  ObjectWriter& array(std::string_view key, const Range& items, AppendOne append_one);
  // ["a","b"]
  template <typename Range>
  ObjectWriter& strings(std::string_view key, const Range& items);
  // {"k0":v0,...} with append_value(out, v) for each value (append_string_map).
  template <typename Map, typename AppendValue>
  ObjectWriter& string_map(std::string_view key, const Map& map, AppendValue append_value);
  // {<MQ>:v0,...} (append_message_queue_map).
  template <typename Map, typename AppendValue>
  ObjectWriter& message_queue_map(std::string_view key, const Map& map, AppendValue append_value);
  void end() { out_ += '}'; }

 private:
  void member(std::string_view key);

  std::string& out_;
  bool first_ = true;
};

// [e0,e1,...]: append_one(out, e) for each element, in the range's order.
template <typename Range, typename AppendOne>
void append_array(std::string& out, const Range& items, AppendOne append_one) {
  out += '[';
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    append_one(out, item);
  }
  out += ']';
}

// {k0:v0,...}: append_key(out, k) and append_value(out, v) for each entry, in the map's order.
template <typename Map, typename AppendKey, typename AppendValue>
void append_map(std::string& out, const Map& map, AppendKey append_key, AppendValue append_value) {
  out += '{';
  bool first = true;
  for (const auto& [key, value] : map) {
    if (!first) out += ',';
    first = false;
    append_key(out, key);
    out += ':';
    append_value(out, value);
  }
  out += '}';
}

// ["a","b"]
template <typename Range>
void append_string_array(std::string& out, const Range& strings) {
  append_array(out, strings, &append_string);
}

template <typename Range, typename AppendOne>
ObjectWriter& ObjectWriter::array(std::string_view key, const Range& items, AppendOne append_one) {
  member(key);
  append_array(out_, items, append_one);
  return *this;
}

template <typename Range>
ObjectWriter& ObjectWriter::strings(std::string_view key, const Range& items) {
  member(key);
  append_string_array(out_, items);
  return *this;
}

// {"k0":v0,...} for a map with string keys.
template <typename Map, typename AppendValue>
void append_string_map(std::string& out, const Map& map, AppendValue append_value) {
  append_map(out, map, &append_string, append_value);
}

// fastjson's Map<MessageQueue, X>: {{"brokerName":..,"queueId":..,"topic":..}:v0,...}.
template <typename Map, typename AppendValue>
void append_message_queue_map(std::string& out, const Map& map, AppendValue append_value) {
  append_map(out, map, &append_message_queue, append_value);
}

template <typename Map, typename AppendValue>
ObjectWriter& ObjectWriter::string_map(std::string_view key, const Map& map,
                                       AppendValue append_value) {
  member(key);
  append_string_map(out_, map, append_value);
  return *this;
}

template <typename Map, typename AppendValue>
ObjectWriter& ObjectWriter::message_queue_map(std::string_view key, const Map& map,
                                              AppendValue append_value) {
  member(key);
  append_message_queue_map(out_, map, append_value);
  return *this;
}

// ---- reading ----

// The decoders' error: InvalidArgument "<where>: <why>".
[[nodiscard]] common::Status invalid_body(const std::string& where, std::string_view why);

// Parses JSON text; fastjson's unquoted integer keys ({0:"addr"}) are accepted and nesting is
// capped. "<where>: bad JSON: ..." otherwise.
[[nodiscard]] common::Result<common::Json> parse_json(std::string_view text,
                                                      std::string_view where);
// A whole body that must be one JSON object ("<where>: not a JSON object" otherwise).
[[nodiscard]] common::Result<common::Json> parse_json_object(common::ByteView body,
                                                             std::string_view where);

// Optional members of `obj`: an absent or null member leaves *out unchanged.
// An integer (a JSON number or a numeric string) within [lo, hi].
[[nodiscard]] common::Status read_int64(const common::Json& obj, std::string_view key,
                                        const std::string& where, int64_t* out,
                                        int64_t lo = std::numeric_limits<int64_t>::min(),
                                        int64_t hi = std::numeric_limits<int64_t>::max());
template <typename Int>
[[nodiscard]] common::Status read_int(const common::Json& obj, std::string_view key,
                                      const std::string& where, Int* out,
                                      int64_t lo = std::numeric_limits<Int>::min(),
                                      int64_t hi = std::numeric_limits<Int>::max()) {
  int64_t v = static_cast<int64_t>(*out);
  RMQ_RETURN_IF_ERROR(read_int64(obj, key, where, &v, lo, hi));
  *out = static_cast<Int>(v);
  return common::Status::ok();
}
// A JSON string.
[[nodiscard]] common::Status read_string(const common::Json& obj, std::string_view key,
                                         const std::string& where, std::string* out);
// A string, or a number's or boolean's text (enum ordinals some clients send).
[[nodiscard]] common::Status read_text(const common::Json& obj, std::string_view key,
                                       const std::string& where, std::string* out);
// true/false or "true"/"false".
[[nodiscard]] common::Status read_bool(const common::Json& obj, std::string_view key,
                                       const std::string& where, bool* out);
// An array member's elements; an absent or null member is empty.
[[nodiscard]] common::Result<const std::vector<common::Json>*> read_array(const common::Json& obj,
                                                                          std::string_view key,
                                                                          const std::string& where);
// The strings of a JSON array value, each inserted at the end of *out (a vector or a set); null
// is empty.
template <typename Container>
[[nodiscard]] common::Status strings_from_json(const common::Json& v, const std::string& where,
                                               Container* out) {
  if (v.is_null()) return common::Status::ok();
  if (!v.is_array()) return common::Status::invalid_argument(where + ": expected an array");
  for (const common::Json& item : v.items()) {
    if (!item.is_string()) {
      return common::Status::invalid_argument(where + ": expected strings, got " + item.dump());
    }
    out->insert(out->end(), item.text());
  }
  return common::Status::ok();
}
// An array member of strings (strings_from_json); absent is empty.
template <typename Container>
[[nodiscard]] common::Status read_string_array(const common::Json& obj, std::string_view key,
                                               const std::string& where, Container* out) {
  const common::Json* v = obj.find(key);
  if (v == nullptr) return common::Status::ok();
  return strings_from_json(*v, where + "." + std::string(key), out);
}

// {"brokerName","queueId","topic"}: a topic and a queueId in [0, 2^31) are required.
[[nodiscard]] common::Result<MessageQueue> message_queue_from_json(const common::Json& v,
                                                                   const std::string& where);
// An array member of MessageQueue objects (mqSet, lockOKMQSet); absent or null is empty.
[[nodiscard]] common::Result<std::set<MessageQueue>> read_message_queue_set(
    const common::Json& obj, std::string_view key, const std::string& where);

// Reads a body of the form {..., "offsetTable": {<MQ>: value, ...}, ...}, whose map keys are
// MessageQueue objects or quoted MessageQueue.toString() text: on_entry for each table entry and
// on_other (when given) for every other top-level member, both with the value parsed. A null
// table has no entries. The first error returned by a callback ends the walk.
[[nodiscard]] common::Status read_offset_table(
    common::ByteView body, const std::string& what,
    const std::function<common::Status(const MessageQueue&, const common::Json&)>& on_entry,
    const std::function<common::Status(const std::string&, const common::Json&)>& on_other = {});

}  // namespace rmq::remoting::protocol
