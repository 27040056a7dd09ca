// RebalanceLockManager: the broker side of orderly consumption (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ).
// A queue of a consumer group is held by at most one client; a lock lapses after
// kMaxLiveTime without renewal (Java's REBALANCE_LOCK_MAX_LIVE_TIME, 60 s), measured by the
// injected Clock. Locks live only in memory, as in Java. Thread-safe (one mutex).
#pragma once

#include "common/clock.h"
#include "common/thread_annotations.h"
#include "remoting/protocol/message_queue.h"

#include <chrono>
#include <map>
#include <set>
#include <string>

namespace rmq::broker {

using remoting::protocol::MessageQueue;

class RebalanceLockManager {
 public:
  static constexpr common::Duration kMaxLiveTime = std::chrono::seconds(60);

  explicit RebalanceLockManager(common::Clock& clock, common::Duration max_live_time = kMaxLiveTime)
      : clock_(clock), max_live_time_(max_live_time) {}
  RebalanceLockManager(const RebalanceLockManager&) = delete;
  RebalanceLockManager& operator=(const RebalanceLockManager&) = delete;

  // Locks or renews each queue for `client_id`. A queue is granted when it is unlocked, already
  // held by `client_id`, or its holder's lock has expired. Returns the granted subset.
  std::set<MessageQueue> try_lock_batch(const std::string& group, const std::set<MessageQueue>& mqs,
                                        const std::string& client_id);
  // Releases the queues held by `client_id`; queues held by others are left alone.
  void unlock_batch(const std::string& group, const std::set<MessageQueue>& mqs,
                    const std::string& client_id);
  // True when `client_id` holds an unexpired lock on `mq` (does not renew it).
  bool is_locked(const std::string& group, const MessageQueue& mq,
                 const std::string& client_id) const;

 private:
  struct LockEntry {
    std::string client_id;
    common::TimePoint last_update{};
  };

  common::Clock& clock_;
  const common::Duration max_live_time_;
  mutable common::Mutex mu_;
  std::map<std::string, std::map<MessageQueue, LockEntry>> table_ GUARDED_BY(mu_);
};

}  // namespace rmq::broker
