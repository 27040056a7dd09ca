// PullRequestHoldService: long polling (RocketMQ PullRequestHoldService). A pull that finds
// nothing new is parked here with its deadline; the dispatcher's arrival of a matching message
// for its queue, or the deadline, re-runs it (on the pull executor, without suspending again).
// notify() runs on the dispatch thread for every message: it costs one atomic load when nothing
// is parked. A scan thread (Clock-driven, every `scan_interval`) answers expired pulls.
// Thread-safe.
#pragma once

#include "common/clock.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rmq::broker {

class PullRequestHoldService {
 public:
  struct Held {
    int64_t offset = 0;                    // the queue offset the pull waits beyond
    int64_t deadline_ms = 0;               // Clock::now() milliseconds
    std::function<bool(int64_t)> matches;  // tags code filter; null: everything
    std::function<void()> rerun;           // answers the pull (on the pull executor)
    // Checked once under the lock after parking: a message dispatched between the pull's read
    // and the parking would otherwise wake nobody. Null: never.
    std::function<bool()> arrived;
  };

  PullRequestHoldService(common::Clock& clock, std::chrono::milliseconds scan_interval);
  ~PullRequestHoldService();

  void start();
  void stop();  // re-runs every parked pull once (they answer "not found")

  void hold(const std::string& topic, int32_t queue_id, Held held);
  // A message for (topic, queue) was dispatched at `queue_offset` with `tags_code`.
  void notify(const std::string& topic, int32_t queue_id, int64_t queue_offset, int64_t tags_code);
  size_t held_count() const { return count_.load(std::memory_order_relaxed); }
  int64_t now_ms() const;

 private:
  void run();
  void expire();

  common::Clock& clock_;
  const std::chrono::milliseconds scan_interval_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int32_t>, std::vector<Held>> held_;  // GUARDED_BY(mu_)
  std::atomic<size_t> count_{0};
  std::condition_variable cv_;
  bool stop_ = true;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace rmq::broker
