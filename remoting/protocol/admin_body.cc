#include "remoting/protocol/admin_body.h"

#include "remoting/protocol/fastjson.h"

#include <initializer_list>
#include <utility>

namespace rmq::remoting::protocol {
namespace {

using common::Json;
using common::Result;
using common::Status;

// The offsetTable value of `mq`: an object whose integer members go to `members`.
Status read_offsets(const Json& v, const std::string& what, const MessageQueue& mq,
                    std::string_view type,
                    std::initializer_list<std::pair<std::string_view, int64_t*>> members) {
  const std::string where = what + "[" + to_string(mq) + "]";
  if (!v.is_object()) return invalid_body(where, "expected a " + std::string(type) + " object");
  for (const auto& [key, out] : members) RMQ_RETURN_IF_ERROR(read_int(v, key, where, out));
  return Status::ok();
}

void append_connection(std::string& out, const ClientConnection& c) {
  ObjectWriter(out)
      .str("clientAddr", c.client_addr)
      .str("clientId", c.client_id)
      .str("language", c.language)
      .num("version", c.version)
      .end();
}

// {"offsetTable":{<MQ>:value,...}}
template <typename Map, typename AppendValue>
std::string encode_offset_table_body(const Map& table, AppendValue append_value) {
  std::string out;
  ObjectWriter(out).message_queue_map("offsetTable", table, append_value).end();
  return out;
}

Result<ClientConnection> connection_from_json(const Json& c, const std::string& where) {
  if (!c.is_object()) return invalid_body(where, "expected Connection objects");
  ClientConnection conn;
  RMQ_RETURN_IF_ERROR(read_string(c, "clientId", where, &conn.client_id));
  RMQ_RETURN_IF_ERROR(read_string(c, "clientAddr", where, &conn.client_addr));
  RMQ_RETURN_IF_ERROR(read_text(c, "language", where, &conn.language));
  RMQ_RETURN_IF_ERROR(read_int(c, "version", where, &conn.version));
  return conn;
}

}  // namespace

int64_t ConsumeStats::diff_total() const {
  int64_t total = 0;
  for (const auto& [mq, w] : offset_table) total += w.broker_offset - w.consumer_offset;
  return total;
}

std::string encode_topic_stats_table(const TopicStatsTable& table) {
  return encode_offset_table_body(table, [](std::string& o, const TopicOffset& off) {
    ObjectWriter(o)
        .num("lastUpdateTimestamp", off.last_update_timestamp)
        .num("maxOffset", off.max_offset)
        .num("minOffset", off.min_offset)
        .end();
  });
}

Result<TopicStatsTable> parse_topic_stats_table(common::ByteView body) {
  const std::string what = "TopicStatsTable";
  TopicStatsTable table;
  const Status st =
      read_offset_table(body, what, [&](const MessageQueue& mq, const Json& v) -> Status {
        TopicOffset off;
        RMQ_RETURN_IF_ERROR(read_offsets(v, what, mq, "TopicOffset",
                                         {{"minOffset", &off.min_offset},
                                          {"maxOffset", &off.max_offset},
                                          {"lastUpdateTimestamp", &off.last_update_timestamp}}));
        table[mq] = off;
        return Status::ok();
      });
  if (!st.is_ok()) return st;
  return table;
}

std::string encode_consume_stats(const ConsumeStats& stats) {
  std::string out;
  ObjectWriter(out)
      .raw("consumeTps", [&](std::string& o) { append_java_double(o, stats.consume_tps); })
      .message_queue_map("offsetTable", stats.offset_table,
                         [](std::string& o, const OffsetWrapper& w) {
                           ObjectWriter(o)
                               .num("brokerOffset", w.broker_offset)
                               .num("consumerOffset", w.consumer_offset)
                               .num("lastTimestamp", w.last_timestamp)
                               .num("pullOffset", w.pull_offset)
                               .end();
                         })
      .end();
  return out;
}

Result<ConsumeStats> parse_consume_stats(common::ByteView body) {
  const std::string what = "ConsumeStats";
  ConsumeStats stats;
  const auto on_entry = [&](const MessageQueue& mq, const Json& v) -> Status {
    OffsetWrapper w;
    RMQ_RETURN_IF_ERROR(read_offsets(v, what, mq, "OffsetWrapper",
                                     {{"brokerOffset", &w.broker_offset},
                                      {"consumerOffset", &w.consumer_offset},
                                      {"pullOffset", &w.pull_offset},
                                      {"lastTimestamp", &w.last_timestamp}}));
    stats.offset_table[mq] = w;
    return Status::ok();
  };
  const auto on_other = [&](const std::string& name, const Json& v) -> Status {
    if (name != "consumeTps" || v.is_null()) return Status::ok();
    const std::optional<double> tps = v.as_double();
    if (!tps) return invalid_body(what + ".consumeTps", "expected a number, got " + v.dump());
    stats.consume_tps = *tps;
    return Status::ok();
  };
  const Status st = read_offset_table(body, what, on_entry, on_other);
  if (!st.is_ok()) return st;
  return stats;
}

std::string encode_reset_offset_body(const std::map<MessageQueue, int64_t>& offsets) {
  return encode_offset_table_body(offsets, &append_int);
}

Result<std::map<MessageQueue, int64_t>> parse_reset_offset_body(common::ByteView body) {
  std::map<MessageQueue, int64_t> out;
  if (body.empty()) return out;
  const std::string what = "ResetOffsetBody";
  const Status st =
      read_offset_table(body, what, [&](const MessageQueue& mq, const Json& v) -> Status {
        const std::optional<int64_t> offset = v.as_int();
        if (!offset) return invalid_body(what + "[" + to_string(mq) + "]", "expected an offset");
        out[mq] = *offset;
        return Status::ok();
      });
  if (!st.is_ok()) return st;
  return out;
}

std::string encode_consumer_connection(const ConsumerConnection& cc) {
  std::string out;
  ObjectWriter(out)
      .array("connectionSet", cc.connections, &append_connection)
      .str("consumeFromWhere", cc.consume_from_where)
      .str("consumeType", cc.consume_type)
      .str("messageModel", cc.message_model)
      .string_map("subscriptionTable", cc.subscriptions, &append_subscription_data)
      .end();
  return out;
}

Result<ConsumerConnection> parse_consumer_connection(common::ByteView body) {
  const std::string what = "ConsumerConnection";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_json_object(body, what));
  ConsumerConnection cc;
  RMQ_RETURN_IF_ERROR(read_text(root, "consumeType", what, &cc.consume_type));
  RMQ_RETURN_IF_ERROR(read_text(root, "messageModel", what, &cc.message_model));
  RMQ_RETURN_IF_ERROR(read_text(root, "consumeFromWhere", what, &cc.consume_from_where));
  const std::string where = what + ".connectionSet";
  RMQ_ASSIGN_OR_RETURN(const std::vector<Json>* set, read_array(root, "connectionSet", what));
  for (const Json& c : *set) {
    RMQ_ASSIGN_OR_RETURN(ClientConnection conn, connection_from_json(c, where));
    cc.connections.push_back(std::move(conn));
  }
  if (const Json* t = root.find("subscriptionTable"); t != nullptr && !t->is_null()) {
    if (!t->is_object()) return invalid_body(what + ".subscriptionTable", "expected an object");
    for (const auto& [topic, v] : t->members()) {
      RMQ_ASSIGN_OR_RETURN(
          SubscriptionData sd,
          subscription_data_from_json(v, what + ".subscriptionTable." + topic, topic));
      cc.subscriptions[topic] = std::move(sd);
    }
  }
  return cc;
}

}  // namespace rmq::remoting::protocol
