#include "namesrv/namesrv_processor.h"

#include "common/crc32.h"
#include "common/logging.h"
#include "namesrv/kv_config_manager.h"
#include "namesrv/route_info_manager.h"
#include "namesrv/route_json.h"
#include "remoting/connection.h"
#include "remoting/protocol/body.h"
#include "remoting/protocol/route_data.h"

#include <optional>
#include <string>
#include <utility>

namespace rmq::namesrv {
namespace {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

std::shared_ptr<spdlog::logger> logger() { return common::logger("namesrv"); }

RemotingCommand error(const RemotingCommand& req, ResponseCode code, std::string remark) {
  return RemotingCommand::response_to(req, code, std::move(remark));
}

// Java's wording when a @CFNotNull header field is absent.
RemotingCommand missing(const RemotingCommand& req, std::string_view key) {
  return error(req, ResponseCode::kSystemError,
               "the custom field <" + std::string(key) + "> is null");
}

RemotingCommand bad_value(const RemotingCommand& req, std::string_view key, std::string_view what) {
  const std::string* v = req.ext(key);
  return error(req, ResponseCode::kSystemError,
               "the custom field <" + std::string(key) + "> is not " + std::string(what) + ": '" +
                   (v != nullptr ? *v : std::string()) + "'");
}

RemotingCommand success(const RemotingCommand& req, std::string body = {}) {
  auto resp = RemotingCommand::response_to(req, ResponseCode::kSuccess);
  if (!body.empty()) resp.body = common::Buffer(body);
  return resp;
}

// Collects the string header fields a handler needs; the first absent (or, when `non_empty`,
// empty) one becomes the error response.
class Fields {
 public:
  explicit Fields(const RemotingCommand& req) : req_(req) {}
  const std::string& get(std::string_view key, bool non_empty = false) {
    static const std::string kEmpty;
    const std::string* v = req_.ext(key);
    if ((v == nullptr || (non_empty && v->empty())) && !error_) error_ = missing(req_, key);
    return v != nullptr ? *v : kEmpty;
  }
  std::optional<int64_t> get_int(std::string_view key) {
    if (error_) return std::nullopt;
    if (req_.ext(key) == nullptr) {
      error_ = missing(req_, key);
      return std::nullopt;
    }
    auto v = req_.ext_int(key);
    if (!v) error_ = bad_value(req_, key, "an integer");
    return v;
  }
  std::optional<RemotingCommand>& error() { return error_; }

 private:
  const RemotingCommand& req_;
  std::optional<RemotingCommand> error_;
};

}  // namespace

NamesrvProcessor::NamesrvProcessor(RouteInfoManager& routes, KvConfigManager& kv,
                                   NamesrvProcessorOptions options)
    : routes_(routes), kv_(kv), options_(options) {}

const std::vector<RequestCode>& NamesrvProcessor::handled_codes() {
  static const std::vector<RequestCode> kCodes = {
      RequestCode::kPutKvConfig,          RequestCode::kGetKvConfig,
      RequestCode::kDeleteKvConfig,       RequestCode::kRegisterBroker,
      RequestCode::kUnregisterBroker,     RequestCode::kGetRouteinfoByTopic,
      RequestCode::kGetBrokerClusterInfo, RequestCode::kGetAllTopicListFromNameserver,
      RequestCode::kDeleteTopicInNamesrv, RequestCode::kGetKvlistByNamespace,
      RequestCode::kGetTopicsByCluster,
  };
  return kCodes;
}

void NamesrvProcessor::process(const remoting::RequestContext& ctx, RemotingCommand request,
                               remoting::Responder responder) {
  // A registration whose connection already closed (queued behind the close) is not tied to it:
  // it expires like one of unknown origin.
  const auto conn = ctx.connection.lock();
  const uint64_t connection_id = conn != nullptr && conn->is_open() ? ctx.connection_id : 0;
  responder.respond(handle(request, ctx.remote_address, connection_id));
}

RemotingCommand NamesrvProcessor::handle(const RemotingCommand& req, const std::string& remote,
                                         uint64_t connection_id) {
  switch (static_cast<RequestCode>(req.code)) {
    case RequestCode::kPutKvConfig:
      return put_kv_config(req);
    case RequestCode::kGetKvConfig:
      return get_kv_config(req);
    case RequestCode::kDeleteKvConfig:
      return delete_kv_config(req);
    case RequestCode::kRegisterBroker:
      return register_broker(req, remote, connection_id);
    case RequestCode::kUnregisterBroker:
      return unregister_broker(req);
    case RequestCode::kGetRouteinfoByTopic:
      return get_route_info(req);
    case RequestCode::kGetBrokerClusterInfo:
      return get_cluster_info(req);
    case RequestCode::kGetAllTopicListFromNameserver:
      return get_all_topics(req);
    case RequestCode::kDeleteTopicInNamesrv:
      return delete_topic(req);
    case RequestCode::kGetKvlistByNamespace:
      return get_kv_list(req);
    case RequestCode::kGetTopicsByCluster:
      return get_topics_by_cluster(req);
    default:
      return error(req, ResponseCode::kRequestCodeNotSupported,
                   " request type " + std::to_string(req.code) + " not supported");
  }
}

RemotingCommand NamesrvProcessor::register_broker(const RemotingCommand& req,
                                                  const std::string& remote,
                                                  uint64_t connection_id) {
  Fields f(req);
  RegisterBrokerRequest r;
  r.connection_id = connection_id;
  r.broker_name = f.get("brokerName", /*non_empty=*/true);
  r.broker_addr = f.get("brokerAddr", /*non_empty=*/true);
  r.cluster_name = f.get("clusterName", /*non_empty=*/true);
  const auto broker_id = f.get_int("brokerId");
  if (f.error()) return std::move(*f.error());
  r.broker_id = *broker_id;
  if (const std::string* ha = req.ext("haServerAddr")) r.ha_server_addr = *ha;
  if (req.ext("raftTerm") != nullptr) {
    const auto term = req.ext_int("raftTerm");
    if (!term || *term < 0) return bad_value(req, "raftTerm", "a non-negative integer");
    r.raft_term = common::Term(static_cast<uint64_t>(*term));
  }
  if (req.ext("bodyCrc32") != nullptr) {
    const auto crc = req.ext_int("bodyCrc32");
    if (!crc) return bad_value(req, "bodyCrc32", "an integer");
    // UtilAll.crc32(): the CRC32 of the body as a Java int with the sign bit cleared.
    const int64_t actual = common::crc32(req.body.view()) & 0x7FFFFFFF;
    if (*crc != 0 && *crc != actual) {
      logger()->warn("REGISTER_BROKER from {}: crc32 not match", remote);
      return error(req, ResponseCode::kSystemError, "crc32 not match");
    }
  }
  auto compression = BodyCompression::kNone;
  if (req.ext("compressed") != nullptr) {
    const auto compressed = req.ext_bool("compressed");
    if (!compressed) return bad_value(req, "compressed", "a boolean");
    if (*compressed) compression = BodyCompression::kZlib;
  }
  auto body = decode_register_broker_body(req.body.view(), compression);
  if (!body.ok()) {
    logger()->warn("REGISTER_BROKER from {} ({}): {}", remote, r.broker_addr,
                   body.status().to_string());
    return error(req, ResponseCode::kSystemError,
                 "Failed to decode RegisterBrokerBody: " + std::string(body.status().message()));
  }
  r.body = std::move(body).value();

  auto result = routes_.register_broker(r);
  if (!result.ok()) return error(req, ResponseCode::kSystemError, result.status().to_string());
  auto resp = success(req);
  if (!result->ha_server_addr.empty()) resp.ext_fields.set("haServerAddr", result->ha_server_addr);
  if (!result->master_addr.empty()) resp.ext_fields.set("masterAddr", result->master_addr);
  if (auto order_conf = kv_.list(kNamespaceOrderTopicConfig)) {
    resp.body = common::Buffer(remoting::protocol::encode_kv_table(*order_conf));
  }
  return resp;
}

RemotingCommand NamesrvProcessor::unregister_broker(const RemotingCommand& req) {
  Fields f(req);
  const std::string& name = f.get("brokerName", /*non_empty=*/true);
  const std::string& addr = f.get("brokerAddr", /*non_empty=*/true);
  const std::string& cluster = f.get("clusterName");
  const auto broker_id = f.get_int("brokerId");
  if (f.error()) return std::move(*f.error());
  routes_.unregister_broker(cluster, addr, name, *broker_id);
  return success(req);
}

RemotingCommand NamesrvProcessor::get_route_info(const RemotingCommand& req) {
  Fields f(req);
  const std::string& topic = f.get("topic");
  if (f.error()) return std::move(*f.error());
  auto route = routes_.topic_route(topic);
  if (!route.ok()) {
    return error(req, ResponseCode::kTopicNotExist,
                 "No topic route info in name server for the topic: " + topic);
  }
  if (options_.order_message_enable) {
    route->order_topic_conf = kv_.get(kNamespaceOrderTopicConfig, topic);
  }
  return success(req, remoting::protocol::encode_topic_route_data(*route));
}

RemotingCommand NamesrvProcessor::get_cluster_info(const RemotingCommand& req) {
  return success(req, remoting::protocol::encode_cluster_info(routes_.cluster_info()));
}

RemotingCommand NamesrvProcessor::get_all_topics(const RemotingCommand& req) {
  return success(req, remoting::protocol::encode_topic_list(routes_.all_topics()));
}

RemotingCommand NamesrvProcessor::get_topics_by_cluster(const RemotingCommand& req) {
  Fields f(req);
  const std::string& cluster = f.get("cluster");
  if (f.error()) return std::move(*f.error());
  return success(req, remoting::protocol::encode_topic_list(routes_.topics_by_cluster(cluster)));
}

RemotingCommand NamesrvProcessor::delete_topic(const RemotingCommand& req) {
  Fields f(req);
  const std::string& topic = f.get("topic", /*non_empty=*/true);
  if (f.error()) return std::move(*f.error());
  const std::string* cluster = req.ext("clusterName");
  std::optional<std::string_view> in_cluster;
  if (cluster != nullptr && !cluster->empty()) in_cluster = *cluster;
  const bool removed = routes_.delete_topic(topic, in_cluster);
  logger()->info("DELETE_TOPIC_IN_NAMESRV {}{}{}: {}", topic, in_cluster ? " in " : "",
                 in_cluster.value_or(""), removed ? "removed" : "not found");
  return success(req);
}

RemotingCommand NamesrvProcessor::put_kv_config(const RemotingCommand& req) {
  Fields f(req);
  const std::string& ns = f.get("namespace");
  const std::string& key = f.get("key");
  const std::string& value = f.get("value");
  if (f.error()) return std::move(*f.error());
  kv_.put(ns, key, value);
  return success(req);
}

RemotingCommand NamesrvProcessor::get_kv_config(const RemotingCommand& req) {
  Fields f(req);
  const std::string& ns = f.get("namespace");
  const std::string& key = f.get("key");
  if (f.error()) return std::move(*f.error());
  auto value = kv_.get(ns, key);
  if (!value) {
    return error(req, ResponseCode::kQueryNotFound,
                 "No config item, Namespace: " + ns + " Key: " + key);
  }
  auto resp = success(req);
  resp.ext_fields.set("value", std::move(*value));
  return resp;
}

RemotingCommand NamesrvProcessor::delete_kv_config(const RemotingCommand& req) {
  Fields f(req);
  const std::string& ns = f.get("namespace");
  const std::string& key = f.get("key");
  if (f.error()) return std::move(*f.error());
  kv_.remove(ns, key);
  return success(req);
}

RemotingCommand NamesrvProcessor::get_kv_list(const RemotingCommand& req) {
  Fields f(req);
  const std::string& ns = f.get("namespace");
  if (f.error()) return std::move(*f.error());
  auto table = kv_.list(ns);
  if (!table) return error(req, ResponseCode::kQueryNotFound, "No config item, Namespace: " + ns);
  return success(req, remoting::protocol::encode_kv_table(*table));
}

}  // namespace rmq::namesrv
