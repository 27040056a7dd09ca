// The bodies the admin API reads (PROTOCOL.md §3.3, §4), decoded on the client side: the
// NameServer's TopicRouteData, ClusterInfo and TopicList; the broker's KVTable, TopicStatsTable,
// ConsumeStats, ConsumerConnection and ResetOffsetBody. fastjson writes Map<MessageQueue, X> with
// JSON objects as keys ({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{...}}}); the
// decoders read that form, a quoted Java MessageQueue.toString() key, unquoted integer brokerAddrs
// keys, unknown members, and integers as numbers or numeric strings. Pure functions; thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/result.h"

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rmq::client {

// Java MessageQueue. Ordered like Java's compareTo (topic, brokerName, queueId).
struct MessageQueue {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;
  friend auto operator<=>(const MessageQueue&, const MessageQueue&) = default;
};
// "topic@brokerName#queueId" for tables and error messages.
std::string to_string(const MessageQueue& mq);

// Java BrokerData: brokerId -> "ip:port"; id 0 is the master (the Raft leader).
struct BrokerData {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> broker_addrs;
  friend bool operator==(const BrokerData&, const BrokerData&) = default;
};

struct QueueData {
  std::string broker_name;
  int32_t read_queue_nums = 0;
  int32_t write_queue_nums = 0;
  int32_t perm = 0;  // 4 READ | 2 WRITE | 1 INHERIT
  int32_t topic_sys_flag = 0;
  friend bool operator==(const QueueData&, const QueueData&) = default;
};

struct TopicRouteData {
  std::vector<BrokerData> broker_datas;
  std::vector<QueueData> queue_datas;
  std::optional<std::string> order_topic_conf;
  // The brokerId-0 addresses of the brokers in this route, by broker name order.
  std::vector<std::string> master_addrs() const;
  friend bool operator==(const TopicRouteData&, const TopicRouteData&) = default;
};

struct ClusterInfo {
  std::map<std::string, BrokerData> broker_addr_table;              // brokerName -> data
  std::map<std::string, std::set<std::string>> cluster_addr_table;  // cluster -> brokerNames
  friend bool operator==(const ClusterInfo&, const ClusterInfo&) = default;
};

// GET_TOPIC_STATS_INFO (202): Java TopicOffset.
struct TopicOffset {
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t last_update_timestamp = 0;
  friend bool operator==(const TopicOffset&, const TopicOffset&) = default;
};
using TopicStatsTable = std::map<MessageQueue, TopicOffset>;

// GET_CONSUME_STATS (208): Java OffsetWrapper / ConsumeStats.
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

// GET_CONSUMER_CONNECTION_LIST (203): Java ConsumerConnection. Enums stay as sent (names from
// Java and our broker; a number's text if a broker sends ordinals).
struct ClientConnection {
  std::string client_id;
  std::string client_addr;
  std::string language;
  int32_t version = 0;
  friend bool operator==(const ClientConnection&, const ClientConnection&) = default;
};
struct SubscriptionData {
  std::string topic;
  std::string sub_string;
  std::vector<std::string> tags;
  std::vector<int32_t> codes;
  int64_t sub_version = 0;
  std::string expression_type;
  bool class_filter_mode = false;
  friend bool operator==(const SubscriptionData&, const SubscriptionData&) = default;
};
struct ConsumerConnection {
  std::vector<ClientConnection> connections;
  std::string consume_type;
  std::string message_model;
  std::string consume_from_where;
  std::map<std::string, SubscriptionData> subscriptions;  // topic -> subscription
  friend bool operator==(const ConsumerConnection&, const ConsumerConnection&) = default;
};

// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200) body: Java SubscriptionGroupConfig.
struct SubscriptionGroupConfig {
  std::string group_name;
  bool consume_enable = true;
  bool consume_from_min_enable = true;
  bool consume_broadcast_enable = true;
  int32_t retry_queue_nums = 1;
  int32_t retry_max_times = 16;
  int64_t broker_id = 0;
  int64_t which_broker_when_consume_slowly = 1;
  bool notify_consumer_ids_changed_enable = true;
  friend bool operator==(const SubscriptionGroupConfig&, const SubscriptionGroupConfig&) = default;
};

// ---- NameServer bodies ----
[[nodiscard]] common::Result<TopicRouteData> parse_topic_route_data(common::ByteView body);
[[nodiscard]] common::Result<ClusterInfo> parse_cluster_info(common::ByteView body);
// {"topicList":["a","b"]} (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, GET_TOPICS_BY_CLUSTER).
[[nodiscard]] common::Result<std::vector<std::string>> parse_topic_list(common::ByteView body);

// ---- broker bodies ----
// {"table":{"k":"v"}}; non-string values are kept as their JSON text.
[[nodiscard]] common::Result<std::map<std::string, std::string>> parse_kv_table(
    common::ByteView body);
// {"offsetTable":{<MQ>:{"lastUpdateTimestamp","maxOffset","minOffset"}}}
[[nodiscard]] common::Result<TopicStatsTable> parse_topic_stats_table(common::ByteView body);
// {"consumeTps":0.0,"offsetTable":{<MQ>:{"brokerOffset","consumerOffset","lastTimestamp",
//  "pullOffset"}}}
[[nodiscard]] common::Result<ConsumeStats> parse_consume_stats(common::ByteView body);
// {"connectionSet":[...],"consumeFromWhere":..,"consumeType":..,"messageModel":..,
//  "subscriptionTable":{topic:{...}}}
[[nodiscard]] common::Result<ConsumerConnection> parse_consumer_connection(common::ByteView body);
// INVOKE_BROKER_TO_RESET_OFFSET (222) reply: {"offsetTable":{<MQ>:offset}}. Empty body -> {}.
[[nodiscard]] common::Result<std::map<MessageQueue, int64_t>> parse_reset_offset_body(
    common::ByteView body);
// GET_BROKER_CONFIG (26) reply: Java properties text ("key=value" lines).
[[nodiscard]] common::Result<std::map<std::string, std::string>> parse_broker_config(
    common::ByteView body);

// {"brokerId":0,"consumeBroadcastEnable":true,...,"groupName":"G",...} (fastjson order).
std::string encode_subscription_group_config(const SubscriptionGroupConfig& config);

}  // namespace rmq::client
