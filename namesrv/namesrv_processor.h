// NamesrvProcessor: the NameServer's request handlers (RocketMQ's DefaultRequestProcessor) over
// the route table and the KV config: REGISTER/UNREGISTER_BROKER, GET_ROUTEINFO_BY_TOPIC, cluster
// info, topic lists, DELETE_TOPIC_IN_NAMESRV and the KV config codes. handle() is synchronous and
// pure (no sockets), so unit tests call it directly; process() runs it on the executor registered
// for the code and answers at once. Thread-safe: the state lives in the two managers.
// Malformed requests are answered SYSTEM_ERROR with a remark naming the problem, as Java does.
#pragma once

#include "remoting/request_processor.h"

#include <cstdint>
#include <vector>

namespace rmq::namesrv {

class KvConfigManager;
class RouteInfoManager;

struct NamesrvProcessorOptions {
  // NamesrvConfig.orderMessageEnable: fill TopicRouteData.orderTopicConf from the
  // ORDER_TOPIC_CONFIG namespace of the KV config.
  bool order_message_enable = false;
};

class NamesrvProcessor final : public remoting::RequestProcessor {
 public:
  NamesrvProcessor(RouteInfoManager& routes, KvConfigManager& kv,
                   NamesrvProcessorOptions options = {});

  // The request codes handle() answers; register the processor for each of them.
  static const std::vector<remoting::RequestCode>& handled_codes();

  void process(const remoting::RequestContext& ctx, remoting::RemotingCommand request,
               remoting::Responder responder) override;

  // The response to `request` (its opaque echoed, RESPONSE flag set). `remote` names the peer
  // in logs; a broker registering over `connection_id` (non-zero) is dropped from the routes when
  // that connection closes. A code outside handled_codes() is answered REQUEST_CODE_NOT_SUPPORTED.
  remoting::RemotingCommand handle(const remoting::RemotingCommand& request,
                                   const std::string& remote = {}, uint64_t connection_id = 0);

 private:
  using Command = remoting::RemotingCommand;
  Command register_broker(const Command& req, const std::string& remote, uint64_t connection_id);
  Command unregister_broker(const Command& req);
  Command get_route_info(const Command& req);
  Command get_cluster_info(const Command& req);
  Command get_all_topics(const Command& req);
  Command get_topics_by_cluster(const Command& req);
  Command delete_topic(const Command& req);
  Command put_kv_config(const Command& req);
  Command get_kv_config(const Command& req);
  Command delete_kv_config(const Command& req);
  Command get_kv_list(const Command& req);

  RouteInfoManager& routes_;
  KvConfigManager& kv_;
  const NamesrvProcessorOptions options_;
};

}  // namespace rmq::namesrv
