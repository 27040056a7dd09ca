// Route data of the NameServer: the value types RouteInfoManager keeps. QueueData, BrokerData,
// TopicRouteData and ClusterInfo are the wire's (remoting/protocol/route_data.h, which also writes
// them); TopicConfig, DataVersion and RegisterBrokerBody are what brokers register, read by
// route_json.h. Plain values with no behaviour.
#pragma once

#include "remoting/protocol/route_data.h"

#include <cstdint>
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

using remoting::protocol::BrokerData;
using remoting::protocol::ClusterInfo;
using remoting::protocol::QueueData;
using remoting::protocol::TopicRouteData;

}  // namespace rmq::namesrv
