#include "broker/processor/pull_message_processor.h"

#include "broker/client/client_manager.h"
#include "broker/consumer_offset_manager.h"
#include "broker/ha/classic_ha.h"
#include "broker/longpolling/pull_request_hold_service.h"
#include "broker/processor/processor_util.h"
#include "broker/subscription_group_manager.h"
#include "broker/topic_config_manager.h"
#include "remoting/protocol/heartbeat.h"
#include "store/message_store.h"

#include <unistd.h>

namespace rmq::broker {

using remoting::RemotingCommand;
using remoting::ResponseCode;
using store::GetStatus;

namespace {
constexpr int32_t kFlagCommitOffset = 0x1;
constexpr int32_t kFlagSuspend = 0x2;
constexpr int32_t kFlagSubscription = 0x4;

int64_t total_memory_bytes() {
  static const int64_t mem = [] {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : int64_t{8} << 30;
  }();
  return mem;
}
}  // namespace

void PullMessageProcessor::process(const remoting::RequestContext&, RemotingCommand request,
                                   remoting::Responder responder) {
  pull(std::make_shared<const RemotingCommand>(std::move(request)), std::move(responder), true);
}

void PullMessageProcessor::pull(std::shared_ptr<const RemotingCommand> req_ptr,
                                remoting::Responder responder, bool allow_suspend) {
  const RemotingCommand& req = *req_ptr;
  HeaderReader f(req);
  const std::string group = f.str("consumerGroup");
  const std::string topic = f.str("topic");
  const int32_t queue_id = f.int32("queueId");
  const int64_t offset = f.int64("queueOffset");
  const int32_t max_nums = f.int32("maxMsgNums");
  const int32_t sys_flag = f.int32("sysFlag");
  const int64_t commit_offset = f.opt_int("commitOffset").value_or(-1);
  const int64_t suspend_ms = f.opt_int("suspendTimeoutMillis").value_or(15000);
  const std::optional<std::string> sub_string = f.opt_str("subscription");
  if (f.failed()) {
    responder.respond(f.error());
    return;
  }
  auto answer = [&](RemotingCommand resp, int64_t next, int64_t min, int64_t max, int64_t suggest) {
    resp.ext_fields.set("nextBeginOffset", std::to_string(next));
    resp.ext_fields.set("minOffset", std::to_string(min));
    resp.ext_fields.set("maxOffset", std::to_string(max));
    resp.ext_fields.set("suggestWhichBrokerId", std::to_string(suggest));
    responder.respond(std::move(resp));
  };
  auto fail = [&](ResponseCode c, std::string remark) {
    answer(reply(req, c, std::move(remark)), offset, 0, 0, 0);
  };
  if ((ctx_.permission.load() & kPermRead) == 0) {
    fail(ResponseCode::kNoPermission,
         "the broker[" + ctx_.config.broker_name + "] pulling message is forbidden");
    return;
  }
  auto g = ctx_.groups.find_or_create(group);
  if (!g) {
    fail(ResponseCode::kSubscriptionGroupNotExist,
         "subscription group [" + group + "] does not exist");
    return;
  }
  if (!g->consume_enable) {
    fail(ResponseCode::kNoPermission, "subscription group no permission, " + group);
    return;
  }
  auto tc = ctx_.topics.find(topic);
  if (!tc && ctx_.ha != nullptr) {
    // A slave may not have copied the topic yet (or its master died first): it asks for the
    // metadata and meanwhile serves the queues it holds.
    ctx_.ha->request_metadata_sync();
    tc = ctx_.ha->topic_from_queues(topic);
  }
  if (!tc) {
    fail(ResponseCode::kTopicNotExist, "topic[" + topic + "] not exist, apply first please!");
    return;
  }
  if ((tc->perm & kPermRead) == 0) {
    fail(ResponseCode::kNoPermission, "the topic[" + topic + "] pulling message is forbidden");
    return;
  }
  if (queue_id < 0 || queue_id >= tc->read_queue_nums) {
    fail(ResponseCode::kSystemError,
         "queueId[" + std::to_string(queue_id) + "] is illegal, topic:[" + topic +
             "] topicConfig.readQueueNums:[" + std::to_string(tc->read_queue_nums) + "]");
    return;
  }
  // The request's own expression (clients send it with the SUBSCRIPTION flag), else the one of
  // the group's heartbeat; without either, everything matches.
  SubscriptionData sub;
  std::optional<SubscriptionData> registered;
  if ((sys_flag & kFlagSubscription) == 0)
    registered = ctx_.clients.find_subscription(group, topic);
  sub = registered ? *registered
                   : remoting::protocol::parse_subscription(topic, sub_string.value_or("*"));
  if (offset < 0) {
    fail(ResponseCode::kPullOffsetMoved, "illegal queue offset " + std::to_string(offset));
    return;
  }
  const uint32_t count =
      static_cast<uint32_t>(std::clamp(max_nums, 1, ctx_.config.max_trans_msg_per_pull));
  std::function<bool(int64_t)> filter;
  if (!sub.subscribes_all()) filter = [&sub](int64_t code) { return sub.matches_code(code); };
  store::GetMessageResult r =
      ctx_.store.get_message(topic, queue_id, offset, count, 4ull * 1024 * 1024, filter);

  // Where to pull next (RocketMQ): the master (0), unless slave reads are on and the consumer is
  // far behind (more than a share of memory), then a slave or follower (this node, if it is
  // one). A slave or follower thus sends a consumer that caught up back to the master.
  int64_t suggest = 0;
  if (r.status == GetStatus::kFound && ctx_.config.slave_read_enable && ctx_.replicated() &&
      !r.messages.empty()) {
    const int64_t behind = ctx_.store.commit_log().max_offset() - r.messages.back().offset;
    const int64_t limit =
        total_memory_bytes() / 100 * ctx_.config.access_message_in_memory_max_ratio;
    if (behind > limit) {
      suggest = ctx_.broker_id() == 0 ? ctx_.follower_for_reads() : ctx_.broker_id();
    }
  }

  // Commit the consumer's offset piggybacked on the pull (leader only).
  if ((sys_flag & kFlagCommitOffset) != 0 && commit_offset >= 0 && allow_suspend &&
      ctx_.writable_node()) {
    ctx_.offsets.commit(store::OffsetKey{group, topic, queue_id}, commit_offset,
                        [](common::Status) {});
  }

  // A node that is not the serving leader (a follower or slave, a restarted node still catching
  // up) may just not have the offset yet: it never moves a consumer's offset (RocketMQ's
  // nextOffsetCorrection on a slave). The consumer waits here as at the end of the queue.
  const bool overflow =
      r.status == GetStatus::kOffsetOverflowBadly ||
      ((r.status == GetStatus::kNoMessageInQueue || r.status == GetStatus::kNoMatchedLogicQueue) &&
       offset != 0);
  if (overflow && !ctx_.writable_node()) {
    r.status = GetStatus::kOffsetOverflowOne;
    r.next_begin_offset = offset;
  }

  switch (r.status) {
    case GetStatus::kFound: {
      RemotingCommand resp = reply(req, ResponseCode::kSuccess);
      resp.body.reserve(r.total_bytes);
      for (const auto& m : r.messages) resp.body.put_bytes(m.bytes);
      ctx_.stats.on_get(r.messages.size(), r.total_bytes);
      answer(std::move(resp), r.next_begin_offset, r.min_offset, r.max_offset, suggest);
      return;
    }
    case GetStatus::kNoMatchedMessage:
    case GetStatus::kMessageWasRemoving:
    case GetStatus::kOffsetFoundNull:
      answer(reply(req, ResponseCode::kPullRetryImmediately), r.next_begin_offset, r.min_offset,
             r.max_offset, suggest);
      return;
    case GetStatus::kOffsetOverflowOne:
    case GetStatus::kNoMatchedLogicQueue:
    case GetStatus::kNoMessageInQueue:
      if (r.status != GetStatus::kOffsetOverflowOne && offset != 0) {
        answer(reply(req, ResponseCode::kPullOffsetMoved,
                     "the queue offset " + std::to_string(offset) + " is illegal (queue empty)"),
               r.next_begin_offset, r.min_offset, r.max_offset, suggest);
        return;
      }
      break;  // nothing new: long polling below
    case GetStatus::kOffsetOverflowBadly:
    case GetStatus::kOffsetTooSmall:
      answer(reply(req, ResponseCode::kPullOffsetMoved,
                   "the queue offset " + std::to_string(offset) + " is illegal: min " +
                       std::to_string(r.min_offset) + ", max " + std::to_string(r.max_offset)),
             r.next_begin_offset, r.min_offset, r.max_offset, suggest);
      return;
  }

  const bool can_suspend = allow_suspend && (sys_flag & kFlagSuspend) != 0;
  if (!can_suspend || executor_ == nullptr) {
    answer(reply(req, ResponseCode::kPullNotFound), r.next_begin_offset, r.min_offset, r.max_offset,
           suggest);
    return;
  }
  const int64_t hold_ms = ctx_.config.long_polling_enable
                              ? std::clamp<int64_t>(suspend_ms, 0, 20000)
                              : ctx_.config.short_polling_time.count();
  PullRequestHoldService::Held held;
  held.offset = offset;
  held.deadline_ms = ctx_.hold.now_ms() + hold_ms;
  if (filter) {
    held.matches = [sub](int64_t code) { return sub.matches_code(code); };
  }
  std::weak_ptr<PullMessageProcessor> weak = weak_from_this();
  std::shared_ptr<common::Executor> exec = executor_;
  held.rerun = [weak, exec, req_ptr, responder]() {
    auto task = [weak, req_ptr, responder]() {
      if (auto self = weak.lock()) self->pull(req_ptr, responder, false);
    };
    if (!exec->execute(task)) task();  // executor full: answer on this thread
  };
  store::MessageStore* st = &ctx_.store;
  held.arrived = [st, topic, queue_id, offset] {
    return st->max_offset_in_queue(topic, queue_id) > offset;
  };
  if (!ctx_.config.long_polling_enable) held.arrived = nullptr;
  ctx_.hold.hold(topic, queue_id, std::move(held));
}

}  // namespace rmq::broker
