#include "client/admin_json.h"

#include "common/json.h"
#include "common/properties.h"

#include <charconv>
#include <functional>
#include <limits>
#include <string_view>
#include <utility>

namespace rmq::client {
namespace {

using common::Json;
using common::Result;
using common::Status;

constexpr int kMaxNesting = 64;
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();

Status bad(const std::string& where, std::string_view why) {
  return Status::invalid_argument(where + ": " + std::string(why));
}

Result<Json> parse_text(std::string_view text, const std::string& where) {
  Json::ParseOptions options;
  options.allow_unquoted_int_keys = true;
  auto parsed = Json::parse(text, options);
  if (!parsed.ok()) return bad(where, "bad JSON: " + std::string(parsed.status().message()));
  return parsed;
}

Result<Json> parse_object(common::ByteView body, const std::string& where) {
  RMQ_ASSIGN_OR_RETURN(Json root, parse_text(common::as_string_view(body), where));
  if (!root.is_object()) return bad(where, "not a JSON object");
  return root;
}

// Integer member within [lo, hi] (JSON number or numeric string); absent or null leaves *out.
template <typename Int>
Status get_int(const Json& obj, std::string_view key, const std::string& where, Int* out,
               int64_t lo = kI64Min, int64_t hi = kI64Max) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  const std::optional<int64_t> n = v->as_int();
  if (!n || *n < lo || *n > hi) {
    return bad(where + "." + std::string(key), "expected an integer, got " + v->dump());
  }
  *out = static_cast<Int>(*n);
  return Status::ok();
}

Status get_string(const Json& obj, std::string_view key, const std::string& where,
                  std::string* out) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (v->is_array() || v->is_object()) {
    return bad(where + "." + std::string(key), "expected a string");
  }
  *out = v->to_plain_string();  // enum ordinals arrive as numbers
  return Status::ok();
}

Status get_bool(const Json& obj, std::string_view key, const std::string& where, bool* out) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (v->is_bool()) {
    *out = v->as_bool();
    return Status::ok();
  }
  if (v->is_string() && (v->text() == "true" || v->text() == "false")) {
    *out = v->text() == "true";
    return Status::ok();
  }
  return bad(where + "." + std::string(key), "expected a boolean");
}

// ---- the object-key reader ----

// Walks fastjson text in which object keys may be JSON objects. It only delimits values; each
// delimited piece is then parsed by common::Json.
class SpanReader {
 public:
  SpanReader(std::string_view text, std::string where) : text_(text), where_(std::move(where)) {}

  // Calls fn(key_text, value_text) for each member of the object starting at the cursor.
  Status for_each_member(const std::function<Status(std::string_view, std::string_view)>& fn) {
    if (!consume('{')) return fail("expected '{'");
    if (consume('}')) return Status::ok();
    for (;;) {
      RMQ_ASSIGN_OR_RETURN(const std::string_view key, next_value());
      if (!consume(':')) return fail("expected ':'");
      RMQ_ASSIGN_OR_RETURN(const std::string_view value, next_value());
      RMQ_RETURN_IF_ERROR(fn(key, value));
      if (consume('}')) return Status::ok();
      if (!consume(',')) return fail("expected ',' or '}'");
    }
  }

  Status expect_end() {
    skip_space();
    return pos_ == text_.size() ? Status::ok() : fail("trailing characters");
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }

  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  Status fail(std::string_view why) const {
    return bad(where_, std::string(why) + " at offset " + std::to_string(pos_));
  }

  Status skip_quoted() {
    for (++pos_; pos_ < text_.size(); ++pos_) {
      if (text_[pos_] == '\\') {
        ++pos_;
      } else if (text_[pos_] == '"') {
        ++pos_;
        return Status::ok();
      }
    }
    return fail("unterminated string");
  }

  // The text of one value: a quoted string, a balanced {...}/[...], or a bare token.
  Result<std::string_view> next_value() {
    skip_space();
    if (pos_ >= text_.size()) return fail("unexpected end of input");
    const size_t begin = pos_;
    const char first = text_[pos_];
    if (first == '"') {
      RMQ_RETURN_IF_ERROR(skip_quoted());
    } else if (first == '{' || first == '[') {
      int nesting = 0;
      do {
        if (pos_ >= text_.size()) return fail("unbalanced brackets");
        const char c = text_[pos_];
        if (c == '"') {
          RMQ_RETURN_IF_ERROR(skip_quoted());
          continue;
        }
        if (c == '{' || c == '[') {
          if (++nesting > kMaxNesting) return fail("nested too deeply");
        } else if (c == '}' || c == ']') {
          --nesting;
        }
        ++pos_;
      } while (nesting > 0);
    } else {
      constexpr std::string_view kStop = ",:{}[] \t\r\n\"";
      while (pos_ < text_.size() && kStop.find(text_[pos_]) == std::string_view::npos) ++pos_;
      if (pos_ == begin) return fail("expected a value");
    }
    return text_.substr(begin, pos_ - begin);
  }

  std::string_view text_;
  std::string where_;
  size_t pos_ = 0;
};

// "MessageQueue [topic=t, brokerName=b, queueId=0]" (Java toString, used as a map key by
// writers that do not emit object keys).
Result<MessageQueue> mq_from_java_string(std::string_view s, const std::string& where) {
  constexpr std::string_view kHead = "MessageQueue [topic=";
  constexpr std::string_view kBroker = ", brokerName=";
  constexpr std::string_view kQueue = ", queueId=";
  const Status error = bad(where, "not a MessageQueue key: \"" + std::string(s) + "\"");
  if (!s.starts_with(kHead) || !s.ends_with(']')) return error;
  const std::string_view inner = s.substr(kHead.size(), s.size() - kHead.size() - 1);
  const size_t b = inner.find(kBroker);
  const size_t q = inner.rfind(kQueue);
  if (b == std::string_view::npos || q == std::string_view::npos || q < b) return error;
  MessageQueue mq;
  mq.topic = std::string(inner.substr(0, b));
  mq.broker_name = std::string(inner.substr(b + kBroker.size(), q - b - kBroker.size()));
  const std::string_view id = inner.substr(q + kQueue.size());
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), mq.queue_id);
  if (ec != std::errc() || end != id.data() + id.size() || mq.queue_id < 0 || mq.topic.empty()) {
    return error;
  }
  return mq;
}

Result<MessageQueue> mq_from_key(std::string_view key_text, const std::string& where) {
  RMQ_ASSIGN_OR_RETURN(const Json key, parse_text(key_text, where));
  if (key.is_string()) return mq_from_java_string(key.text(), where);
  if (!key.is_object()) return bad(where, "expected a MessageQueue object key");
  MessageQueue mq;
  int32_t queue_id = -1;
  RMQ_RETURN_IF_ERROR(get_string(key, "topic", where, &mq.topic));
  RMQ_RETURN_IF_ERROR(get_string(key, "brokerName", where, &mq.broker_name));
  RMQ_RETURN_IF_ERROR(get_int(key, "queueId", where, &queue_id, 0, kI32Max));
  if (mq.topic.empty() || queue_id < 0) return bad(where, "MessageQueue without topic or queueId");
  mq.queue_id = queue_id;
  return mq;
}

// Reads `{..., "offsetTable": {<MQ>: value, ...}, ...}`: on_entry per table entry, on_other for
// every other top-level member (already parsed).
Status read_offset_table(common::ByteView body, const std::string& what,
                         const std::function<Status(const MessageQueue&, const Json&)>& on_entry,
                         const std::function<Status(const std::string&, const Json&)>& on_other) {
  SpanReader top(common::as_string_view(body), what);
  const Status st = top.for_each_member([&](std::string_view k, std::string_view v) -> Status {
    RMQ_ASSIGN_OR_RETURN(const Json name, parse_text(k, what));
    if (!name.is_string()) return bad(what, "member name is not a string");
    if (name.text() != "offsetTable") {
      RMQ_ASSIGN_OR_RETURN(const Json value, parse_text(v, what + "." + name.text()));
      return on_other(name.text(), value);
    }
    if (v == "null") return Status::ok();
    const std::string where = what + ".offsetTable";
    SpanReader table(v, where);
    return table.for_each_member([&](std::string_view mk, std::string_view mv) -> Status {
      RMQ_ASSIGN_OR_RETURN(const MessageQueue mq, mq_from_key(mk, where + " key"));
      RMQ_ASSIGN_OR_RETURN(const Json value, parse_text(mv, where + "[" + to_string(mq) + "]"));
      return on_entry(mq, value);
    });
  });
  return st.is_ok() ? top.expect_end() : st;
}

Result<BrokerData> broker_data_from(const Json& v, const std::string& where) {
  if (!v.is_object()) return bad(where, "expected a BrokerData object");
  BrokerData bd;
  RMQ_RETURN_IF_ERROR(get_string(v, "cluster", where, &bd.cluster));
  RMQ_RETURN_IF_ERROR(get_string(v, "brokerName", where, &bd.broker_name));
  const Json* addrs = v.find("brokerAddrs");
  if (addrs == nullptr || addrs->is_null()) return bd;
  if (!addrs->is_object()) return bad(where + ".brokerAddrs", "expected an object");
  for (const auto& [id_text, addr] : addrs->members()) {
    const std::optional<int64_t> id = Json::string(id_text).as_int();
    if (!id || *id < 0) return bad(where + ".brokerAddrs", "bad brokerId '" + id_text + "'");
    if (!addr.is_string()) return bad(where + ".brokerAddrs", "address is not a string");
    bd.broker_addrs[*id] = addr.text();
  }
  return bd;
}

Result<QueueData> queue_data_from(const Json& v, const std::string& where) {
  if (!v.is_object()) return bad(where, "expected a QueueData object");
  QueueData qd;
  RMQ_RETURN_IF_ERROR(get_string(v, "brokerName", where, &qd.broker_name));
  RMQ_RETURN_IF_ERROR(get_int(v, "readQueueNums", where, &qd.read_queue_nums, 0, kI32Max));
  RMQ_RETURN_IF_ERROR(get_int(v, "writeQueueNums", where, &qd.write_queue_nums, 0, kI32Max));
  RMQ_RETURN_IF_ERROR(get_int(v, "perm", where, &qd.perm, 0, kI32Max));
  RMQ_RETURN_IF_ERROR(get_int(v, "topicSysFlag", where, &qd.topic_sys_flag, 0, kI32Max));
  return qd;
}

Result<SubscriptionData> subscription_from(const Json& v, const std::string& where) {
  if (!v.is_object()) return bad(where, "expected a SubscriptionData object");
  SubscriptionData sd;
  RMQ_RETURN_IF_ERROR(get_string(v, "topic", where, &sd.topic));
  RMQ_RETURN_IF_ERROR(get_string(v, "subString", where, &sd.sub_string));
  RMQ_RETURN_IF_ERROR(get_int(v, "subVersion", where, &sd.sub_version));
  RMQ_RETURN_IF_ERROR(get_string(v, "expressionType", where, &sd.expression_type));
  RMQ_RETURN_IF_ERROR(get_bool(v, "classFilterMode", where, &sd.class_filter_mode));
  if (const Json* tags = v.find("tagsSet"); tags != nullptr && !tags->is_null()) {
    if (!tags->is_array()) return bad(where + ".tagsSet", "expected an array");
    for (const Json& t : tags->items()) {
      if (!t.is_string()) return bad(where + ".tagsSet", "expected strings");
      sd.tags.push_back(t.text());
    }
  }
  if (const Json* codes = v.find("codeSet"); codes != nullptr && !codes->is_null()) {
    if (!codes->is_array()) return bad(where + ".codeSet", "expected an array");
    for (const Json& c : codes->items()) {
      const std::optional<int64_t> n = c.as_int();
      if (!n || *n < std::numeric_limits<int32_t>::min() || *n > kI32Max) {
        return bad(where + ".codeSet", "expected 32-bit integers");
      }
      sd.codes.push_back(static_cast<int32_t>(*n));
    }
  }
  return sd;
}

}  // namespace

std::string to_string(const MessageQueue& mq) {
  return mq.topic + "@" + mq.broker_name + "#" + std::to_string(mq.queue_id);
}

std::vector<std::string> TopicRouteData::master_addrs() const {
  std::map<std::string, std::string> by_name;
  for (const BrokerData& bd : broker_datas) {
    const auto it = bd.broker_addrs.find(0);
    if (it != bd.broker_addrs.end()) by_name[bd.broker_name] = it->second;
  }
  std::vector<std::string> out;
  for (auto& [name, addr] : by_name) out.push_back(std::move(addr));
  return out;
}

int64_t ConsumeStats::diff_total() const {
  int64_t total = 0;
  for (const auto& [mq, w] : offset_table) total += w.broker_offset - w.consumer_offset;
  return total;
}

Result<TopicRouteData> parse_topic_route_data(common::ByteView body) {
  const std::string what = "TopicRouteData";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_object(body, what));
  TopicRouteData route;
  if (const Json* list = root.find("brokerDatas"); list != nullptr && !list->is_null()) {
    if (!list->is_array()) return bad(what + ".brokerDatas", "expected an array");
    for (const Json& item : list->items()) {
      RMQ_ASSIGN_OR_RETURN(BrokerData bd, broker_data_from(item, what + ".brokerDatas"));
      route.broker_datas.push_back(std::move(bd));
    }
  }
  if (const Json* list = root.find("queueDatas"); list != nullptr && !list->is_null()) {
    if (!list->is_array()) return bad(what + ".queueDatas", "expected an array");
    for (const Json& item : list->items()) {
      RMQ_ASSIGN_OR_RETURN(QueueData qd, queue_data_from(item, what + ".queueDatas"));
      route.queue_datas.push_back(std::move(qd));
    }
  }
  if (const Json* conf = root.find("orderTopicConf"); conf != nullptr && !conf->is_null()) {
    if (!conf->is_string()) return bad(what + ".orderTopicConf", "expected a string");
    route.order_topic_conf = conf->text();
  }
  return route;
}

Result<ClusterInfo> parse_cluster_info(common::ByteView body) {
  const std::string what = "ClusterInfo";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_object(body, what));
  ClusterInfo info;
  if (const Json* t = root.find("brokerAddrTable"); t != nullptr && !t->is_null()) {
    if (!t->is_object()) return bad(what + ".brokerAddrTable", "expected an object");
    for (const auto& [name, v] : t->members()) {
      RMQ_ASSIGN_OR_RETURN(BrokerData bd, broker_data_from(v, what + ".brokerAddrTable." + name));
      if (bd.broker_name.empty()) bd.broker_name = name;
      info.broker_addr_table[name] = std::move(bd);
    }
  }
  if (const Json* t = root.find("clusterAddrTable"); t != nullptr && !t->is_null()) {
    if (!t->is_object()) return bad(what + ".clusterAddrTable", "expected an object");
    for (const auto& [cluster, names] : t->members()) {
      const std::string where = what + ".clusterAddrTable." + cluster;
      if (!names.is_array()) return bad(where, "expected an array");
      std::set<std::string>& out = info.cluster_addr_table[cluster];
      for (const Json& n : names.items()) {
        if (!n.is_string()) return bad(where, "expected broker names");
        out.insert(n.text());
      }
    }
  }
  return info;
}

Result<std::vector<std::string>> parse_topic_list(common::ByteView body) {
  const std::string what = "TopicList";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_object(body, what));
  std::vector<std::string> topics;
  const Json* list = root.find("topicList");
  if (list == nullptr || list->is_null()) return topics;
  if (!list->is_array()) return bad(what + ".topicList", "expected an array");
  for (const Json& t : list->items()) {
    if (!t.is_string()) return bad(what + ".topicList", "expected topic names");
    topics.push_back(t.text());
  }
  return topics;
}

Result<std::map<std::string, std::string>> parse_kv_table(common::ByteView body) {
  const std::string what = "KVTable";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_object(body, what));
  std::map<std::string, std::string> out;
  const Json* table = root.find("table");
  if (table == nullptr || table->is_null()) return out;
  if (!table->is_object()) return bad(what + ".table", "expected an object");
  for (const auto& [k, v] : table->members()) out[k] = v.to_plain_string();
  return out;
}

Result<TopicStatsTable> parse_topic_stats_table(common::ByteView body) {
  const std::string what = "TopicStatsTable";
  TopicStatsTable table;
  const Status st = read_offset_table(
      body, what,
      [&](const MessageQueue& mq, const Json& v) -> Status {
        const std::string where = what + "[" + to_string(mq) + "]";
        if (!v.is_object()) return bad(where, "expected a TopicOffset object");
        TopicOffset off;
        RMQ_RETURN_IF_ERROR(get_int(v, "minOffset", where, &off.min_offset));
        RMQ_RETURN_IF_ERROR(get_int(v, "maxOffset", where, &off.max_offset));
        RMQ_RETURN_IF_ERROR(get_int(v, "lastUpdateTimestamp", where, &off.last_update_timestamp));
        table[mq] = off;
        return Status::ok();
      },
      [](const std::string&, const Json&) { return Status::ok(); });
  if (!st.is_ok()) return st;
  return table;
}

Result<ConsumeStats> parse_consume_stats(common::ByteView body) {
  const std::string what = "ConsumeStats";
  ConsumeStats stats;
  const Status st = read_offset_table(
      body, what,
      [&](const MessageQueue& mq, const Json& v) -> Status {
        const std::string where = what + "[" + to_string(mq) + "]";
        if (!v.is_object()) return bad(where, "expected an OffsetWrapper object");
        OffsetWrapper w;
        RMQ_RETURN_IF_ERROR(get_int(v, "brokerOffset", where, &w.broker_offset));
        RMQ_RETURN_IF_ERROR(get_int(v, "consumerOffset", where, &w.consumer_offset));
        RMQ_RETURN_IF_ERROR(get_int(v, "pullOffset", where, &w.pull_offset));
        RMQ_RETURN_IF_ERROR(get_int(v, "lastTimestamp", where, &w.last_timestamp));
        stats.offset_table[mq] = w;
        return Status::ok();
      },
      [&](const std::string& name, const Json& v) -> Status {
        if (name != "consumeTps" || v.is_null()) return Status::ok();
        const std::optional<double> tps = v.as_double();
        if (!tps) return bad(what + ".consumeTps", "expected a number, got " + v.dump());
        stats.consume_tps = *tps;
        return Status::ok();
      });
  if (!st.is_ok()) return st;
  return stats;
}

Result<ConsumerConnection> parse_consumer_connection(common::ByteView body) {
  const std::string what = "ConsumerConnection";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_object(body, what));
  ConsumerConnection cc;
  RMQ_RETURN_IF_ERROR(get_string(root, "consumeType", what, &cc.consume_type));
  RMQ_RETURN_IF_ERROR(get_string(root, "messageModel", what, &cc.message_model));
  RMQ_RETURN_IF_ERROR(get_string(root, "consumeFromWhere", what, &cc.consume_from_where));
  if (const Json* set = root.find("connectionSet"); set != nullptr && !set->is_null()) {
    const std::string where = what + ".connectionSet";
    if (!set->is_array()) return bad(where, "expected an array");
    for (const Json& c : set->items()) {
      if (!c.is_object()) return bad(where, "expected Connection objects");
      ClientConnection conn;
      RMQ_RETURN_IF_ERROR(get_string(c, "clientId", where, &conn.client_id));
      RMQ_RETURN_IF_ERROR(get_string(c, "clientAddr", where, &conn.client_addr));
      RMQ_RETURN_IF_ERROR(get_string(c, "language", where, &conn.language));
      RMQ_RETURN_IF_ERROR(get_int(c, "version", where, &conn.version,
                                  std::numeric_limits<int32_t>::min(), kI32Max));
      cc.connections.push_back(std::move(conn));
    }
  }
  if (const Json* t = root.find("subscriptionTable"); t != nullptr && !t->is_null()) {
    if (!t->is_object()) return bad(what + ".subscriptionTable", "expected an object");
    for (const auto& [topic, v] : t->members()) {
      RMQ_ASSIGN_OR_RETURN(SubscriptionData sd,
                           subscription_from(v, what + ".subscriptionTable." + topic));
      if (sd.topic.empty()) sd.topic = topic;
      cc.subscriptions[topic] = std::move(sd);
    }
  }
  return cc;
}

Result<std::map<MessageQueue, int64_t>> parse_reset_offset_body(common::ByteView body) {
  std::map<MessageQueue, int64_t> out;
  if (body.empty()) return out;
  const std::string what = "ResetOffsetBody";
  const Status st = read_offset_table(
      body, what,
      [&](const MessageQueue& mq, const Json& v) -> Status {
        const std::optional<int64_t> offset = v.as_int();
        if (!offset) return bad(what + "[" + to_string(mq) + "]", "expected an offset");
        out[mq] = *offset;
        return Status::ok();
      },
      [](const std::string&, const Json&) { return Status::ok(); });
  if (!st.is_ok()) return st;
  return out;
}

Result<std::map<std::string, std::string>> parse_broker_config(common::ByteView body) {
  auto props = common::parse_properties(common::as_string_view(body), "broker config");
  if (!props.ok()) return props.status();
  std::map<std::string, std::string> out;
  for (const auto& [k, entry] : props->entries()) out[k] = entry.value;
  return out;
}

std::string encode_subscription_group_config(const SubscriptionGroupConfig& g) {
  auto flag = [](bool b) { return b ? "true" : "false"; };
  std::string out = "{\"brokerId\":" + std::to_string(g.broker_id);
  out += ",\"consumeBroadcastEnable\":";
  out += flag(g.consume_broadcast_enable);
  out += ",\"consumeEnable\":";
  out += flag(g.consume_enable);
  out += ",\"consumeFromMinEnable\":";
  out += flag(g.consume_from_min_enable);
  out += ",\"groupName\":";
  common::append_json_string(out, g.group_name);
  out += ",\"notifyConsumerIdsChangedEnable\":";
  out += flag(g.notify_consumer_ids_changed_enable);
  out += ",\"retryMaxTimes\":" + std::to_string(g.retry_max_times);
  out += ",\"retryQueueNums\":" + std::to_string(g.retry_queue_nums);
  out += ",\"whichBrokerWhenConsumeSlowly\":" + std::to_string(g.which_broker_when_consume_slowly);
  out += '}';
  return out;
}

}  // namespace rmq::client
