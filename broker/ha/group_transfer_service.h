// GroupTransferService: the SYNC_MASTER waits (RocketMQ HAService.GroupTransferService). An
// append waits until some slave has acknowledged the log up to its end: wait(end, timeout, done)
// parks it, note_acked() completes every wait at or below the new acknowledged offset in one
// pass (a group commit of waits: one slave report answers every send it covers), and expire()
// fails the waits whose deadline passed. No thread blocks per wait; `done` runs on the thread
// that completes it (the HA thread, or the caller when already acknowledged), outside the lock.
// Time comes from the injected Clock. Thread-safe.
#pragma once

#include "common/clock.h"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

namespace rmq::broker::ha {

class GroupTransferService {
 public:
  // true: a slave holds the bytes; false: the deadline passed (or shutdown).
  using Done = std::function<void(bool acked)>;

  explicit GroupTransferService(common::Clock& clock) : clock_(clock) {}

  void wait(int64_t end_offset, common::Duration timeout, Done done);
  // The highest offset some slave acknowledged; it only grows (a lower value is ignored).
  void note_acked(int64_t acked_offset);
  // Fails every wait whose deadline is at or before now.
  void expire();
  // Fails every wait (shutdown).
  void fail_all();

  int64_t acked() const;
  size_t pending() const;

 private:
  struct Waiter {
    common::TimePoint deadline;
    Done done;
  };
  common::Clock& clock_;
  mutable std::mutex mu_;
  int64_t acked_ = 0;                       // GUARDED_BY(mu_)
  std::multimap<int64_t, Waiter> waiters_;  // GUARDED_BY(mu_): by end offset
};

}  // namespace rmq::broker::ha
