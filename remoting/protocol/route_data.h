// Topic routes as the NameServer publishes them (Java's remoting.protocol.route package and
// ClusterInfo): the NameServer keeps and writes these values, the client reads them. Encoders
// write PROTOCOL.md §4's bytes (brokerAddrs with quoted integer keys, lists sorted by brokerName,
// members in fastjson's order); decoders also take fastjson's unquoted integer keys, unknown
// members and integers as numeric strings. Pure functions and value types; thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/result.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rmq::remoting::protocol {

// One broker group's queues of one topic.
struct QueueData {
  std::string broker_name;
  int32_t read_queue_nums = 0;
  int32_t write_queue_nums = 0;
  int32_t perm = 0;  // 4 READ | 2 WRITE | 1 INHERIT
  int32_t topic_sys_flag = 0;
  friend bool operator==(const QueueData&, const QueueData&) = default;
};

// One broker group: brokerId -> "ip:port"; id 0 is the master (in DLedger mode the group's
// current Raft leader). Invariant: an address appears under one id only.
struct BrokerData {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> broker_addrs;
  friend bool operator==(const BrokerData&, const BrokerData&) = default;
};

// The body of GET_ROUTEINFO_BY_TOPIC (105).
struct TopicRouteData {
  std::vector<BrokerData> broker_datas;
  std::vector<QueueData> queue_datas;
  std::optional<std::string> order_topic_conf;  // absent from the JSON when unset
  // The brokerId-0 addresses of the brokers in this route, by broker name order.
  std::vector<std::string> master_addrs() const;
  friend bool operator==(const TopicRouteData&, const TopicRouteData&) = default;
};

// The body of GET_BROKER_CLUSTER_INFO (106).
struct ClusterInfo {
  std::map<std::string, BrokerData> broker_addr_table;              // brokerName -> data
  std::map<std::string, std::set<std::string>> cluster_addr_table;  // cluster -> brokerNames
  friend bool operator==(const ClusterInfo&, const ClusterInfo&) = default;
};

// {"brokerDatas":[...],"filterServerTable":{},"queueDatas":[...]} plus "orderTopicConf" when set;
// both lists sorted by brokerName.
std::string encode_topic_route_data(const TopicRouteData& route);
[[nodiscard]] common::Result<TopicRouteData> parse_topic_route_data(common::ByteView body);

// {"brokerAddrTable":{"b":{BrokerData}},"clusterAddrTable":{"C":["b"]}}
std::string encode_cluster_info(const ClusterInfo& info);
[[nodiscard]] common::Result<ClusterInfo> parse_cluster_info(common::ByteView body);

}  // namespace rmq::remoting::protocol
