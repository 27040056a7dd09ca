#include "client/admin.h"

#include "client/route.h"
#include "common/properties.h"
#include "remoting/protocol/body.h"
#include "remoting/request_code.h"
#include "remoting/response_code.h"

#include <limits>
#include <utility>

namespace rmq::client {
namespace {

using common::Result;
using common::Status;
using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;
namespace protocol = remoting::protocol;

constexpr int32_t num(RequestCode c) { return static_cast<int32_t>(c); }
constexpr int32_t num(ResponseCode c) { return static_cast<int32_t>(c); }

// "GET_ROUTEINFO_BY_TOPIC(105)"
std::string request_name(int32_t code) {
  std::string_view name = remoting::request_code_name(code);
  if (code == kRaftStatusRequestCode) name = "RAFT_STATUS";
  if (code == kTransferLeaderRequestCode) name = "TRANSFER_LEADER";
  if (name.empty()) name = "REQUEST";
  return std::string(name) + "(" + std::to_string(code) + ")";
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

RemotingCommand make_request(int32_t code) { return RemotingCommand::request(code); }
RemotingCommand make_request(RequestCode code) { return RemotingCommand::request(code); }

// A decoding error of the reply from `addr`.
Status body_error(const std::string& addr, int32_t request_code, const Status& st) {
  return Status(st.code(), addr + ": " + request_name(request_code) +
                               " reply body: " + std::string(st.message()));
}

}  // namespace

Status response_error(const std::string& addr, int32_t request_code,
                      const RemotingCommand& response) {
  const int32_t rc = response.code;
  common::Code code = common::Code::kInternal;
  switch (static_cast<ResponseCode>(rc)) {
    case ResponseCode::kTopicNotExist:
    case ResponseCode::kQueryNotFound:
    case ResponseCode::kSubscriptionNotExist:
    case ResponseCode::kSubscriptionGroupNotExist:
    case ResponseCode::kConsumerNotOnline:
      code = common::Code::kNotFound;
      break;
    case ResponseCode::kSystemBusy:
      code = common::Code::kBusy;
      break;
    case ResponseCode::kServiceNotAvailable:
      code = common::Code::kUnavailable;
      break;
    case ResponseCode::kMessageIllegal:
    case ResponseCode::kInvalidParameter:
      code = common::Code::kInvalidArgument;
      break;
    case ResponseCode::kNoPermission:
      code = common::Code::kAborted;
      break;
    case ResponseCode::kRequestCodeNotSupported:
      code = common::Code::kNotSupported;
      break;
    default:
      break;
  }
  std::string msg =
      addr + ": " + request_name(request_code) + " failed: code " + std::to_string(rc);
  if (const std::string_view name = remoting::response_code_name(rc); !name.empty()) {
    msg += ' ';
    msg += name;
  }
  if (response.remark && !response.remark->empty()) msg += ": " + *response.remark;
  return Status(code, msg);
}

Admin::Admin(remoting::Client& client, std::string_view namesrv_addrs, AdminOptions options)
    : client_(client), namesrvs_(split_addresses(namesrv_addrs)), options_(options) {}

// ---- plumbing ----

Result<RemotingCommand> Admin::invoke(const std::string& addr, const RemotingCommand& request) {
  auto r = client_.invoke_sync(addr, request, options_.timeout);
  if (!r.ok()) {
    return Status(r.status().code(), addr + ": " + request_name(request.code) +
                                         " failed: " + std::string(r.status().message()));
  }
  return r;
}

Result<RemotingCommand> Admin::invoke_ok(const std::string& addr, const RemotingCommand& request) {
  RMQ_ASSIGN_OR_RETURN(RemotingCommand resp, invoke(addr, request));
  if (resp.code != num(ResponseCode::kSuccess)) return response_error(addr, request.code, resp);
  return resp;
}

Result<RemotingCommand> Admin::invoke_namesrv(const RemotingCommand& request,
                                              std::string* answered) {
  if (namesrvs_.empty()) return Status::invalid_argument("no NameServer address given");
  std::vector<std::string> errors;
  Status last;
  for (const std::string& ns : namesrvs_) {
    auto r = invoke(ns, request);
    if (r.ok()) {
      *answered = ns;
      return r;
    }
    last = r.status();
    errors.emplace_back(r.status().message());
  }
  return Status(last.code(), "no NameServer answered: " + join(errors, "; "));
}

Result<std::vector<std::string>> Admin::resolve_masters(const std::string& target) {
  if (target.find(':') != std::string::npos) return std::vector<std::string>{target};
  RMQ_ASSIGN_OR_RETURN(const protocol::ClusterInfo info, cluster_info());
  const auto cluster = info.cluster_addr_table.find(target);
  if (cluster == info.cluster_addr_table.end()) {
    std::vector<std::string> known;
    for (const auto& [name, brokers] : info.cluster_addr_table) known.push_back(name);
    return Status::not_found(
        "cluster '" + target + "' is not registered with the NameServer" +
        (known.empty() ? std::string(" (no clusters)") : " (clusters: " + join(known) + ")"));
  }
  std::vector<std::string> masters;
  for (const std::string& broker_name : cluster->second) {
    const auto bd = info.broker_addr_table.find(broker_name);
    const std::string* master = nullptr;
    if (bd != info.broker_addr_table.end()) {
      if (const auto it = bd->second.broker_addrs.find(0); it != bd->second.broker_addrs.end()) {
        master = &it->second;
      }
    }
    if (master == nullptr) {
      return Status::unavailable("broker '" + broker_name + "' of cluster '" + target +
                                 "' has no master (brokerId 0) registered; is a leader elected?");
    }
    masters.push_back(*master);
  }
  if (masters.empty()) return Status::not_found("cluster '" + target + "' has no brokers");
  return masters;
}

Result<std::vector<std::string>> Admin::group_masters(const std::string& group) {
  auto route = topic_route("%RETRY%" + group);
  if (route.ok() && !route->master_addrs().empty()) return route->master_addrs();
  if (!route.ok() && route.status().code() != common::Code::kNotFound) return route.status();
  RMQ_ASSIGN_OR_RETURN(const protocol::ClusterInfo info, cluster_info());
  std::vector<std::string> masters;
  for (const auto& [name, bd] : info.broker_addr_table) {
    if (const auto it = bd.broker_addrs.find(0); it != bd.broker_addrs.end()) {
      masters.push_back(it->second);
    }
  }
  if (masters.empty()) return Status::unavailable("no broker has a master (brokerId 0) registered");
  return masters;
}

Result<std::vector<std::string>> Admin::invoke_all(const std::vector<std::string>& addrs,
                                                   const RemotingCommand& request,
                                                   std::string_view what) {
  std::vector<std::string> done;
  std::vector<std::string> failures;
  Status first;
  for (const std::string& addr : addrs) {
    auto r = invoke_ok(addr, request);
    if (r.ok()) {
      done.push_back(addr);
      continue;
    }
    if (first.is_ok()) first = r.status();
    failures.emplace_back(r.status().message());
  }
  if (failures.empty()) return done;
  return Status(first.code(),
                std::string(what) + ": " + std::to_string(failures.size()) + " of " +
                    std::to_string(addrs.size()) + " failed: " + join(failures, "; ") +
                    (done.empty() ? std::string() : " (succeeded on " + join(done) + ")"));
}

// ---- NameServer ----

Result<protocol::ClusterInfo> Admin::cluster_info() {
  const RemotingCommand req = make_request(RequestCode::kGetBrokerClusterInfo);
  std::string ns;
  RMQ_ASSIGN_OR_RETURN(const RemotingCommand resp, invoke_namesrv(req, &ns));
  if (resp.code != num(ResponseCode::kSuccess)) return response_error(ns, req.code, resp);
  auto info = protocol::parse_cluster_info(resp.body.view());
  if (!info.ok()) return body_error(ns, req.code, info.status());
  return info;
}

Result<std::vector<std::string>> Admin::topic_list() {
  const RemotingCommand req = make_request(RequestCode::kGetAllTopicListFromNameserver);
  std::string ns;
  RMQ_ASSIGN_OR_RETURN(const RemotingCommand resp, invoke_namesrv(req, &ns));
  if (resp.code != num(ResponseCode::kSuccess)) return response_error(ns, req.code, resp);
  auto topics = protocol::parse_topic_list(resp.body.view());
  if (!topics.ok()) return body_error(ns, req.code, topics.status());
  return topics;
}

Result<protocol::TopicRouteData> Admin::topic_route(const std::string& topic) {
  RemotingCommand req = make_request(RequestCode::kGetRouteinfoByTopic);
  req.ext_fields.set("topic", topic);
  std::string ns;
  RMQ_ASSIGN_OR_RETURN(const RemotingCommand resp, invoke_namesrv(req, &ns));
  if (resp.code != num(ResponseCode::kSuccess)) return response_error(ns, req.code, resp);
  auto route = protocol::parse_topic_route_data(resp.body.view());
  if (!route.ok()) return body_error(ns, req.code, route.status());
  return route;
}

// ---- one broker ----

Result<std::map<std::string, std::string>> Admin::broker_runtime_info(const std::string& addr) {
  const RemotingCommand req = make_request(RequestCode::kGetBrokerRuntimeInfo);
  RMQ_ASSIGN_OR_RETURN(const RemotingCommand resp, invoke_ok(addr, req));
  auto table = protocol::parse_kv_table(resp.body.view());
  if (!table.ok()) return body_error(addr, req.code, table.status());
  return table;
}

Result<std::map<std::string, std::string>> Admin::get_broker_config(const std::string& addr) {
  const RemotingCommand req = make_request(RequestCode::kGetBrokerConfig);
  RMQ_ASSIGN_OR_RETURN(const RemotingCommand resp, invoke_ok(addr, req));
  auto config = parse_broker_config(resp.body.view());
  if (!config.ok()) return body_error(addr, req.code, config.status());
  return config;
}

Status Admin::update_broker_config(const std::string& addr, const std::string& key,
                                   const std::string& value) {
  RemotingCommand req = make_request(RequestCode::kUpdateBrokerConfig);
  req.body = common::Buffer(common::format_property(key, value) + "\n");
  auto r = invoke_ok(addr, req);
  return r.ok() ? Status::ok() : r.status();
}

Result<common::Json> Admin::raft_status(const std::string& addr) {
  const RemotingCommand req = make_request(kRaftStatusRequestCode);
  RMQ_ASSIGN_OR_RETURN(const RemotingCommand resp, invoke_ok(addr, req));
  auto json = common::Json::parse(resp.body.str());
  if (!json.ok()) return body_error(addr, req.code, json.status());
  if (!json->is_object()) {
    return body_error(addr, req.code, Status::invalid_argument("not a JSON object"));
  }
  return json;
}

Result<common::Json> Admin::ha_status(const std::string& addr) {
  const RemotingCommand req = make_request(kHaStatusRequestCode);
  RMQ_ASSIGN_OR_RETURN(const RemotingCommand resp, invoke_ok(addr, req));
  auto json = common::Json::parse(resp.body.str());
  if (!json.ok()) return body_error(addr, req.code, json.status());
  if (!json->is_object()) {
    return body_error(addr, req.code, Status::invalid_argument("not a JSON object"));
  }
  return json;
}

Status Admin::transfer_leader(const std::string& addr, const std::string& target) {
  RemotingCommand req = make_request(kTransferLeaderRequestCode);
  req.ext_fields.set("target", target);
  auto r = invoke_ok(addr, req);
  return r.ok() ? Status::ok() : r.status();
}

// ---- topics ----

Result<protocol::TopicStatsTable> Admin::topic_stats(const std::string& topic) {
  RMQ_ASSIGN_OR_RETURN(const protocol::TopicRouteData route, topic_route(topic));
  const std::vector<std::string> masters = route.master_addrs();
  if (masters.empty()) {
    return Status::unavailable("topic '" + topic + "' has no master (brokerId 0) in its route");
  }
  RemotingCommand req = make_request(RequestCode::kGetTopicStatsInfo);
  req.ext_fields.set("topic", topic);
  protocol::TopicStatsTable merged;
  for (const std::string& addr : masters) {
    RMQ_ASSIGN_OR_RETURN(const RemotingCommand resp, invoke_ok(addr, req));
    auto table = protocol::parse_topic_stats_table(resp.body.view());
    if (!table.ok()) return body_error(addr, req.code, table.status());
    merged.merge(*table);
  }
  return merged;
}

Result<std::vector<std::string>> Admin::update_topic(const std::string& topic,
                                                     int32_t read_queue_nums,
                                                     int32_t write_queue_nums, int32_t perm,
                                                     const std::string& target) {
  RMQ_ASSIGN_OR_RETURN(const std::vector<std::string> masters, resolve_masters(target));
  RemotingCommand req = make_request(RequestCode::kUpdateAndCreateTopic);
  req.ext_fields.set("topic", topic);
  req.ext_fields.set("defaultTopic", std::string("TBW102"));
  req.ext_fields.set("readQueueNums", read_queue_nums);
  req.ext_fields.set("writeQueueNums", write_queue_nums);
  req.ext_fields.set("perm", perm);
  req.ext_fields.set("topicFilterType", std::string("SINGLE_TAG"));
  req.ext_fields.set("topicSysFlag", int64_t{0});
  req.ext_fields.set("order", std::string("false"));
  return invoke_all(masters, req, "update topic '" + topic + "'");
}

Result<std::vector<std::string>> Admin::delete_topic(const std::string& topic,
                                                     const std::string& cluster) {
  RMQ_ASSIGN_OR_RETURN(const std::vector<std::string> masters, resolve_masters(cluster));
  RemotingCommand in_broker = make_request(RequestCode::kDeleteTopicInBroker);
  in_broker.ext_fields.set("topic", topic);
  RMQ_ASSIGN_OR_RETURN(std::vector<std::string> done,
                       invoke_all(masters, in_broker, "delete topic '" + topic + "' in brokers"));
  RemotingCommand in_namesrv = make_request(RequestCode::kDeleteTopicInNamesrv);
  in_namesrv.ext_fields.set("topic", topic);
  if (cluster.find(':') == std::string::npos) in_namesrv.ext_fields.set("clusterName", cluster);
  RMQ_ASSIGN_OR_RETURN(
      const std::vector<std::string> ns_done,
      invoke_all(namesrvs_, in_namesrv, "delete topic '" + topic + "' in NameServers"));
  done.insert(done.end(), ns_done.begin(), ns_done.end());
  return done;
}

// ---- subscription groups and consumers ----

Result<std::vector<std::string>> Admin::update_sub_group(const SubscriptionGroupConfig& config,
                                                         const std::string& target) {
  if (config.group_name.empty()) return Status::invalid_argument("group name is empty");
  RMQ_ASSIGN_OR_RETURN(const std::vector<std::string> masters, resolve_masters(target));
  RemotingCommand req = make_request(RequestCode::kUpdateAndCreateSubscriptiongroup);
  req.body = common::Buffer(encode_subscription_group_config(config));
  return invoke_all(masters, req, "update subscription group '" + config.group_name + "'");
}

Result<std::vector<std::string>> Admin::delete_sub_group(const std::string& group,
                                                         const std::string& target) {
  RMQ_ASSIGN_OR_RETURN(const std::vector<std::string> masters, resolve_masters(target));
  RemotingCommand req = make_request(RequestCode::kDeleteSubscriptiongroup);
  req.ext_fields.set("groupName", group);
  return invoke_all(masters, req, "delete subscription group '" + group + "'");
}

Result<protocol::ConsumeStats> Admin::consumer_progress(const std::string& group,
                                                        const std::string& topic) {
  RMQ_ASSIGN_OR_RETURN(const std::vector<std::string> masters, group_masters(group));
  RemotingCommand req = make_request(RequestCode::kGetConsumeStats);
  req.ext_fields.set("consumerGroup", group);
  if (!topic.empty()) req.ext_fields.set("topic", topic);
  protocol::ConsumeStats merged;
  size_t answered = 0;
  for (const std::string& addr : masters) {
    RMQ_ASSIGN_OR_RETURN(const RemotingCommand resp, invoke(addr, req));
    if (resp.code == num(ResponseCode::kSubscriptionGroupNotExist)) continue;
    if (resp.code != num(ResponseCode::kSuccess)) return response_error(addr, req.code, resp);
    auto stats = protocol::parse_consume_stats(resp.body.view());
    if (!stats.ok()) return body_error(addr, req.code, stats.status());
    merged.consume_tps += stats->consume_tps;
    merged.offset_table.merge(stats->offset_table);
    ++answered;
  }
  if (answered == 0) {
    return Status::not_found("consumer group '" + group + "' has no offsets or config on " +
                             join(masters));
  }
  return merged;
}

Result<protocol::ConsumerConnection> Admin::consumer_connection(const std::string& group) {
  RMQ_ASSIGN_OR_RETURN(const std::vector<std::string> masters, group_masters(group));
  RemotingCommand req = make_request(RequestCode::kGetConsumerConnectionList);
  req.ext_fields.set("consumerGroup", group);
  std::vector<std::string> failures;
  Status first_hard;  // the first failure other than CONSUMER_NOT_ONLINE
  for (const std::string& addr : masters) {
    auto resp = invoke(addr, req);
    if (!resp.ok()) {
      if (first_hard.is_ok()) first_hard = resp.status();
      failures.emplace_back(resp.status().message());
      continue;
    }
    if (resp->code != num(ResponseCode::kSuccess)) {
      const Status st = response_error(addr, req.code, *resp);
      if (resp->code != num(ResponseCode::kConsumerNotOnline) && first_hard.is_ok()) {
        first_hard = st;
      }
      failures.emplace_back(st.message());
      continue;
    }
    auto cc = protocol::parse_consumer_connection(resp->body.view());
    if (!cc.ok()) return body_error(addr, req.code, cc.status());
    return cc;
  }
  if (first_hard.is_ok()) {
    return Status::not_found("consumer group '" + group +
                             "' is not online: " + join(failures, "; "));
  }
  return Status(first_hard.code(), "consumer connections of '" + group +
                                       "': no broker answered: " + join(failures, "; "));
}

Result<std::map<protocol::MessageQueue, int64_t>> Admin::reset_offset_by_time(
    const std::string& topic, const std::string& group, int64_t timestamp_ms) {
  RMQ_ASSIGN_OR_RETURN(const protocol::TopicRouteData route, topic_route(topic));
  const std::vector<std::string> masters = route.master_addrs();
  if (masters.empty()) {
    return Status::unavailable("topic '" + topic + "' has no master (brokerId 0) in its route");
  }
  RemotingCommand req = make_request(RequestCode::kInvokeBrokerToResetOffset);
  req.ext_fields.set("topic", topic);
  req.ext_fields.set("group", group);
  req.ext_fields.set("timestamp", timestamp_ms);
  req.ext_fields.set("isForce", std::string("true"));
  std::map<protocol::MessageQueue, int64_t> merged;
  for (const std::string& addr : masters) {
    RMQ_ASSIGN_OR_RETURN(const RemotingCommand resp, invoke_ok(addr, req));
    auto offsets = protocol::parse_reset_offset_body(resp.body.view());
    if (!offsets.ok()) return body_error(addr, req.code, offsets.status());
    merged.merge(*offsets);
  }
  return merged;
}

// ---- messages ----

Result<MessageExt> Admin::query_msg_by_id(const std::string& msg_id) {
  RMQ_ASSIGN_OR_RETURN(const MsgIdParts id, parse_msg_id(msg_id));
  RemotingCommand req = make_request(RequestCode::kViewMessageById);
  req.ext_fields.set("offset", id.offset);
  RMQ_ASSIGN_OR_RETURN(const RemotingCommand resp, invoke_ok(id.address, req));
  auto messages = decode_stored_messages(resp.body.view());
  if (!messages.ok()) return body_error(id.address, req.code, messages.status());
  if (messages->empty()) {
    return body_error(id.address, req.code, Status::not_found("empty body: no message"));
  }
  return std::move(messages->front());
}

Result<std::vector<MessageExt>> Admin::query_messages(const std::string& topic,
                                                      const std::string& key, bool unique) {
  RMQ_ASSIGN_OR_RETURN(const protocol::TopicRouteData route, topic_route(topic));
  const std::vector<std::string> masters = route.master_addrs();
  if (masters.empty()) {
    return Status::unavailable("topic '" + topic + "' has no master (brokerId 0) in its route");
  }
  RemotingCommand req = make_request(RequestCode::kQueryMessage);
  req.ext_fields.set("topic", topic);
  req.ext_fields.set("key", key);
  req.ext_fields.set("maxNum", int64_t{64});
  req.ext_fields.set("beginTimestamp", int64_t{0});
  req.ext_fields.set("endTimestamp", std::numeric_limits<int64_t>::max());
  if (unique) req.ext_fields.set("_UNIQUE_KEY_QUERY", std::string("true"));
  std::vector<MessageExt> out;
  for (const std::string& addr : masters) {
    RMQ_ASSIGN_OR_RETURN(const RemotingCommand resp, invoke(addr, req));
    if (resp.code == num(ResponseCode::kQueryNotFound)) continue;
    if (resp.code != num(ResponseCode::kSuccess)) return response_error(addr, req.code, resp);
    auto messages = decode_stored_messages(resp.body.view());
    if (!messages.ok()) return body_error(addr, req.code, messages.status());
    for (MessageExt& m : *messages) out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<MessageExt>> Admin::query_msg_by_key(const std::string& topic,
                                                        const std::string& key) {
  return query_messages(topic, key, /*unique=*/false);
}

Result<std::vector<MessageExt>> Admin::query_msg_by_unique_key(const std::string& topic,
                                                               const std::string& uniq_key) {
  return query_messages(topic, uniq_key, /*unique=*/true);
}

// ---- broker write permission ----

Result<std::vector<std::string>> Admin::set_broker_permission(const std::string& broker_name,
                                                              int32_t perm) {
  RMQ_ASSIGN_OR_RETURN(const protocol::ClusterInfo info, cluster_info());
  const auto bd = info.broker_addr_table.find(broker_name);
  if (bd == info.broker_addr_table.end() || bd->second.broker_addrs.empty()) {
    std::vector<std::string> known;
    for (const auto& [name, data] : info.broker_addr_table) known.push_back(name);
    return Status::not_found(
        "broker '" + broker_name + "' is not registered with the NameServer" +
        (known.empty() ? std::string(" (no brokers)") : " (brokers: " + join(known) + ")"));
  }
  std::vector<std::string> addrs;
  for (const auto& [id, addr] : bd->second.broker_addrs) addrs.push_back(addr);
  RemotingCommand req = make_request(RequestCode::kUpdateBrokerConfig);
  req.body = common::Buffer("brokerPermission=" + std::to_string(perm) + "\n");
  return invoke_all(addrs, req,
                    "set brokerPermission=" + std::to_string(perm) + " on '" + broker_name + "'");
}

Result<std::vector<std::string>> Admin::wipe_write_perm(const std::string& broker_name) {
  return set_broker_permission(broker_name, kPermReadOnly);
}

Result<std::vector<std::string>> Admin::add_write_perm(const std::string& broker_name) {
  return set_broker_permission(broker_name, kPermReadWrite);
}

}  // namespace rmq::client
