// The admin bodies the broker writes and admin tools read (PROTOCOL.md §3.3; Java's
// remoting.protocol.admin and .body packages): TopicStatsTable (GET_TOPIC_STATS_INFO, 202),
// ConsumeStats (GET_CONSUME_STATS, 208), ResetOffsetBody (INVOKE_BROKER_TO_RESET_OFFSET, 222) and
// ConsumerConnection (GET_CONSUMER_CONNECTION_LIST, 203). The first three are fastjson
// Map<MessageQueue, X> bodies with object keys (fastjson.h). Pure functions and value types;
// thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/result.h"
#include "remoting/protocol/heartbeat.h"
#include "remoting/protocol/message_queue.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rmq::remoting::protocol {

// Java TopicOffset.
struct TopicOffset {
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t last_update_timestamp = 0;
  friend bool operator==(const TopicOffset&, const TopicOffset&) = default;
};
using TopicStatsTable = std::map<MessageQueue, TopicOffset>;

// {"offsetTable":{<MQ>:{"lastUpdateTimestamp":..,"maxOffset":..,"minOffset":..},...}}
std::string encode_topic_stats_table(const TopicStatsTable& table);
[[nodiscard]] common::Result<TopicStatsTable> parse_topic_stats_table(common::ByteView body);

// Java OffsetWrapper and ConsumeStats.
struct OffsetWrapper {
  int64_t broker_offset = 0;
  int64_t consumer_offset = 0;
  int64_t pull_offset = 0;
  int64_t last_timestamp = 0;
  friend bool operator==(const OffsetWrapper&, const OffsetWrapper&) = default;
};
struct ConsumeStats {
  double consume_tps = 0;
  std::map<MessageQueue, OffsetWrapper> offset_table;
  // Sum over queues of brokerOffset - consumerOffset (mqadmin's "Diff Total").
  int64_t diff_total() const;
  friend bool operator==(const ConsumeStats&, const ConsumeStats&) = default;
};

// {"consumeTps":1.5,"offsetTable":{<MQ>:{"brokerOffset":..,"consumerOffset":..,
//  "lastTimestamp":..,"pullOffset":..},...}}; consumeTps as Java's Double.toString ("0.0").
std::string encode_consume_stats(const ConsumeStats& stats);
[[nodiscard]] common::Result<ConsumeStats> parse_consume_stats(common::ByteView body);

// ResetOffsetBody: {"offsetTable":{<MQ>:offset,...}}. An empty body decodes as no queues.
std::string encode_reset_offset_body(const std::map<MessageQueue, int64_t>& offsets);
[[nodiscard]] common::Result<std::map<MessageQueue, int64_t>> parse_reset_offset_body(
    common::ByteView body);

// Java Connection: one client of a consumer group.
struct ClientConnection {
  std::string client_id;
  std::string client_addr;
  std::string language;  // e.g. "JAVA", "CPP"
  int32_t version = 0;
  friend bool operator==(const ClientConnection&, const ClientConnection&) = default;
};
// Java ConsumerConnection. The enums stay as sent: Java's names (to_string of heartbeat.h's
// enums) or, from a broker that writes ordinals, the number's text.
struct ConsumerConnection {
  std::vector<ClientConnection> connections;
  std::string consume_type;
  std::string message_model;
  std::string consume_from_where;
  std::map<std::string, SubscriptionData> subscriptions;  // topic -> subscription
  friend bool operator==(const ConsumerConnection&, const ConsumerConnection&) = default;
};

// {"connectionSet":[{"clientAddr","clientId","language","version"}],"consumeFromWhere":..,
//  "consumeType":..,"messageModel":..,"subscriptionTable":{topic:{SubscriptionData}}}
std::string encode_consumer_connection(const ConsumerConnection& cc);
[[nodiscard]] common::Result<ConsumerConnection> parse_consumer_connection(common::ByteView body);

}  // namespace rmq::remoting::protocol
