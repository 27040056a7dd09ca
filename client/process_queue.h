// PushConsumer's per-queue state (Java's ProcessQueue), shared by the pull side
// (push_consumer.cc) and the consume side (push_consumer_consume.cc). Internal to client/.
// Thread-safe through its own mutex; `dropped` is read without it.
#pragma once

#include "client/consumer_wire.h"
#include "client/message_codec.h"
#include "client/push_consumer.h"
#include "common/logging.h"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace rmq::client {

namespace detail {
inline constexpr auto kFlowControlDelay = std::chrono::milliseconds(50);
inline std::shared_ptr<spdlog::logger> log() { return common::logger("client"); }
}  // namespace detail

struct PushConsumer::ProcessQueue {
  QueueRef mq;
  TagFilter filter;
  bool retry_topic = false;  // %RETRY%<group>: deliver with the RETRY_TOPIC property's topic
  std::atomic<bool> dropped{false};

  std::mutex mu;
  std::string addr;                    // GUARDED_BY(mu): the master as last known (lock, unlock)
  int64_t suggested_id = 0;            // GUARDED_BY(mu): suggestWhichBrokerId of the last answer
  BrokerPick last_pull;                // GUARDED_BY(mu): where the last pull went
  int64_t next_offset = 0;             // GUARDED_BY(mu): the next pull's queueOffset
  std::map<int64_t, MessageExt> msgs;  // GUARDED_BY(mu): pulled, not yet consumed
  int64_t last_committed = -1;         // GUARDED_BY(mu)
  bool consuming = false;              // GUARDED_BY(mu): orderly task running, queued or suspended
  bool in_listener = false;            // GUARDED_BY(mu): orderly batch being consumed
  bool locked = false;                 // GUARDED_BY(mu): orderly clustering
  common::TimePoint last_lock{};       // GUARDED_BY(mu)

  // Invariant: every offset below next_offset that is not in msgs was consumed (or filtered out).
  int64_t consume_offset_locked() const { return msgs.empty() ? next_offset : msgs.begin()->first; }
};

}  // namespace rmq::client
