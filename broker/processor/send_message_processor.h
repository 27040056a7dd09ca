// SendMessageProcessor: SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and
// CONSUMER_SEND_MSG_BACK (36) (RocketMQ SendMessageProcessor). Only the leader (or the local
// node) stores; a follower answers SERVICE_NOT_AVAILABLE naming the leader. The response is
// written from the store's completion callback once a majority holds the message, so no thread
// waits. Validation follows PROTOCOL.md §5.1: topic name, permissions, queue id, body and
// properties size; auto-creation of topics behind autoCreateTopicEnable (TBW102); %RETRY% sends
// past the max reconsume count go to %DLQ%; DELAY goes to SCHEDULE_TOPIC_XXXX.
#pragma once

#include "broker/broker_context.h"
#include "remoting/request_processor.h"
#include "store/commit_log.h"
#include "store/meta/meta_store.h"

#include <atomic>

namespace rmq::broker {

// The send request header, from either the long names (10) or the V2 letters (310/320).
struct SendHeader {
  std::string producer_group;
  std::string topic;
  std::string default_topic;
  int32_t default_topic_queue_nums = 4;
  int32_t queue_id = -1;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  int32_t flag = 0;
  std::string properties;
  int32_t reconsume_times = 0;
  bool unit_mode = false;
  int32_t max_reconsume_times = -1;  // absent
  bool batch = false;
};
// InvalidArgument naming the missing or malformed field.
[[nodiscard]] common::Result<SendHeader> decode_send_header(const remoting::RemotingCommand& req);

// The response code for a store outcome (one mapping for every put path).
int32_t put_status_to_code(store::PutStatus s);

class SendMessageProcessor final : public remoting::RequestProcessor {
 public:
  explicit SendMessageProcessor(BrokerContext& ctx) : ctx_(ctx) {}
  void process(const remoting::RequestContext& rc, remoting::RemotingCommand request,
               remoting::Responder responder) override;

 private:
  void send(const remoting::RequestContext& rc, remoting::RemotingCommand request,
            remoting::Responder responder);
  // `arrived`: when process() began (the send latency histogram starts there).
  void store_message(const remoting::RemotingCommand& req, SendHeader h,
                     const store::TopicConfig& topic, const std::string& born_addr,
                     remoting::Responder responder, common::TimePoint arrived);
  void put(store::MessageInput m, bool batch, int32_t opaque, remoting::Responder responder,
           const common::Buffer* batch_body, common::TimePoint arrived);
  void send_back(const remoting::RequestContext& rc, remoting::RemotingCommand request,
                 remoting::Responder responder);

  BrokerContext& ctx_;
  std::atomic<uint32_t> round_robin_{0};
};

}  // namespace rmq::broker
