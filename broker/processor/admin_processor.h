// AdminProcessor: the admin and lookup requests (RocketMQ AdminBrokerProcessor and
// QueryMessageProcessor): topic create/update/delete (17/215), all topic configs (21), broker
// config get/update (26/25), runtime info (28), offsets by time/max/min/earliest time (29-32),
// view by id (33), query by key (12), topic stats (202), consumer connections (203), consume stats
// (208), subscription groups (200/201/207), reset offset by time (222), all consumer offsets and
// delay progress (43/45, what classic slaves copy), and raftmq's own Raft status, leadership
// transfer and classic HA status. Changes go through the MetadataLog and are answered once
// applied; they need the leader.
#pragma once

#include "broker/broker_context.h"
#include "remoting/request_code.h"
#include "remoting/request_processor.h"

namespace rmq::broker {

// raftmq's own request codes (no RocketMQ tool has them).
inline constexpr int32_t kRaftStatusCode = remoting::kRaftmqCodeBase + 10;
inline constexpr int32_t kTransferLeaderCode = remoting::kRaftmqCodeBase + 11;
// Classic master/slave mode: the HA channel's state (role, offsets, per-slave acked offset, lag).
inline constexpr int32_t kHaStatusCode = remoting::kRaftmqCodeBase + 12;

class AdminProcessor final : public remoting::RequestProcessor {
 public:
  explicit AdminProcessor(BrokerContext& ctx) : ctx_(ctx) {}
  void process(const remoting::RequestContext& rc, remoting::RemotingCommand request,
               remoting::Responder responder) override;
  static const std::vector<int32_t>& handled_codes();

  // The KVTable of GET_BROKER_RUNTIME_INFO (also read by tests and the CLI).
  std::map<std::string, std::string> runtime_info() const;
  // The body of raftmq's RAFT_STATUS: JSON with role, term, indexes, peers and timeline.
  std::string raft_status_json() const;

 private:
  void create_topic(const remoting::RemotingCommand& req, remoting::Responder responder);
  void delete_topic(const remoting::RemotingCommand& req, remoting::Responder responder);
  remoting::RemotingCommand all_topic_config(const remoting::RemotingCommand& req);
  remoting::RemotingCommand get_config(const remoting::RemotingCommand& req);
  remoting::RemotingCommand update_config(const remoting::RemotingCommand& req);
  remoting::RemotingCommand offset_request(const remoting::RemotingCommand& req);
  remoting::RemotingCommand view_message(const remoting::RemotingCommand& req);
  remoting::RemotingCommand query_message(const remoting::RemotingCommand& req);
  remoting::RemotingCommand topic_stats(const remoting::RemotingCommand& req);
  remoting::RemotingCommand consumer_connection(const remoting::RemotingCommand& req);
  remoting::RemotingCommand consume_stats(const remoting::RemotingCommand& req);
  void update_group(const remoting::RemotingCommand& req, remoting::Responder responder);
  remoting::RemotingCommand all_groups(const remoting::RemotingCommand& req);
  remoting::RemotingCommand all_offsets(const remoting::RemotingCommand& req);
  remoting::RemotingCommand all_delay_offsets(const remoting::RemotingCommand& req);
  void delete_group(const remoting::RemotingCommand& req, remoting::Responder responder);
  void reset_offset(const remoting::RemotingCommand& req, remoting::Responder responder);
  void transfer_leader(const remoting::RemotingCommand& req, remoting::Responder responder);
  int64_t last_store_time(const std::string& topic, int32_t queue_id, int64_t max_offset) const;

  BrokerContext& ctx_;
};

}  // namespace rmq::broker
