// The broker's JSON bodies for client and admin requests (PROTOCOL.md §3.2/§3.3), written by hand
// in fastjson's layout: members in alphabetical order, enums by name, and Map<MessageQueue, X>
// written with JSON objects as keys ({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:
// {...}}}), which no standard JSON writer or parser handles. The decoders accept that object-key
// form (and Java's MessageQueue.toString() as a quoted key), tolerate unknown members and take
// integers as numbers or numeric strings. Pure functions; thread-safe.
#pragma once

#include "broker/client/client_manager.h"
#include "broker/message_queue.h"
#include "common/bytes.h"
#include "common/result.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::broker {

// GET_TOPIC_STATS_INFO (202): Java TopicOffset.
struct TopicOffset {
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t last_update_timestamp = 0;
  friend bool operator==(const TopicOffset&, const TopicOffset&) = default;
};
using TopicStatsTable = std::map<MessageQueue, TopicOffset>;

// GET_CONSUME_STATS (208): Java OffsetWrapper and ConsumeStats.
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
  friend bool operator==(const ConsumeStats&, const ConsumeStats&) = default;
};

// LOCK_BATCH_MQ (41) / UNLOCK_BATCH_MQ (42) request bodies (same shape).
struct LockBatchRequest {
  std::string consumer_group;
  std::string client_id;
  bool only_this_broker = false;
  std::set<MessageQueue> mq_set;
  friend bool operator==(const LockBatchRequest&, const LockBatchRequest&) = default;
};

// GET_CONSUMER_LIST_BY_GROUP (38): {"consumerIdList":["a","b"]}
std::string encode_consumer_id_list(const std::vector<std::string>& ids);
[[nodiscard]] common::Result<std::vector<std::string>> parse_consumer_id_list(
    common::ByteView body);

// KVTable, e.g. GET_BROKER_RUNTIME_INFO (28): {"table":{"k":"v"}}
std::string encode_kv_table(const std::map<std::string, std::string>& table);
[[nodiscard]] common::Result<std::map<std::string, std::string>> parse_kv_table(
    common::ByteView body);

// {"offsetTable":{<MQ>:{"lastUpdateTimestamp":..,"maxOffset":..,"minOffset":..},...}}
std::string encode_topic_stats(const TopicStatsTable& table);
[[nodiscard]] common::Result<TopicStatsTable> parse_topic_stats(common::ByteView body);

// {"consumeTps":1.5,"offsetTable":{<MQ>:{"brokerOffset":..,"consumerOffset":..,
//  "lastTimestamp":..,"pullOffset":..},...}}; consumeTps as Java's Double.toString ("0.0").
std::string encode_consume_stats(const ConsumeStats& stats);
[[nodiscard]] common::Result<ConsumeStats> parse_consume_stats(common::ByteView body);

// GET_CONSUMER_CONNECTION_LIST (203): {"connectionSet":[{"clientAddr","clientId","language",
// "version"}],"consumeFromWhere":..,"consumeType":..,"messageModel":..,"subscriptionTable":
// {topic:{SubscriptionData}}}. The decoder fills group-less ConsumerGroupInfo (connection ids and
// last-update times are not on the wire).
std::string encode_consumer_connection(const ConsumerGroupInfo& info);
[[nodiscard]] common::Result<ConsumerGroupInfo> parse_consumer_connection(common::ByteView body);

// {"clientId":..,"consumerGroup":..,"mqSet":[{"brokerName","queueId","topic"}],
//  "onlyThisBroker":false}
std::string encode_lock_batch_request(const LockBatchRequest& req);
[[nodiscard]] common::Result<LockBatchRequest> parse_lock_batch_request(common::ByteView body);
// UnlockBatchRequestBody has the same shape.
[[nodiscard]] common::Result<LockBatchRequest> parse_unlock_batch_request(common::ByteView body);

// {"lockOKMQSet":[{"brokerName","queueId","topic"}]}
std::string encode_lock_batch_response(const std::set<MessageQueue>& locked);
[[nodiscard]] common::Result<std::set<MessageQueue>> parse_lock_batch_response(
    common::ByteView body);

}  // namespace rmq::broker
