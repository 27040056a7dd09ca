#include "remoting/protocol/route_data.h"

#include "remoting/protocol/fastjson.h"

#include <algorithm>
#include <utility>

namespace rmq::remoting::protocol {
namespace {

using common::Json;
using common::Result;
using common::Status;

// {"0":"addr",...}: ascending brokerId, keys quoted.
void append_broker_addrs(std::string& out, const std::map<int64_t, std::string>& addrs) {
  append_map(
      out, addrs, [](std::string& o, int64_t id) { append_string(o, std::to_string(id)); },
      &append_string);
}

void append_broker_data(std::string& out, const BrokerData& bd) {
  ObjectWriter(out)
      .raw("brokerAddrs", [&](std::string& o) { append_broker_addrs(o, bd.broker_addrs); })
      .str("brokerName", bd.broker_name)
      .str("cluster", bd.cluster)
      .end();
}

void append_queue_data(std::string& out, const QueueData& qd) {
  ObjectWriter(out)
      .str("brokerName", qd.broker_name)
      .num("perm", qd.perm)
      .num("readQueueNums", qd.read_queue_nums)
      .num("topicSysFlag", qd.topic_sys_flag)
      .num("writeQueueNums", qd.write_queue_nums)
      .end();
}

Result<BrokerData> broker_data_from_json(const Json& v, const std::string& where) {
  if (!v.is_object()) return invalid_body(where, "expected a BrokerData object");
  BrokerData bd;
  RMQ_RETURN_IF_ERROR(read_string(v, "cluster", where, &bd.cluster));
  RMQ_RETURN_IF_ERROR(read_string(v, "brokerName", where, &bd.broker_name));
  const Json* addrs = v.find("brokerAddrs");
  if (addrs == nullptr || addrs->is_null()) return bd;
  if (!addrs->is_object()) return invalid_body(where + ".brokerAddrs", "expected an object");
  for (const auto& [id_text, addr] : addrs->members()) {
    const std::optional<int64_t> id = Json::string(id_text).as_int();
    if (!id || *id < 0)
      return invalid_body(where + ".brokerAddrs", "bad brokerId '" + id_text + "'");
    if (!addr.is_string()) return invalid_body(where + ".brokerAddrs", "address is not a string");
    bd.broker_addrs[*id] = addr.text();
  }
  return bd;
}

Result<QueueData> queue_data_from_json(const Json& v, const std::string& where) {
  if (!v.is_object()) return invalid_body(where, "expected a QueueData object");
  QueueData qd;
  RMQ_RETURN_IF_ERROR(read_string(v, "brokerName", where, &qd.broker_name));
  RMQ_RETURN_IF_ERROR(read_int(v, "readQueueNums", where, &qd.read_queue_nums, 0));
  RMQ_RETURN_IF_ERROR(read_int(v, "writeQueueNums", where, &qd.write_queue_nums, 0));
  RMQ_RETURN_IF_ERROR(read_int(v, "perm", where, &qd.perm, 0));
  RMQ_RETURN_IF_ERROR(read_int(v, "topicSysFlag", where, &qd.topic_sys_flag, 0));
  return qd;
}

// Each element of the array member `key`, decoded by from_json and appended to *out.
template <typename T, typename FromJson>
Status read_list(const Json& root, std::string_view key, const std::string& what,
                 FromJson from_json, std::vector<T>* out) {
  const std::string where = what + "." + std::string(key);
  RMQ_ASSIGN_OR_RETURN(const std::vector<Json>* items, read_array(root, key, what));
  for (const Json& item : *items) {
    RMQ_ASSIGN_OR_RETURN(T value, from_json(item, where));
    out->push_back(std::move(value));
  }
  return Status::ok();
}

}  // namespace

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

std::string encode_topic_route_data(const TopicRouteData& route) {
  auto by_name = [](const auto& a, const auto& b) { return a.broker_name < b.broker_name; };
  std::vector<BrokerData> brokers = route.broker_datas;
  std::vector<QueueData> queues = route.queue_datas;
  std::stable_sort(brokers.begin(), brokers.end(), by_name);
  std::stable_sort(queues.begin(), queues.end(), by_name);
  std::string out;
  ObjectWriter w(out);
  w.array("brokerDatas", brokers, &append_broker_data)
      .raw("filterServerTable", [](std::string& o) { o += "{}"; })
      .array("queueDatas", queues, &append_queue_data);
  if (route.order_topic_conf) w.str("orderTopicConf", *route.order_topic_conf);
  w.end();
  return out;
}

Result<TopicRouteData> parse_topic_route_data(common::ByteView body) {
  const std::string what = "TopicRouteData";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_json_object(body, what));
  TopicRouteData route;
  RMQ_RETURN_IF_ERROR(
      read_list(root, "brokerDatas", what, &broker_data_from_json, &route.broker_datas));
  RMQ_RETURN_IF_ERROR(
      read_list(root, "queueDatas", what, &queue_data_from_json, &route.queue_datas));
  if (const Json* conf = root.find("orderTopicConf"); conf != nullptr && !conf->is_null()) {
    if (!conf->is_string()) return invalid_body(what + ".orderTopicConf", "expected a string");
    route.order_topic_conf = conf->text();
  }
  return route;
}

std::string encode_cluster_info(const ClusterInfo& info) {
  std::string out;
  ObjectWriter(out)
      .string_map("brokerAddrTable", info.broker_addr_table, &append_broker_data)
      .string_map("clusterAddrTable", info.cluster_addr_table,
                  &append_string_array<std::set<std::string>>)
      .end();
  return out;
}

Result<ClusterInfo> parse_cluster_info(common::ByteView body) {
  const std::string what = "ClusterInfo";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_json_object(body, what));
  ClusterInfo info;
  if (const Json* t = root.find("brokerAddrTable"); t != nullptr && !t->is_null()) {
    if (!t->is_object()) return invalid_body(what + ".brokerAddrTable", "expected an object");
    for (const auto& [name, v] : t->members()) {
      RMQ_ASSIGN_OR_RETURN(BrokerData bd,
                           broker_data_from_json(v, what + ".brokerAddrTable." + name));
      if (bd.broker_name.empty()) bd.broker_name = name;
      info.broker_addr_table[name] = std::move(bd);
    }
  }
  if (const Json* t = root.find("clusterAddrTable"); t != nullptr && !t->is_null()) {
    if (!t->is_object()) return invalid_body(what + ".clusterAddrTable", "expected an object");
    for (const auto& [cluster, names] : t->members()) {
      const std::string where = what + ".clusterAddrTable." + cluster;
      if (!names.is_array()) return invalid_body(where, "expected an array");
      std::set<std::string>& out = info.cluster_addr_table[cluster];
      for (const Json& n : names.items()) {
        if (!n.is_string()) return invalid_body(where, "expected broker names");
        out.insert(n.text());
      }
    }
  }
  return info;
}

}  // namespace rmq::remoting::protocol
