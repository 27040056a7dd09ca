// Route data of the NameServer: the value types RouteInfoManager keeps and the JSON bodies carry
// (RocketMQ's TopicConfig, DataVersion, QueueData, BrokerData, TopicRouteData, ClusterInfo and
// RegisterBrokerBody). Plain values with no behaviour; route_json.h turns them into bytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rmq::namesrv {

// MixAll.MASTER_ID: brokerId 0 is the master; in DLedger mode, the group's current Raft leader.
inline constexpr int64_t kMasterId = 0;

// PermName bits of a topic's `perm`.
inline constexpr int32_t kPermRead = 4;
inline constexpr int32_t kPermWrite = 2;
inline constexpr int32_t kPermInherit = 1;

// Namespace of the KV config whose entries (topic -> "brokerName:queueCount;...") become
// TopicRouteData.orderTopicConf (NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG).
inline constexpr const char* kNamespaceOrderTopicConfig = "ORDER_TOPIC_CONFIG";

// A broker's topic-config version; the NameServer re-reads a broker's topics only when it changes.
struct DataVersion {
  int64_t timestamp = 0;
  int64_t counter = 0;
  friend bool operator==(const DataVersion&, const DataVersion&) = default;
};

// The part of a broker's TopicConfig the NameServer uses (topicFilterType and order are dropped).
struct TopicConfig {
  std::string topic_name;
  int32_t read_queue_nums = 16;
  int32_t write_queue_nums = 16;
  int32_t perm = kPermRead | kPermWrite;
  int32_t topic_sys_flag = 0;
  friend bool operator==(const TopicConfig&, const TopicConfig&) = default;
};

// The body of REGISTER_BROKER (103).
struct RegisterBrokerBody {
  std::vector<TopicConfig> topic_configs;  // in body order
  DataVersion data_version;
  std::vector<std::string> filter_server_list;
  friend bool operator==(const RegisterBrokerBody&, const RegisterBrokerBody&) = default;
};

// One broker group's queues of one topic.
struct QueueData {
  std::string broker_name;
  int32_t read_queue_nums = 0;
  int32_t write_queue_nums = 0;
  int32_t perm = 0;
  int32_t topic_sys_flag = 0;
  friend bool operator==(const QueueData&, const QueueData&) = default;
};

// One broker group: brokerId -> "ip:port". Invariant: an address appears under one id only.
struct BrokerData {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> broker_addrs;
  friend bool operator==(const BrokerData&, const BrokerData&) = default;
};

// The body of GET_ROUTEINFO_BY_TOPIC (105). Both lists are sorted by brokerName.
struct TopicRouteData {
  std::vector<BrokerData> broker_datas;
  std::vector<QueueData> queue_datas;
  std::optional<std::string> order_topic_conf;  // absent from the JSON when unset
  friend bool operator==(const TopicRouteData&, const TopicRouteData&) = default;
};

// The body of GET_BROKER_CLUSTER_INFO (106).
struct ClusterInfo {
  std::map<std::string, BrokerData> broker_addr_table;              // brokerName -> data
  std::map<std::string, std::set<std::string>> cluster_addr_table;  // cluster -> brokerNames
  friend bool operator==(const ClusterInfo&, const ClusterInfo&) = default;
};

}  // namespace rmq::namesrv
