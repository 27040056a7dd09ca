#include "broker/processor/client_processor.h"

#include "broker/client/client_manager.h"
#include "broker/client/rebalance_lock.h"
#include "broker/consumer_offset_manager.h"
#include "broker/processor/processor_util.h"
#include "broker/subscription_group_manager.h"
#include "broker/topic_config_manager.h"
#include "common/logging.h"
#include "remoting/protocol/body.h"
#include "remoting/protocol/heartbeat.h"
#include "store/message_store.h"

namespace rmq::broker {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

void ClientProcessor::process(const remoting::RequestContext& rc, RemotingCommand req,
                              remoting::Responder responder) {
  switch (static_cast<RequestCode>(req.code)) {
    case RequestCode::kHeartBeat:
      responder.respond(heartbeat(rc, req));
      return;
    case RequestCode::kUnregisterClient:
      responder.respond(unregister(req));
      return;
    case RequestCode::kGetConsumerListByGroup:
      responder.respond(consumer_list(req));
      return;
    case RequestCode::kQueryConsumerOffset:
      responder.respond(query_offset(req));
      return;
    case RequestCode::kUpdateConsumerOffset:
      update_offset(req, std::move(responder));
      return;
    case RequestCode::kLockBatchMq:
      responder.respond(lock_batch(req, true));
      return;
    case RequestCode::kUnlockBatchMq:
      responder.respond(lock_batch(req, false));
      return;
    default:
      responder.respond(reply(req, ResponseCode::kRequestCodeNotSupported,
                              " request type " + std::to_string(req.code) + " not supported"));
  }
}

RemotingCommand ClientProcessor::heartbeat(const remoting::RequestContext& rc,
                                           const RemotingCommand& req) {
  auto hb = remoting::protocol::parse_heartbeat(common::ByteView(req.body.data(), req.body.size()));
  if (!hb.ok()) {
    return reply(req, ResponseCode::kSystemError,
                 "bad heartbeat body: " + std::string(hb.status().message()));
  }
  ClientChannel ch;
  ch.connection_id = rc.connection_id;
  ch.remote_address = rc.remote_address;
  ch.connection = rc.connection;
  ch.language = req.language;
  ch.version = req.version;
  const std::vector<std::string> changed = ctx_.clients.register_heartbeat(*hb, ch);
  for (const auto& c : hb->consumers) {
    auto g = ctx_.groups.find_or_create(c.group);
    if (!g) continue;
    // The group's retry topic, as Java creates it on a consumer heartbeat (leader only).
    const std::string retry = kRetryGroupTopicPrefix + c.group;
    if (!ctx_.topics.find(retry) && ctx_.writable_node()) {
      ctx_.topics.create_if_missing(retry, std::max(1, g->retry_queue_nums), kPermRead | kPermWrite,
                                    [](common::Result<store::TopicConfig>) {});
    }
  }
  for (const auto& group : changed) {
    auto g = ctx_.groups.find(group);
    if (!g || g->notify_consumer_ids_changed_enable) ctx_.notify_consumers_changed(group);
  }
  return reply(req, ResponseCode::kSuccess);
}

RemotingCommand ClientProcessor::unregister(const RemotingCommand& req) {
  HeaderReader f(req);
  const std::string client_id = f.str("clientID");
  if (f.failed()) return f.error();
  const std::string producer = f.opt_str("producerGroup").value_or("");
  const std::string consumer = f.opt_str("consumerGroup").value_or("");
  if (ctx_.clients.unregister(client_id, producer, consumer)) {
    ctx_.notify_consumers_changed(consumer);
  }
  return reply(req, ResponseCode::kSuccess);
}

RemotingCommand ClientProcessor::consumer_list(const RemotingCommand& req) {
  HeaderReader f(req);
  const std::string group = f.str("consumerGroup");
  if (f.failed()) return f.error();
  auto ids = ctx_.clients.consumer_ids(group);
  if (ids.empty()) {
    return reply(req, ResponseCode::kSystemError, "no consumer for this group, " + group);
  }
  auto resp = reply(req, ResponseCode::kSuccess);
  resp.body = common::Buffer(std::string_view(remoting::protocol::encode_consumer_id_list(ids)));
  return resp;
}

RemotingCommand ClientProcessor::query_offset(const RemotingCommand& req) {
  HeaderReader f(req);
  const std::string group = f.str("consumerGroup");
  const std::string topic = f.str("topic");
  const int32_t queue_id = f.int32("queueId");
  if (f.failed()) return f.error();
  const bool zero_if_not_found = f.flag("setZeroIfNotFound", true);
  if (auto off = ctx_.offsets.query(store::OffsetKey{group, topic, queue_id})) {
    auto resp = reply(req, ResponseCode::kSuccess);
    resp.ext_fields.set("offset", std::to_string(*off));
    return resp;
  }
  // No committed offset: a queue that still starts at 0 is read from its beginning (Java, when
  // the first message is still in memory); otherwise the client decides by consumeFromWhere.
  if (zero_if_not_found && ctx_.store.min_offset_in_queue(topic, queue_id) <= 0) {
    auto resp = reply(req, ResponseCode::kSuccess);
    resp.ext_fields.set("offset", "0");
    return resp;
  }
  return reply(req, ResponseCode::kQueryNotFound,
               "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first");
}

void ClientProcessor::update_offset(const RemotingCommand& req, remoting::Responder responder) {
  HeaderReader f(req);
  const std::string group = f.str("consumerGroup");
  const std::string topic = f.str("topic");
  const int32_t queue_id = f.int32("queueId");
  const int64_t offset = f.int64("commitOffset");
  if (f.failed()) {
    responder.respond(f.error());
    return;
  }
  if (offset < 0) {
    responder.respond(reply(req, ResponseCode::kInvalidParameter,
                            "commitOffset " + std::to_string(offset) + " is negative"));
    return;
  }
  if (!ctx_.writable_node()) {
    responder.respond(reply(req, ResponseCode::kServiceNotAvailable, ctx_.not_writable_reason()));
    return;
  }
  const int32_t opaque = req.opaque;
  ctx_.offsets.commit(
      store::OffsetKey{group, topic, queue_id}, offset,
      [opaque, responder = std::move(responder)](common::Status st) {
        if (st.is_ok()) {
          responder.respond(reply_opaque(opaque, code(ResponseCode::kSuccess)));
        } else {
          responder.respond(reply_opaque(opaque, code(ResponseCode::kServiceNotAvailable),
                                         std::string(st.message())));
        }
      });
}

RemotingCommand ClientProcessor::lock_batch(const RemotingCommand& req, bool lock) {
  const common::ByteView body(req.body.data(), req.body.size());
  auto r = lock ? remoting::protocol::parse_lock_batch_request(body)
                : remoting::protocol::parse_unlock_batch_request(body);
  if (!r.ok()) {
    return reply(req, ResponseCode::kSystemError,
                 "bad lock batch body: " + std::string(r.status().message()));
  }
  if (!lock) {
    ctx_.locks.unlock_batch(r->consumer_group, r->mq_set, r->client_id);
    return reply(req, ResponseCode::kSuccess);
  }
  auto locked = ctx_.locks.try_lock_batch(r->consumer_group, r->mq_set, r->client_id);
  auto resp = reply(req, ResponseCode::kSuccess);
  resp.body =
      common::Buffer(std::string_view(remoting::protocol::encode_lock_batch_response(locked)));
  return resp;
}

}  // namespace rmq::broker
