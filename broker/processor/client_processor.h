// ClientProcessor: the client-management and consumer-management requests (RocketMQ
// ClientManageProcessor + ConsumerManageProcessor): HEART_BEAT (34), UNREGISTER_CLIENT (35),
// GET_CONSUMER_LIST_BY_GROUP (38), QUERY/UPDATE_CONSUMER_OFFSET (14/15), LOCK/UNLOCK_BATCH_MQ
// (41/42). Heartbeats register producers and consumers (both enum dialects), create the group's
// %RETRY% topic on the leader, and notify a group's consumers when its membership changes. An
// offset update is answered once it is replicated (group commit).
#pragma once

#include "broker/broker_context.h"
#include "remoting/request_processor.h"

namespace rmq::broker {

class ClientProcessor final : public remoting::RequestProcessor {
 public:
  explicit ClientProcessor(BrokerContext& ctx) : ctx_(ctx) {}
  void process(const remoting::RequestContext& rc, remoting::RemotingCommand request,
               remoting::Responder responder) override;

 private:
  remoting::RemotingCommand heartbeat(const remoting::RequestContext& rc,
                                      const remoting::RemotingCommand& req);
  remoting::RemotingCommand unregister(const remoting::RemotingCommand& req);
  remoting::RemotingCommand consumer_list(const remoting::RemotingCommand& req);
  remoting::RemotingCommand query_offset(const remoting::RemotingCommand& req);
  void update_offset(const remoting::RemotingCommand& req, remoting::Responder responder);
  remoting::RemotingCommand lock_batch(const remoting::RemotingCommand& req, bool lock);

  BrokerContext& ctx_;
};

}  // namespace rmq::broker
