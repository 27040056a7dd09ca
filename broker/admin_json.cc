#include "broker/admin_json.h"

#include "common/json.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>

namespace rmq::broker {
namespace {

using common::Json;
using common::Result;
using common::Status;

constexpr int kMaxDepth = 64;

// ---- writing ----

void append_int(std::string& out, int64_t v) { out += std::to_string(v); }

// Java Double.toString for the usual range: always a decimal point ("0.0", "12.5").
void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";  // fastjson writes NaN and infinities as null
    return;
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  const std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  out += s;
  if (s.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

// fastjson MessageQueue: {"brokerName":"b","queueId":0,"topic":"t"}
void append_mq(std::string& out, const MessageQueue& mq) {
  out += "{\"brokerName\":";
  common::append_json_string(out, mq.broker_name);
  out += ",\"queueId\":";
  append_int(out, mq.queue_id);
  out += ",\"topic\":";
  common::append_json_string(out, mq.topic);
  out += '}';
}

void append_mq_array(std::string& out, const std::set<MessageQueue>& mqs) {
  out += '[';
  bool first = true;
  for (const MessageQueue& mq : mqs) {
    if (!first) out += ',';
    first = false;
    append_mq(out, mq);
  }
  out += ']';
}

template <typename Range>
void append_string_array(std::string& out, const Range& strings) {
  out += '[';
  bool first = true;
  for (const std::string& s : strings) {
    if (!first) out += ',';
    first = false;
    common::append_json_string(out, s);
  }
  out += ']';
}

void append_subscription(std::string& out, const SubscriptionData& sd) {
  out += "{\"classFilterMode\":";
  out += sd.class_filter_mode ? "true" : "false";
  out += ",\"codeSet\":[";
  bool first = true;
  for (int32_t c : sd.codes) {
    if (!first) out += ',';
    first = false;
    append_int(out, c);
  }
  out += "],\"expressionType\":";
  common::append_json_string(out, sd.expression_type);
  out += ",\"subString\":";
  common::append_json_string(out, sd.sub_string);
  out += ",\"subVersion\":";
  append_int(out, sd.sub_version);
  out += ",\"tagsSet\":";
  append_string_array(out, sd.tags);
  out += ",\"topic\":";
  common::append_json_string(out, sd.topic);
  out += '}';
}

// ---- reading ----

Result<Json> parse_json(std::string_view text, std::string_view what) {
  auto parsed = Json::parse(text);
  if (!parsed.ok()) {
    return Status::invalid_argument(std::string(what) +
                                    ": bad JSON: " + std::string(parsed.status().message()));
  }
  return parsed;
}

Result<Json> parse_root_object(common::ByteView body, std::string_view what) {
  RMQ_ASSIGN_OR_RETURN(Json root, parse_json(common::as_string_view(body), what));
  if (!root.is_object()) return Status::invalid_argument(std::string(what) + ": not an object");
  return root;
}

// An integer member (number or numeric string) within [lo, hi]; absent or null keeps *out.
Status read_int(const Json& obj, std::string_view key, const std::string& where, int64_t* out,
                int64_t lo = std::numeric_limits<int64_t>::min(),
                int64_t hi = std::numeric_limits<int64_t>::max()) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  const auto n = v->as_int();
  if (!n || *n < lo || *n > hi) {
    return Status::invalid_argument(where + "." + std::string(key) + ": expected an integer, got " +
                                    v->dump());
  }
  *out = *n;
  return Status::ok();
}

Status read_string(const Json& obj, std::string_view key, const std::string& where,
                   std::string* out) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (!v->is_string()) {
    return Status::invalid_argument(where + "." + std::string(key) + ": expected a string");
  }
  *out = v->text();
  return Status::ok();
}

Status read_bool(const Json& obj, std::string_view key, const std::string& where, bool* out) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (v->is_bool()) {
    *out = v->as_bool();
  } else if (v->is_string() && (v->text() == "true" || v->text() == "false")) {
    *out = v->text() == "true";
  } else {
    return Status::invalid_argument(where + "." + std::string(key) + ": expected a boolean");
  }
  return Status::ok();
}

Result<MessageQueue> mq_from_json(const Json& v, const std::string& where) {
  if (!v.is_object()) return Status::invalid_argument(where + ": expected a MessageQueue object");
  MessageQueue mq;
  RMQ_RETURN_IF_ERROR(read_string(v, "topic", where, &mq.topic));
  RMQ_RETURN_IF_ERROR(read_string(v, "brokerName", where, &mq.broker_name));
  int64_t queue_id = -1;
  RMQ_RETURN_IF_ERROR(
      read_int(v, "queueId", where, &queue_id, 0, std::numeric_limits<int32_t>::max()));
  if (mq.topic.empty() || queue_id < 0) {
    return Status::invalid_argument(where + ": MessageQueue needs topic and queueId");
  }
  mq.queue_id = static_cast<int32_t>(queue_id);
  return mq;
}

// Java MessageQueue.toString(): "MessageQueue [topic=t, brokerName=b, queueId=0]".
Result<MessageQueue> mq_from_string(std::string_view s, const std::string& where) {
  const auto bad = [&] {
    return Status::invalid_argument(where + ": bad MessageQueue key \"" + std::string(s) + "\"");
  };
  constexpr std::string_view kPrefix = "MessageQueue [topic=";
  constexpr std::string_view kBroker = ", brokerName=";
  constexpr std::string_view kQueue = ", queueId=";
  if (!s.starts_with(kPrefix) || !s.ends_with("]")) return bad();
  s = s.substr(kPrefix.size(), s.size() - kPrefix.size() - 1);
  const size_t b = s.find(kBroker);
  const size_t q = s.rfind(kQueue);
  if (b == std::string_view::npos || q == std::string_view::npos || q < b) return bad();
  MessageQueue mq;
  mq.topic = std::string(s.substr(0, b));
  mq.broker_name = std::string(s.substr(b + kBroker.size(), q - b - kBroker.size()));
  const std::string_view id = s.substr(q + kQueue.size());
  const auto r = std::from_chars(id.data(), id.data() + id.size(), mq.queue_id);
  if (r.ec != std::errc() || r.ptr != id.data() + id.size() || mq.queue_id < 0 ||
      mq.topic.empty()) {
    return bad();
  }
  return mq;
}

// A cursor over fastjson text whose object keys may themselves be objects. It only finds the
// extent of each value; the values themselves are parsed by common::Json.
class Scanner {
 public:
  Scanner(std::string_view text, std::string what) : s_(text), what_(std::move(what)) {}

  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\r' || s_[pos_] == '\n')) {
      ++pos_;
    }
  }
  bool eat(char c) {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool at_end() {
    skip_ws();
    return pos_ == s_.size();
  }
  Status error(std::string_view msg) const {
    return Status::invalid_argument(what_ + ": " + std::string(msg) + " at byte " +
                                    std::to_string(pos_));
  }

  // The text of the next value: a string, a balanced object/array, or a bare scalar.
  Result<std::string_view> value_span() {
    skip_ws();
    if (pos_ >= s_.size()) return error("unexpected end");
    const size_t start = pos_;
    const char c = s_[pos_];
    if (c == '"') {
      RMQ_RETURN_IF_ERROR(skip_string());
    } else if (c == '{' || c == '[') {
      int depth = 0;
      while (true) {
        if (pos_ >= s_.size()) return error("unterminated object or array");
        const char d = s_[pos_];
        if (d == '"') {
          RMQ_RETURN_IF_ERROR(skip_string());
          continue;
        }
        ++pos_;
        if (d == '{' || d == '[') {
          if (++depth > kMaxDepth) return error("nesting too deep");
        } else if (d == '}' || d == ']') {
          if (--depth == 0) break;
        }
      }
    } else {
      while (pos_ < s_.size() &&
             std::string_view(",:}] \t\r\n").find(s_[pos_]) == std::string_view::npos) {
        ++pos_;
      }
      if (pos_ == start) return error("expected a value");
    }
    return s_.substr(start, pos_ - start);
  }

  // Calls fn(key_text, value_text) for each member of the object at the cursor.
  Status each_member(const std::function<Status(std::string_view, std::string_view)>& fn) {
    if (!eat('{')) return error("expected '{'");
    if (eat('}')) return Status::ok();
    while (true) {
      RMQ_ASSIGN_OR_RETURN(const std::string_view key, value_span());
      if (!eat(':')) return error("expected ':'");
      RMQ_ASSIGN_OR_RETURN(const std::string_view value, value_span());
      RMQ_RETURN_IF_ERROR(fn(key, value));
      if (eat('}')) return Status::ok();
      if (!eat(',')) return error("expected ',' or '}'");
    }
  }

 private:
  Status skip_string() {
    ++pos_;  // opening quote
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '\\') {
        ++pos_;
      } else if (c == '"') {
        return Status::ok();
      }
    }
    return error("unterminated string");
  }

  std::string_view s_;
  std::string what_;
  size_t pos_ = 0;
};

// A MessageQueue map key: a JSON object (fastjson) or a quoted MessageQueue.toString().
Result<MessageQueue> parse_mq_key(std::string_view key, const std::string& where) {
  RMQ_ASSIGN_OR_RETURN(const Json k, parse_json(key, where));
  if (k.is_string()) return mq_from_string(k.text(), where);
  return mq_from_json(k, where);
}

// Parses `{... "offsetTable": {<MQ>: {...}} ...}`, calling on_value for each entry and
// on_member for every other top-level member.
Status parse_offset_table_body(
    common::ByteView body, const std::string& what,
    const std::function<Status(const MessageQueue&, const Json&)>& on_value,
    const std::function<Status(std::string_view, const Json&)>& on_member) {
  Scanner sc(common::as_string_view(body), what);
  const Status st = sc.each_member([&](std::string_view key, std::string_view value) -> Status {
    RMQ_ASSIGN_OR_RETURN(const Json name, parse_json(key, what));
    if (!name.is_string()) return Status::invalid_argument(what + ": non-string member name");
    if (name.text() != "offsetTable") {
      RMQ_ASSIGN_OR_RETURN(const Json v, parse_json(value, what + "." + name.text()));
      return on_member(name.text(), v);
    }
    Scanner table(value, what + ".offsetTable");
    if (value == "null") return Status::ok();
    return table.each_member([&](std::string_view k, std::string_view v) -> Status {
      RMQ_ASSIGN_OR_RETURN(const MessageQueue mq, parse_mq_key(k, what + ".offsetTable key"));
      RMQ_ASSIGN_OR_RETURN(const Json val, parse_json(v, what + ".offsetTable value"));
      if (!val.is_object()) {
        return Status::invalid_argument(what + ".offsetTable: value is not an object");
      }
      return on_value(mq, val);
    });
  });
  if (!st.is_ok()) return st;
  if (!sc.at_end()) return sc.error("trailing characters");
  return Status::ok();
}

Result<std::set<MessageQueue>> parse_mq_array(const Json& obj, std::string_view key,
                                              const std::string& where) {
  std::set<MessageQueue> out;
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return out;
  const std::string w = where + "." + std::string(key);
  if (!v->is_array()) return Status::invalid_argument(w + ": expected an array");
  for (const Json& item : v->items()) {
    RMQ_ASSIGN_OR_RETURN(MessageQueue mq, mq_from_json(item, w));
    out.insert(std::move(mq));
  }
  return out;
}

Result<LockBatchRequest> parse_lock_body(common::ByteView body, const std::string& what) {
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_root_object(body, what));
  LockBatchRequest req;
  RMQ_RETURN_IF_ERROR(read_string(root, "consumerGroup", what, &req.consumer_group));
  RMQ_RETURN_IF_ERROR(read_string(root, "clientId", what, &req.client_id));
  RMQ_RETURN_IF_ERROR(read_bool(root, "onlyThisBroker", what, &req.only_this_broker));
  if (req.consumer_group.empty()) return Status::invalid_argument(what + ".consumerGroup: missing");
  if (req.client_id.empty()) return Status::invalid_argument(what + ".clientId: missing");
  RMQ_ASSIGN_OR_RETURN(req.mq_set, parse_mq_array(root, "mqSet", what));
  return req;
}

Result<SubscriptionData> subscription_from_json(const Json& v, const std::string& where) {
  if (!v.is_object()) return Status::invalid_argument(where + ": expected an object");
  SubscriptionData sd;
  RMQ_RETURN_IF_ERROR(read_string(v, "topic", where, &sd.topic));
  RMQ_RETURN_IF_ERROR(read_string(v, "subString", where, &sd.sub_string));
  RMQ_RETURN_IF_ERROR(read_string(v, "expressionType", where, &sd.expression_type));
  RMQ_RETURN_IF_ERROR(read_int(v, "subVersion", where, &sd.sub_version));
  RMQ_RETURN_IF_ERROR(read_bool(v, "classFilterMode", where, &sd.class_filter_mode));
  if (const Json* tags = v.find("tagsSet"); tags != nullptr && tags->is_array()) {
    for (const Json& t : tags->items()) {
      if (!t.is_string()) return Status::invalid_argument(where + ".tagsSet: not a string");
      sd.tags.insert(t.text());
    }
  }
  if (const Json* codes = v.find("codeSet"); codes != nullptr && codes->is_array()) {
    for (const Json& c : codes->items()) {
      const auto n = c.as_int();
      if (!n || *n < std::numeric_limits<int32_t>::min() ||
          *n > std::numeric_limits<int32_t>::max()) {
        return Status::invalid_argument(where + ".codeSet: not a 32-bit integer");
      }
      sd.codes.insert(static_cast<int32_t>(*n));
    }
  }
  return sd;
}

template <typename E>
Status read_enum_name(const Json& obj, std::string_view key, const std::string& where,
                      std::optional<E> (*from_name)(std::string_view), E* out) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (v->is_string()) {
    if (auto e = from_name(v->text())) {
      *out = *e;
      return Status::ok();
    }
  }
  return Status::invalid_argument(where + "." + std::string(key) + ": unknown value " + v->dump());
}

}  // namespace

std::string encode_consumer_id_list(const std::vector<std::string>& ids) {
  std::string out = "{\"consumerIdList\":";
  append_string_array(out, ids);
  out += '}';
  return out;
}

Result<std::vector<std::string>> parse_consumer_id_list(common::ByteView body) {
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_root_object(body, "ConsumerIdList"));
  std::vector<std::string> ids;
  const Json* list = root.find("consumerIdList");
  if (list == nullptr || list->is_null()) return ids;
  if (!list->is_array()) return Status::invalid_argument("consumerIdList: expected an array");
  for (const Json& id : list->items()) {
    if (!id.is_string()) return Status::invalid_argument("consumerIdList: not a string");
    ids.push_back(id.text());
  }
  return ids;
}

std::string encode_kv_table(const std::map<std::string, std::string>& table) {
  std::string out = "{\"table\":{";
  bool first = true;
  for (const auto& [k, v] : table) {
    if (!first) out += ',';
    first = false;
    common::append_json_string(out, k);
    out += ':';
    common::append_json_string(out, v);
  }
  out += "}}";
  return out;
}

Result<std::map<std::string, std::string>> parse_kv_table(common::ByteView body) {
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_root_object(body, "KVTable"));
  std::map<std::string, std::string> out;
  const Json* table = root.find("table");
  if (table == nullptr || table->is_null()) return out;
  if (!table->is_object()) return Status::invalid_argument("KVTable.table: expected an object");
  for (const auto& [k, v] : table->members()) out[k] = v.to_plain_string();
  return out;
}

std::string encode_topic_stats(const TopicStatsTable& table) {
  std::string out = "{\"offsetTable\":{";
  bool first = true;
  for (const auto& [mq, off] : table) {
    if (!first) out += ',';
    first = false;
    append_mq(out, mq);
    out += ":{\"lastUpdateTimestamp\":";
    append_int(out, off.last_update_timestamp);
    out += ",\"maxOffset\":";
    append_int(out, off.max_offset);
    out += ",\"minOffset\":";
    append_int(out, off.min_offset);
    out += '}';
  }
  out += "}}";
  return out;
}

Result<TopicStatsTable> parse_topic_stats(common::ByteView body) {
  TopicStatsTable table;
  const std::string what = "TopicStatsTable";
  const Status st = parse_offset_table_body(
      body, what,
      [&](const MessageQueue& mq, const Json& v) -> Status {
        TopicOffset off;
        const std::string w = what + ".offsetTable";
        RMQ_RETURN_IF_ERROR(read_int(v, "minOffset", w, &off.min_offset));
        RMQ_RETURN_IF_ERROR(read_int(v, "maxOffset", w, &off.max_offset));
        RMQ_RETURN_IF_ERROR(read_int(v, "lastUpdateTimestamp", w, &off.last_update_timestamp));
        table[mq] = off;
        return Status::ok();
      },
      [](std::string_view, const Json&) { return Status::ok(); });
  if (!st.is_ok()) return st;
  return table;
}

std::string encode_consume_stats(const ConsumeStats& stats) {
  std::string out = "{\"consumeTps\":";
  append_double(out, stats.consume_tps);
  out += ",\"offsetTable\":{";
  bool first = true;
  for (const auto& [mq, w] : stats.offset_table) {
    if (!first) out += ',';
    first = false;
    append_mq(out, mq);
    out += ":{\"brokerOffset\":";
    append_int(out, w.broker_offset);
    out += ",\"consumerOffset\":";
    append_int(out, w.consumer_offset);
    out += ",\"lastTimestamp\":";
    append_int(out, w.last_timestamp);
    out += ",\"pullOffset\":";
    append_int(out, w.pull_offset);
    out += '}';
  }
  out += "}}";
  return out;
}

Result<ConsumeStats> parse_consume_stats(common::ByteView body) {
  ConsumeStats stats;
  const std::string what = "ConsumeStats";
  const Status st = parse_offset_table_body(
      body, what,
      [&](const MessageQueue& mq, const Json& v) -> Status {
        OffsetWrapper ow;
        const std::string w = what + ".offsetTable";
        RMQ_RETURN_IF_ERROR(read_int(v, "brokerOffset", w, &ow.broker_offset));
        RMQ_RETURN_IF_ERROR(read_int(v, "consumerOffset", w, &ow.consumer_offset));
        RMQ_RETURN_IF_ERROR(read_int(v, "pullOffset", w, &ow.pull_offset));
        RMQ_RETURN_IF_ERROR(read_int(v, "lastTimestamp", w, &ow.last_timestamp));
        stats.offset_table[mq] = ow;
        return Status::ok();
      },
      [&](std::string_view name, const Json& v) -> Status {
        if (name != "consumeTps" || v.is_null()) return Status::ok();
        const auto d = v.as_double();
        if (!d) return Status::invalid_argument(what + ".consumeTps: expected a number");
        stats.consume_tps = *d;
        return Status::ok();
      });
  if (!st.is_ok()) return st;
  return stats;
}

std::string encode_consumer_connection(const ConsumerGroupInfo& info) {
  std::string out = "{\"connectionSet\":[";
  bool first = true;
  for (const ClientConnectionInfo& c : info.connections) {
    if (!first) out += ',';
    first = false;
    out += "{\"clientAddr\":";
    common::append_json_string(out, c.client_addr);
    out += ",\"clientId\":";
    common::append_json_string(out, c.client_id);
    out += ",\"language\":";
    common::append_json_string(out, c.language);
    out += ",\"version\":";
    append_int(out, c.version);
    out += '}';
  }
  out += "],\"consumeFromWhere\":\"";
  out += to_string(info.consume_from_where);
  out += "\",\"consumeType\":\"";
  out += to_string(info.consume_type);
  out += "\",\"messageModel\":\"";
  out += to_string(info.message_model);
  out += "\",\"subscriptionTable\":{";
  first = true;
  for (const auto& [topic, sd] : info.subscriptions) {
    if (!first) out += ',';
    first = false;
    common::append_json_string(out, topic);
    out += ':';
    append_subscription(out, sd);
  }
  out += "}}";
  return out;
}

Result<ConsumerGroupInfo> parse_consumer_connection(common::ByteView body) {
  const std::string what = "ConsumerConnection";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_root_object(body, what));
  ConsumerGroupInfo info;
  RMQ_RETURN_IF_ERROR(
      read_enum_name(root, "consumeType", what, &consume_type_from_name, &info.consume_type));
  RMQ_RETURN_IF_ERROR(
      read_enum_name(root, "messageModel", what, &message_model_from_name, &info.message_model));
  RMQ_RETURN_IF_ERROR(read_enum_name(root, "consumeFromWhere", what, &consume_from_where_from_name,
                                     &info.consume_from_where));
  if (const Json* set = root.find("connectionSet"); set != nullptr && !set->is_null()) {
    if (!set->is_array()) return Status::invalid_argument(what + ".connectionSet: not an array");
    for (const Json& c : set->items()) {
      const std::string w = what + ".connectionSet";
      if (!c.is_object()) return Status::invalid_argument(w + ": expected an object");
      ClientConnectionInfo ci;
      RMQ_RETURN_IF_ERROR(read_string(c, "clientId", w, &ci.client_id));
      RMQ_RETURN_IF_ERROR(read_string(c, "clientAddr", w, &ci.client_addr));
      RMQ_RETURN_IF_ERROR(read_string(c, "language", w, &ci.language));
      int64_t version = 0;
      RMQ_RETURN_IF_ERROR(read_int(c, "version", w, &version, std::numeric_limits<int32_t>::min(),
                                   std::numeric_limits<int32_t>::max()));
      ci.version = static_cast<int32_t>(version);
      info.connections.push_back(std::move(ci));
    }
  }
  if (const Json* table = root.find("subscriptionTable"); table != nullptr && !table->is_null()) {
    if (!table->is_object()) {
      return Status::invalid_argument(what + ".subscriptionTable: not an object");
    }
    for (const auto& [topic, v] : table->members()) {
      RMQ_ASSIGN_OR_RETURN(SubscriptionData sd,
                           subscription_from_json(v, what + ".subscriptionTable." + topic));
      if (sd.topic.empty()) sd.topic = topic;
      info.subscriptions[topic] = std::move(sd);
    }
  }
  return info;
}

std::string encode_lock_batch_request(const LockBatchRequest& req) {
  std::string out = "{\"clientId\":";
  common::append_json_string(out, req.client_id);
  out += ",\"consumerGroup\":";
  common::append_json_string(out, req.consumer_group);
  out += ",\"mqSet\":";
  append_mq_array(out, req.mq_set);
  out += ",\"onlyThisBroker\":";
  out += req.only_this_broker ? "true" : "false";
  out += '}';
  return out;
}

Result<LockBatchRequest> parse_lock_batch_request(common::ByteView body) {
  return parse_lock_body(body, "LockBatchRequestBody");
}

Result<LockBatchRequest> parse_unlock_batch_request(common::ByteView body) {
  return parse_lock_body(body, "UnlockBatchRequestBody");
}

std::string encode_lock_batch_response(const std::set<MessageQueue>& locked) {
  std::string out = "{\"lockOKMQSet\":";
  append_mq_array(out, locked);
  out += '}';
  return out;
}

Result<std::set<MessageQueue>> parse_lock_batch_response(common::ByteView body) {
  const std::string what = "LockBatchResponseBody";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_root_object(body, what));
  return parse_mq_array(root, "lockOKMQSet", what);
}

}  // namespace rmq::broker
