// PushConsumer, consume side: the concurrent and orderly consume tasks and send-back (36).
#include "client/process_queue.h"
#include "client/push_consumer.h"
#include "common/thread_pool.h"
#include "remoting/request_code.h"

#include <exception>
#include <string>
#include <vector>

namespace rmq::client {

using common::Result;
using common::Status;
using detail::kFlowControlDelay;
using detail::log;
using remoting::RemotingCommand;
using remoting::RequestCode;

namespace {
constexpr int32_t kCodeSuccess = 0;
std::string remark(const RemotingCommand& r) { return r.remark.value_or(""); }
}  // namespace

// ---- consuming (consume pool) ----

void PushConsumer::submit_consume(const PqPtr& pq, std::vector<MessageExt> batch,
                                  common::Duration delay) {
  auto shared = std::make_shared<std::vector<MessageExt>>(std::move(batch));
  auto task = [this, pq, shared] { consume_concurrently(pq, std::move(*shared)); };
  if (delay > common::Duration::zero()) {
    schedule(delay, [this, pq, shared, task] {
      if (!consume_->submit(task) && !stopping_) submit_consume(pq, *shared, kFlowControlDelay);
    });
    return;
  }
  if (!consume_->submit(task) && !stopping_) {
    submit_consume(pq, std::move(*shared), kFlowControlDelay);
  }
}

ConsumeResult PushConsumer::call_listener(const MessageListener& listener,
                                          const std::vector<MessageExt>& batch) {
  try {
    return listener(batch);
  } catch (const std::exception& e) {
    log()->warn("{}: listener threw: {}", client_id_, e.what());
  } catch (...) {
    log()->warn("{}: listener threw", client_id_);
  }
  return ConsumeResult::kReconsumeLater;
}

void PushConsumer::consume_concurrently(const PqPtr& pq, std::vector<MessageExt> batch) {
  if (pq->dropped) return;  // the queue's new owner reads these again
  const ConsumeResult result = call_listener(options_.concurrent_listener, batch);
  std::vector<MessageExt> again;
  if (result != ConsumeResult::kConsumeSuccess) {
    if (options_.model == MessageModel::kBroadcasting) {
      log()->warn("{}: broadcast consumption of {} message(s) failed; dropped", client_id_,
                  batch.size());
    } else {
      for (auto& m : batch) {
        Status st = send_back(pq, m, 0);
        if (st.is_ok()) continue;
        log()->warn("{}: send back of {} failed ({}); consuming it again locally", client_id_,
                    m.msg_id, st.to_string());
        ++m.reconsume_times;
        again.push_back(m);
      }
    }
  }
  {
    std::lock_guard lock(pq->mu);
    for (const auto& m : batch) pq->msgs.erase(m.queue_offset);
    for (const auto& m : again) pq->msgs.emplace(m.queue_offset, m);
  }
  if (!again.empty()) submit_consume(pq, std::move(again), options_.consume_retry_delay);
}

Status PushConsumer::send_back(const PqPtr& pq, const MessageExt& msg, int delay_level) {
  // The master stores the retry message; while it is unreachable the caller consumes it again.
  const std::string addr = cached_master(pq);
  if (addr.empty() || !routes_.reachable(addr)) {
    return Status::unavailable("no reachable master for " + pq->mq.broker_name);
  }
  auto req = RemotingCommand::request(RequestCode::kConsumerSendMsgBack);
  req.ext_fields.set("offset", msg.commit_log_offset);
  req.ext_fields.set("group", options_.group);
  req.ext_fields.set("delayLevel", delay_level);
  const std::string origin = msg.property("ORIGIN_MESSAGE_ID");
  req.ext_fields.set("originMsgId", origin.empty() ? msg.msg_id : origin);
  req.ext_fields.set("originTopic", msg.topic);
  req.ext_fields.set("unitMode", "false");
  req.ext_fields.set("maxReconsumeTimes", options_.max_reconsume_times);
  RMQ_ASSIGN_OR_RETURN(auto r, client_.invoke_sync(addr, std::move(req), options_.request_timeout));
  if (r.code != kCodeSuccess) {
    return Status::unavailable("CONSUMER_SEND_MSG_BACK to " + addr + " answered " +
                               std::to_string(r.code) + ": " + remark(r));
  }
  return Status::ok();
}

void PushConsumer::trigger_orderly(const PqPtr& pq) {
  {
    std::lock_guard lock(pq->mu);
    if (pq->consuming || pq->msgs.empty()) return;
    pq->consuming = true;
  }
  if (!consume_->submit([this, pq] { consume_orderly(pq); })) {
    std::lock_guard lock(pq->mu);
    pq->consuming = false;
  }
}

void PushConsumer::resume_orderly_later(const PqPtr& pq, common::Duration delay) {
  // `consuming` stays set: messages pulled meanwhile must not start another task early.
  schedule(delay, [this, pq] {
    if (!consume_->submit([this, pq] { consume_orderly(pq); })) {
      std::lock_guard lock(pq->mu);
      pq->consuming = false;
    }
  });
}

void PushConsumer::relock_later(const PqPtr& pq) {
  schedule(options_.orderly_suspend, [this, pq] {
    on_service([this, pq] {
      if (stopping_ || pq->dropped) {
        std::lock_guard lock(pq->mu);
        pq->consuming = false;
        return;
      }
      std::string addr;
      {
        std::lock_guard lock(pq->mu);
        addr = pq->addr;
      }
      auto locked = lock_batch(addr, {pq->mq});
      if (locked.ok()) {
        std::lock_guard lock(pq->mu);
        pq->locked = locked->contains(pq->mq);
        if (pq->locked) pq->last_lock = clock_.now();
      }
      // Still not locked: consume_orderly() comes back here.
      if (!consume_->submit([this, pq] { consume_orderly(pq); })) {
        std::lock_guard lock(pq->mu);
        pq->consuming = false;
      }
    });
  });
}

void PushConsumer::consume_orderly(const PqPtr& pq) {
  const bool clustering = options_.model == MessageModel::kClustering;
  for (;;) {
    std::vector<MessageExt> batch;
    {
      std::lock_guard lock(pq->mu);
      if (pq->dropped || stopping_ || pq->msgs.empty()) {
        pq->consuming = false;
        return;
      }
      const bool lock_valid = pq->locked && clock_.now() - pq->last_lock < options_.lock_expiry;
      if (clustering && !lock_valid) {
        relock_later(pq);  // keeps `consuming` set
        return;
      }
      for (auto it = pq->msgs.begin();
           it != pq->msgs.end() && batch.size() < static_cast<size_t>(options_.consume_batch_size);
           ++it) {
        batch.push_back(it->second);
      }
      pq->in_listener = true;
    }
    const ConsumeResult result = call_listener(options_.orderly_listener, batch);
    if (result == ConsumeResult::kConsumeSuccess) {
      std::lock_guard lock(pq->mu);
      for (const auto& m : batch) pq->msgs.erase(m.queue_offset);
      pq->in_listener = false;
      continue;
    }
    // Deliver the same messages again after a pause; past the limit they go to the DLQ.
    bool skipped = false;
    for (const auto& m : batch) {
      int times = 0;
      {
        std::lock_guard lock(pq->mu);
        auto it = pq->msgs.find(m.queue_offset);
        if (it == pq->msgs.end()) continue;
        times = ++it->second.reconsume_times;
      }
      if (times < options_.max_reconsume_times || !clustering) continue;
      if (send_back(pq, m, -1).is_ok()) {
        std::lock_guard lock(pq->mu);
        pq->msgs.erase(m.queue_offset);
        skipped = true;
      }
    }
    {
      std::lock_guard lock(pq->mu);
      pq->in_listener = false;
    }
    if (skipped) continue;
    resume_orderly_later(pq, options_.orderly_suspend);
    return;
  }
}

}  // namespace rmq::client
