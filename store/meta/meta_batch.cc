// MetaBatch builders and the op key/value codecs declared in store/meta/meta_codec.h.
#include "common/json.h"
#include "store/meta/meta_codec.h"
#include "store/meta/meta_store.h"

#include <charconv>
#include <limits>
#include <string>
#include <utility>

namespace rmq::store {

namespace {

using common::Json;
using common::Result;
using common::Status;

// Reads an optional integer member into `out`; absent or null keeps the default.
Status read_int(const Json& obj, std::string_view what, std::string_view field, int64_t lo,
                int64_t hi, int64_t& out) {
  const Json* v = obj.find(field);
  if (v == nullptr || v->is_null()) return Status::ok();
  const std::optional<int64_t> n = v->as_int();
  if (!n || *n < lo || *n > hi) {
    return Status::corruption(std::string(what) + ": bad " + std::string(field) + " '" +
                              v->to_plain_string() + "'");
  }
  out = *n;
  return Status::ok();
}

Status read_i32(const Json& obj, std::string_view what, std::string_view field, int32_t& out) {
  int64_t n = out;
  RMQ_RETURN_IF_ERROR(read_int(obj, what, field, std::numeric_limits<int32_t>::min(),
                               std::numeric_limits<int32_t>::max(), n));
  out = static_cast<int32_t>(n);
  return Status::ok();
}

Status read_i64(const Json& obj, std::string_view what, std::string_view field, int64_t& out) {
  return read_int(obj, what, field, std::numeric_limits<int64_t>::min(),
                  std::numeric_limits<int64_t>::max(), out);
}

// Booleans are JSON true/false; fastjson also writes and reads the strings "true"/"false".
Status read_bool(const Json& obj, std::string_view what, std::string_view field, bool& out) {
  const Json* v = obj.find(field);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (v->is_bool()) {
    out = v->as_bool();
  } else if (v->is_string() && (v->text() == "true" || v->text() == "false")) {
    out = v->text() == "true";
  } else {
    return Status::corruption(std::string(what) + ": bad " + std::string(field) + " '" +
                              v->to_plain_string() + "'");
  }
  return Status::ok();
}

// Required, non-empty string member (the config's name).
Status read_name(const Json& obj, std::string_view what, std::string_view field, std::string& out) {
  const Json* v = obj.find(field);
  if (v == nullptr || !v->is_string() || v->text().empty()) {
    return Status::corruption(std::string(what) + ": missing or empty " + std::string(field));
  }
  out = v->text();
  return Status::ok();
}

Result<Json> parse_object(std::string_view what, std::string_view json) {
  Result<Json> doc = Json::parse(json);
  if (!doc.ok()) {
    return Status::corruption(std::string(what) + ": " + std::string(doc.status().message()));
  }
  if (!doc->is_object()) return Status::corruption(std::string(what) + ": not a JSON object");
  return doc;
}

constexpr std::string_view kTopic = "topic config";
constexpr std::string_view kGroup = "subscription group config";

}  // namespace

// ---- MetaBatch ----

void MetaBatch::put_topic(const TopicConfig& t) {
  ops_.push_back({Op::Kind::kPutTopic, t.topic_name, encode_topic_config(t)});
}

void MetaBatch::delete_topic(const std::string& topic) {
  ops_.push_back({Op::Kind::kDelTopic, topic, {}});
}

void MetaBatch::put_group(const SubscriptionGroupConfig& g) {
  ops_.push_back({Op::Kind::kPutGroup, g.group_name, encode_subscription_group_config(g)});
}

void MetaBatch::delete_group(const std::string& group) {
  ops_.push_back({Op::Kind::kDelGroup, group, {}});
}

void MetaBatch::put_offset(const OffsetKey& key, int64_t offset) {
  ops_.push_back({Op::Kind::kPutOffset, encode_offset_key(key), encode_offset_value(offset)});
}

void MetaBatch::delete_offsets_of_group(const std::string& group) {
  ops_.push_back({Op::Kind::kDelGroupOffsets, group, {}});
}

void MetaBatch::put_kv(const std::string& key, const std::string& value) {
  ops_.push_back({Op::Kind::kPutKv, key, value});
}

void MetaBatch::delete_kv(const std::string& key) { ops_.push_back({Op::Kind::kDelKv, key, {}}); }

// ---- TopicConfig ----

std::string encode_topic_config(const TopicConfig& t) {
  Json o = Json::object();
  o.set("topicName", Json::string(t.topic_name));
  o.set("readQueueNums", Json::number(t.read_queue_nums));
  o.set("writeQueueNums", Json::number(t.write_queue_nums));
  o.set("perm", Json::number(t.perm));
  o.set("topicFilterType", Json::string(t.topic_filter_type));
  o.set("topicSysFlag", Json::number(t.topic_sys_flag));
  o.set("order", Json::boolean(t.order));
  return o.dump();
}

Result<TopicConfig> decode_topic_config(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(const Json o, parse_object(kTopic, json));
  TopicConfig t;
  RMQ_RETURN_IF_ERROR(read_name(o, kTopic, "topicName", t.topic_name));
  RMQ_RETURN_IF_ERROR(read_i32(o, kTopic, "readQueueNums", t.read_queue_nums));
  RMQ_RETURN_IF_ERROR(read_i32(o, kTopic, "writeQueueNums", t.write_queue_nums));
  RMQ_RETURN_IF_ERROR(read_i32(o, kTopic, "perm", t.perm));
  if (const Json* v = o.find("topicFilterType"); v != nullptr && !v->is_null()) {
    if (!v->is_string()) return Status::corruption("topic config: bad topicFilterType");
    t.topic_filter_type = v->text();
  }
  RMQ_RETURN_IF_ERROR(read_i32(o, kTopic, "topicSysFlag", t.topic_sys_flag));
  RMQ_RETURN_IF_ERROR(read_bool(o, kTopic, "order", t.order));
  return t;
}

// ---- SubscriptionGroupConfig ----

std::string encode_subscription_group_config(const SubscriptionGroupConfig& g) {
  Json o = Json::object();
  o.set("groupName", Json::string(g.group_name));
  o.set("consumeEnable", Json::boolean(g.consume_enable));
  o.set("consumeFromMinEnable", Json::boolean(g.consume_from_min_enable));
  o.set("consumeBroadcastEnable", Json::boolean(g.consume_broadcast_enable));
  o.set("retryQueueNums", Json::number(g.retry_queue_nums));
  o.set("retryMaxTimes", Json::number(g.retry_max_times));
  o.set("brokerId", Json::number(g.broker_id));
  o.set("whichBrokerWhenConsumeSlowly", Json::number(g.which_broker_when_consume_slowly));
  o.set("notifyConsumerIdsChangedEnable", Json::boolean(g.notify_consumer_ids_changed_enable));
  return o.dump();
}

Result<SubscriptionGroupConfig> decode_subscription_group_config(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(const Json o, parse_object(kGroup, json));
  SubscriptionGroupConfig g;
  RMQ_RETURN_IF_ERROR(read_name(o, kGroup, "groupName", g.group_name));
  RMQ_RETURN_IF_ERROR(read_bool(o, kGroup, "consumeEnable", g.consume_enable));
  RMQ_RETURN_IF_ERROR(read_bool(o, kGroup, "consumeFromMinEnable", g.consume_from_min_enable));
  RMQ_RETURN_IF_ERROR(read_bool(o, kGroup, "consumeBroadcastEnable", g.consume_broadcast_enable));
  RMQ_RETURN_IF_ERROR(read_i32(o, kGroup, "retryQueueNums", g.retry_queue_nums));
  RMQ_RETURN_IF_ERROR(read_i32(o, kGroup, "retryMaxTimes", g.retry_max_times));
  RMQ_RETURN_IF_ERROR(read_i64(o, kGroup, "brokerId", g.broker_id));
  RMQ_RETURN_IF_ERROR(
      read_i64(o, kGroup, "whichBrokerWhenConsumeSlowly", g.which_broker_when_consume_slowly));
  RMQ_RETURN_IF_ERROR(
      read_bool(o, kGroup, "notifyConsumerIdsChangedEnable", g.notify_consumer_ids_changed_enable));
  return g;
}

// ---- Offsets ----

std::string encode_offset_key(const OffsetKey& key) {
  std::string out;
  out.reserve(key.group.size() + key.topic.size() + 6);
  out.append(key.group).push_back('\0');
  out.append(key.topic).push_back('\0');
  const auto q = static_cast<uint32_t>(key.queue_id);
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((q >> shift) & 0xff));
  return out;
}

Result<OffsetKey> decode_offset_key(std::string_view bytes) {
  // The queue id is the last 4 bytes (they may contain 0x00); before it, exactly two 0x00s.
  if (bytes.size() < 6) return Status::corruption("offset key: too short");
  const std::string_view names = bytes.substr(0, bytes.size() - 4);
  const size_t sep = names.find('\0');
  if (sep == std::string_view::npos || sep + 1 >= names.size() || names.back() != '\0' ||
      names.find('\0', sep + 1) != names.size() - 1) {
    return Status::corruption("offset key: malformed group/topic separators");
  }
  OffsetKey key;
  key.group = std::string(names.substr(0, sep));
  key.topic = std::string(names.substr(sep + 1, names.size() - sep - 2));
  uint32_t q = 0;
  for (const char c : bytes.substr(bytes.size() - 4)) q = (q << 8) | static_cast<uint8_t>(c);
  key.queue_id = static_cast<int32_t>(q);
  return key;
}

std::string encode_offset_value(int64_t offset) { return std::to_string(offset); }

Result<int64_t> decode_offset_value(std::string_view text) {
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return Status::corruption("offset value: not a decimal number '" + std::string(text) + "'");
  }
  return v;
}

}  // namespace rmq::store
