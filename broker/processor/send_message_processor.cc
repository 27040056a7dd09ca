#include "broker/processor/send_message_processor.h"

#include "broker/processor/processor_util.h"
#include "broker/schedule/schedule_message_service.h"
#include "broker/subscription_group_manager.h"
#include "broker/topic_config_manager.h"
#include "common/logging.h"
#include "store/message_store.h"

#include <array>
#include <memory>

namespace rmq::broker {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;
using store::PutStatus;

namespace {

// The send header's fields: SEND_MESSAGE_V2 names them a..m, SEND_MESSAGE by these names.
constexpr std::array<std::string_view, 13> kSendFieldNames = {
    "producerGroup", "topic",          "defaultTopic",  "defaultTopicQueueNums",
    "queueId",       "sysFlag",        "bornTimestamp", "flag",
    "properties",    "reconsumeTimes", "unitMode",      "maxReconsumeTimes",
    "batch"};

}  // namespace

common::Result<SendHeader> decode_send_header(const RemotingCommand& req) {
  // One pass over the header (it is decoded for every send): a V2 letter wins over the long
  // name, and a later duplicate over an earlier one, as in RocketMQ's decoding.
  const bool v2 = req.code != static_cast<int32_t>(RequestCode::kSendMessage);
  std::array<const std::string*, kSendFieldNames.size()> by_letter{};
  std::array<const std::string*, kSendFieldNames.size()> by_name{};
  for (const auto& [key, value] : req.ext_fields.entries()) {
    if (key.size() == 1) {
      const size_t i = static_cast<size_t>(key[0] - 'a');
      if (v2 && i < by_letter.size()) by_letter[i] = &value;
      continue;
    }
    for (size_t i = 0; i < kSendFieldNames.size(); ++i) {
      if (key == kSendFieldNames[i]) {
        by_name[i] = &value;
        break;
      }
    }
  }
  auto value_of = [&](size_t i) { return by_letter[i] != nullptr ? by_letter[i] : by_name[i]; };
  auto missing = [&](size_t i) {
    return common::Status::invalid_argument("the custom field <" + std::string(kSendFieldNames[i]) +
                                            "> is null");
  };
  SendHeader h;
  auto str = [&](size_t i, std::string& out, bool required) -> common::Status {
    const std::string* s = value_of(i);
    if (s == nullptr) return required ? missing(i) : common::Status::ok();
    out = *s;
    return common::Status::ok();
  };
  auto num = [&](size_t i, auto& out, bool required) -> common::Status {
    const std::string* s = value_of(i);
    if (s == nullptr) return required ? missing(i) : common::Status::ok();
    const std::optional<int64_t> v = remoting::parse_ext_int(*s);
    if (!v) {
      return common::Status::invalid_argument("the custom field <" +
                                              std::string(kSendFieldNames[i]) +
                                              "> is not a number: '" + *s + "'");
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(*v);
    return common::Status::ok();
  };
  auto flag = [&](size_t i) {
    const std::string* s = value_of(i);
    return s != nullptr && remoting::parse_ext_bool(*s).value_or(false);
  };
  RMQ_RETURN_IF_ERROR(str(0, h.producer_group, true));
  RMQ_RETURN_IF_ERROR(str(1, h.topic, true));
  RMQ_RETURN_IF_ERROR(str(2, h.default_topic, false));
  RMQ_RETURN_IF_ERROR(num(3, h.default_topic_queue_nums, false));
  RMQ_RETURN_IF_ERROR(num(4, h.queue_id, true));
  RMQ_RETURN_IF_ERROR(num(5, h.sys_flag, true));
  RMQ_RETURN_IF_ERROR(num(6, h.born_timestamp, true));
  RMQ_RETURN_IF_ERROR(num(7, h.flag, true));
  RMQ_RETURN_IF_ERROR(str(8, h.properties, false));
  RMQ_RETURN_IF_ERROR(num(9, h.reconsume_times, false));
  h.unit_mode = flag(10);
  RMQ_RETURN_IF_ERROR(num(11, h.max_reconsume_times, false));
  h.batch = flag(12);
  return h;
}

int32_t put_status_to_code(PutStatus s) {
  switch (s) {
    case PutStatus::kOk:
      return code(ResponseCode::kSuccess);
    case PutStatus::kFlushDiskTimeout:
      return code(ResponseCode::kFlushDiskTimeout);
    case PutStatus::kFlushSlaveTimeout:
      return code(ResponseCode::kFlushSlaveTimeout);
    case PutStatus::kSlaveNotAvailable:
      return code(ResponseCode::kSlaveNotAvailable);
    case PutStatus::kServiceNotAvailable:
      return code(ResponseCode::kServiceNotAvailable);
    case PutStatus::kMessageIllegal:
    case PutStatus::kPropertiesSizeExceeded:
      return code(ResponseCode::kMessageIllegal);
    case PutStatus::kOsPageCacheBusy:
      return code(ResponseCode::kSystemBusy);
    case PutStatus::kDiskFull:
      return code(ResponseCode::kServiceNotAvailable);
    case PutStatus::kCreateMappedFileFailed:
    case PutStatus::kUnknownError:
      return code(ResponseCode::kSystemError);
  }
  return code(ResponseCode::kSystemError);
}

void SendMessageProcessor::process(const remoting::RequestContext& rc, RemotingCommand request,
                                   remoting::Responder responder) {
  if (request.code == code(RequestCode::kConsumerSendMsgBack)) {
    send_back(rc, std::move(request), std::move(responder));
  } else {
    send(rc, std::move(request), std::move(responder));
  }
}

void SendMessageProcessor::send(const remoting::RequestContext& rc, RemotingCommand req,
                                remoting::Responder responder) {
  const common::TimePoint arrived = ctx_.clock.now();
  auto header = decode_send_header(req);
  if (!header.ok()) {
    responder.respond(
        reply(req, ResponseCode::kSystemError, std::string(header.status().message())));
    return;
  }
  SendHeader h = std::move(header).value();
  if (!ctx_.writable_node()) {
    responder.respond(reply(req, ResponseCode::kServiceNotAvailable, ctx_.not_writable_reason()));
    return;
  }
  if ((ctx_.permission.load() & kPermWrite) == 0) {
    responder.respond(
        reply(req, ResponseCode::kNoPermission,
              "the broker[" + ctx_.config.broker_name + "] sending message is forbidden"));
    return;
  }
  if (std::string why = check_topic_name(h.topic); !why.empty()) {
    responder.respond(
        reply(req, ResponseCode::kMessageIllegal, why + ": '" + h.topic.substr(0, 200) + "'"));
    return;
  }
  if (h.topic == kAutoCreateTopicKey ||
      (ctx_.topics.is_system_topic(h.topic) && h.topic != kScheduleTopicName &&
       h.topic.rfind("SELF_TEST", 0) != 0)) {
    responder.respond(
        reply(req, ResponseCode::kNoPermission,
              "the topic[" + h.topic + "] is a system topic; sending to it is not allowed"));
    return;
  }
  if (req.body.size() > static_cast<size_t>(ctx_.config.max_message_size)) {
    responder.respond(reply(req, ResponseCode::kMessageIllegal,
                            "the message body size over max value, MAX: " +
                                std::to_string(ctx_.config.max_message_size)));
    return;
  }
  if (h.properties.size() > store::kMaxPropertiesLength) {
    responder.respond(reply(req, ResponseCode::kMessageIllegal,
                            "the message properties length is too long, MAX: " +
                                std::to_string(store::kMaxPropertiesLength)));
    return;
  }
  // %RETRY% sends past the max reconsume count go to the group's DLQ (PROTOCOL.md §5.1).
  const bool is_retry = h.topic.rfind(kRetryGroupTopicPrefix, 0) == 0;
  if (is_retry) {
    const std::string group = h.topic.substr(std::string_view(kRetryGroupTopicPrefix).size());
    auto g = ctx_.groups.find_or_create(group);
    const int32_t max =
        h.max_reconsume_times >= 0 ? h.max_reconsume_times : (g ? g->retry_max_times : 16);
    if (h.reconsume_times > max) {
      h.topic = kDlqGroupTopicPrefix + group;
      h.queue_id = 0;
    }
  }
  auto topic = ctx_.topics.find(h.topic);
  if (topic) {
    store_message(req, std::move(h), *topic, rc.remote_address, std::move(responder), arrived);
    return;
  }
  // Unknown topic: retry/DLQ topics are created on demand; others need auto-creation via TBW102.
  int32_t queues = 0;
  int32_t perm = kPermRead | kPermWrite;
  if (is_retry || h.topic.rfind(kDlqGroupTopicPrefix, 0) == 0) {
    queues = 1;
  } else if (ctx_.config.auto_create_topic_enable) {
    const std::string def = h.default_topic.empty() ? kAutoCreateTopicKey : h.default_topic;
    auto d = ctx_.topics.find(def);
    if (d && (d->perm & kPermInherit) != 0) {
      queues = std::max(1, std::min(h.default_topic_queue_nums, d->write_queue_nums));
      perm = d->perm & ~kPermInherit;
    }
  }
  if (queues == 0) {
    responder.respond(reply(req, ResponseCode::kTopicNotExist,
                            "topic[" + h.topic + "] not exist, apply first please!"));
    return;
  }
  // The request outlives this call only on this path (the topic is created first).
  auto shared_req = std::make_shared<RemotingCommand>(std::move(req));
  const std::string born = rc.remote_address;
  const std::string name = h.topic;
  ctx_.topics.create_if_missing(
      name, queues, perm,
      [this, shared_req, h = std::move(h), born, responder,
       arrived](common::Result<store::TopicConfig> t) mutable {
        if (!t.ok()) {
          responder.respond(reply(
              *shared_req, ResponseCode::kServiceNotAvailable,
              "could not create topic[" + h.topic + "]: " + std::string(t.status().message())));
          return;
        }
        store_message(*shared_req, std::move(h), *t, born, std::move(responder), arrived);
      });
}

void SendMessageProcessor::store_message(const RemotingCommand& req, SendHeader h,
                                         const store::TopicConfig& topic,
                                         const std::string& born_addr,
                                         remoting::Responder responder, common::TimePoint arrived) {
  if ((topic.perm & kPermWrite) == 0) {
    responder.respond(reply(req, ResponseCode::kNoPermission,
                            "the topic[" + h.topic + "] sending message is forbidden"));
    return;
  }
  if (h.queue_id < 0) {
    h.queue_id = static_cast<int32_t>(round_robin_.fetch_add(1) %
                                      static_cast<uint32_t>(std::max(1, topic.write_queue_nums)));
  }
  if (h.queue_id >= topic.write_queue_nums) {
    responder.respond(
        reply(req, ResponseCode::kSystemError,
              "request queueId[" + std::to_string(h.queue_id) + "] is illegal, topic:[" + h.topic +
                  "] topicConfig.writeQueueNums:[" + std::to_string(topic.write_queue_nums) + "]"));
    return;
  }
  store::MessageInput m;
  m.topic = h.topic;
  m.queue_id = h.queue_id;
  m.flag = h.flag;
  m.sys_flag = h.sys_flag & ~(store::sysflag::kBornHostV6 | store::sysflag::kStoreHostV6);
  m.born_timestamp = h.born_timestamp;
  m.born_host = store::HostAddress::parse(born_addr).value_or(store::HostAddress{});
  if (m.born_host.v6) m.sys_flag |= store::sysflag::kBornHostV6;
  m.store_host = ctx_.store_host;
  m.reconsume_times = h.reconsume_times;
  m.body = common::ByteView(req.body.data(), req.body.size());
  m.properties = std::move(h.properties);
  const bool batch = h.batch || req.code == code(RequestCode::kSendBatchMessage);
  if (!batch) {
    rewrite_for_delay(m, static_cast<int>(ctx_.delay_levels_ms.size()));
  }
  put(std::move(m), batch, req.opaque, std::move(responder), batch ? &req.body : nullptr, arrived);
}

void SendMessageProcessor::put(store::MessageInput m, bool batch, int32_t opaque,
                               remoting::Responder responder, const common::Buffer* batch_body,
                               common::TimePoint arrived) {
  const int32_t queue_id = m.queue_id;
  auto done = [this, responder = std::move(responder), opaque, queue_id, batch,
               arrived](const store::AppendResult& r) {
    const bool stored = r.status == PutStatus::kOk || r.status == PutStatus::kFlushDiskTimeout ||
                        r.status == PutStatus::kFlushSlaveTimeout ||
                        r.status == PutStatus::kSlaveNotAvailable;
    RemotingCommand resp = reply_opaque(
        opaque, put_status_to_code(r.status),
        r.status == PutStatus::kOk ? std::nullopt : std::optional<std::string>(r.remark));
    if (stored) {
      std::string ids;
      if (batch && r.msg_count > 1) {
        int64_t pos = r.physical_offset;
        for (uint32_t i = 0; i < r.msg_count; ++i) {
          if (i > 0) ids += ',';
          ids += store::make_msg_id(ctx_.store_host, pos);
          auto head = ctx_.store.commit_log().read(pos, 4);
          if (!head.ok()) break;
          pos += common::load_be<int32_t>(head->bytes.data());
        }
      } else {
        ids = store::make_msg_id(ctx_.store_host, r.physical_offset);
      }
      // A fresh response: append, no look-up per field (this runs once per acknowledged send).
      resp.ext_fields.append("msgId", std::move(ids));
      resp.ext_fields.append("queueId", std::to_string(queue_id));
      resp.ext_fields.append("queueOffset", std::to_string(r.queue_offset));
      resp.ext_fields.append("MSG_REGION", "DefaultRegion");
      resp.ext_fields.append("TRACE_ON", "false");
      if (r.log_index > 0) {
        resp.ext_fields.append("raftTerm", std::to_string(r.log_term));
        resp.ext_fields.append("raftIndex", std::to_string(r.log_index));
      }
      resp.ext_fields.append("durability", durability(ctx_));
      ctx_.stats.on_put(r.msg_count, r.wrote_bytes);
    } else {
      ctx_.stats.on_put_failed();
    }
    responder.respond(std::move(resp));
    ctx_.stats.on_send_latency(ctx_.clock.now() - arrived);
  };
  if (batch_body != nullptr) {
    ctx_.store.put_batch(m, common::ByteView(batch_body->data(), batch_body->size()),
                         std::move(done));
  } else {
    ctx_.store.put_message(m, std::move(done));
  }
}

void SendMessageProcessor::send_back(const remoting::RequestContext&, RemotingCommand req,
                                     remoting::Responder responder) {
  HeaderReader f(req);
  const int64_t offset = f.int64("offset");
  const std::string group = f.str("group");
  const int32_t delay_level_in = f.int32("delayLevel");
  const std::optional<std::string> origin_msg_id = f.opt_str("originMsgId");
  const std::optional<int64_t> max_reconsume_in = f.opt_int("maxReconsumeTimes");
  if (f.failed()) {
    responder.respond(f.error());
    return;
  }
  if (!ctx_.writable_node()) {
    responder.respond(reply(req, ResponseCode::kServiceNotAvailable, ctx_.not_writable_reason()));
    return;
  }
  auto g = ctx_.groups.find_or_create(group);
  if (!g) {
    responder.respond(reply(req, ResponseCode::kSubscriptionGroupNotExist,
                            "subscription group not exist, " + group));
    return;
  }
  auto record = ctx_.store.look_message_by_offset(offset);
  if (!record.ok()) {
    responder.respond(reply(req, ResponseCode::kSystemError,
                            "look message by offset failed, " + std::to_string(offset)));
    return;
  }
  auto view = store::decode_message(record->bytes, false);
  if (!view.ok()) {
    responder.respond(reply(req, ResponseCode::kSystemError,
                            "the message at offset " + std::to_string(offset) + " is unreadable"));
    return;
  }
  store::MessageInput m;
  m.properties = std::string(view->properties);
  if (!store::find_property(m.properties, store::prop::kRetryTopic)) {
    store::append_property(m.properties, store::prop::kRetryTopic, view->topic);
  }
  if (!store::find_property(m.properties, store::prop::kOriginMessageId)) {
    store::append_property(
        m.properties, store::prop::kOriginMessageId,
        origin_msg_id.value_or(store::make_msg_id(view->store_host, view->physical_offset)));
  }
  const int32_t max = (req.version >= 121 && max_reconsume_in)
                          ? static_cast<int32_t>(*max_reconsume_in)
                          : g->retry_max_times;
  int32_t delay_level = delay_level_in;
  std::string topic;
  int32_t queues = 1;
  if (view->reconsume_times >= max || delay_level < 0) {
    topic = kDlqGroupTopicPrefix + group;
    delay_level = 0;
    remove_property(m.properties, store::prop::kDelay);
  } else {
    topic = kRetryGroupTopicPrefix + group;
    queues = std::max(1, g->retry_queue_nums);
    if (delay_level == 0) delay_level = 3 + view->reconsume_times;
    set_property(m.properties, store::prop::kDelay, std::to_string(delay_level));
  }
  m.topic = topic;
  m.flag = view->flag;
  m.sys_flag = view->sys_flag & ~(store::sysflag::kBornHostV6 | store::sysflag::kStoreHostV6);
  m.born_timestamp = view->born_timestamp;
  m.born_host = view->born_host;
  if (m.born_host.v6) m.sys_flag |= store::sysflag::kBornHostV6;
  m.store_host = ctx_.store_host;
  m.reconsume_times = view->reconsume_times + 1;
  auto body = std::make_shared<std::vector<uint8_t>>(view->body.begin(), view->body.end());
  m.body = common::ByteView(body->data(), body->size());
  const int32_t opaque = req.opaque;
  ctx_.topics.create_if_missing(
      topic, queues, kPermRead | kPermWrite,
      [this, m = std::move(m), body, opaque,
       responder = std::move(responder)](common::Result<store::TopicConfig> t) mutable {
        if (!t.ok()) {
          responder.respond(reply_opaque(
              opaque, code(ResponseCode::kSystemError),
              "could not create " + m.topic + ": " + std::string(t.status().message())));
          return;
        }
        m.queue_id = static_cast<int32_t>(round_robin_.fetch_add(1) %
                                          static_cast<uint32_t>(std::max(1, t->write_queue_nums)));
        rewrite_for_delay(m, static_cast<int>(ctx_.delay_levels_ms.size()));
        ctx_.store.put_message(m, [this, body, opaque, responder](const store::AppendResult& r) {
          if (r.status == PutStatus::kOk) ctx_.stats.on_put(1, r.wrote_bytes);
          responder.respond(reply_opaque(
              opaque, put_status_to_code(r.status),
              r.status == PutStatus::kOk ? std::nullopt : std::optional<std::string>(r.remark)));
        });
      });
}

}  // namespace rmq::broker
