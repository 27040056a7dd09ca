// Delay levels (RocketMQ ScheduleMessageService). A message sent with DELAY=n is stored in
// SCHEDULE_TOPIC_XXXX queue n-1 (rewrite_for_delay); its consume queue unit holds the delivery time
// (make_schedule_request_builder). ScheduleMessageService re-puts due messages into their real
// topic through the broker's put path. It runs one thread, only between start_leading() and
// stop_leading() (the leader/master); progress (next queue offset per level) is handed to
// save_progress and restored from the replicated copy at start_leading. Thread-safe.
#pragma once

#include "broker/system_topics.h"
#include "common/clock.h"
#include "common/result.h"
#include "store/commit_log.h"
#include "store/message.h"
#include "store/message_store.h"
#include "store/reput_service.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace rmq::broker {

inline constexpr std::string_view kDefaultMessageDelayLevel =
    "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

// Parses messageDelayLevel ("1s 5s 10m 2h 1d", whitespace separated, units s m h d) into delays in
// ms: level i (1-based) -> result[i-1]. InvalidArgument on an empty list, a missing or unknown
// unit, a non-numeric count or an overflowing value.
common::Result<std::vector<int64_t>> parse_delay_levels(std::string_view config);

// Send path, before the message is stored: if DELAY is a level > 0 (clamped to max_level) and the
// message is not a prepared/rolled-back transaction half, moves it to SCHEDULE_TOPIC_XXXX queue
// level-1, adds REAL_TOPIC/REAL_QID with the original destination and rewrites DELAY to the
// clamped level. Returns whether it rewrote; DELAY absent, non-numeric or <= 0 leaves `msg` as is.
bool rewrite_for_delay(store::MessageInput& msg, int max_level);

// Wraps ReputService::default_request: SCHEDULE_TOPIC_XXXX units get tags_code = store timestamp
// + delay of level queue_id+1 (clamped to the configured levels); other topics are unchanged.
store::ReputService::RequestBuilder make_schedule_request_builder(std::vector<int64_t> levels_ms);

// The delivery time of a message stored at `store_timestamp` in level `level` (1-based, clamped).
int64_t delivery_time_ms(const std::vector<int64_t>& levels_ms, int level, int64_t store_timestamp);

struct ScheduleConfig {
  std::chrono::milliseconds poll_interval{100};   // longest wait between looks at the queues
  std::chrono::milliseconds retry_backoff{1000};  // after a failed put, per level
  std::chrono::milliseconds save_interval{100};   // least time between save_progress calls
  uint32_t batch_size = 32;                       // messages read per get_message
  uint32_t max_in_flight_per_level = 256;         // puts awaiting their ack, per level
};

class ScheduleMessageService {
 public:
  // The broker's put path; `done` may run on any thread, also before put returns. The service
  // keeps the body's bytes alive until `done` runs.
  using PutFn = std::function<void(store::MessageInput, store::AppendCallback)>;
  // level (1-based) -> next queue offset to deliver, for every level. Called on the service
  // thread, never under its lock; must not block on leadership (it may batch or fail silently).
  using SaveProgressFn = std::function<void(std::map<int, int64_t> progress)>;

  // REQUIRES: levels_ms is non-empty (parse_delay_levels), `store` and `clock` outlive this.
  ScheduleMessageService(store::MessageStore& store, common::Clock& clock,
                         std::vector<int64_t> levels_ms, PutFn put, SaveProgressFn save_progress,
                         ScheduleConfig config = {});
  ~ScheduleMessageService();
  ScheduleMessageService(const ScheduleMessageService&) = delete;
  ScheduleMessageService& operator=(const ScheduleMessageService&) = delete;

  // Becomes the delivering node, resuming each level from `load_progress` (missing levels: 0).
  // A no-op while already leading.
  void start_leading(const std::map<int, int64_t>& load_progress);
  // Stops delivering and joins the thread; acks of puts still in flight are ignored afterwards.
  // Progress that moved since the last save is saved once more. A no-op when not leading.
  // REQUIRES: not called from `put`, its callback or `save_progress`.
  void stop_leading();
  bool leading() const;
  // Looks at the queues now (e.g. after a ManualClock moved).
  void wakeup();

  // level -> next queue offset to deliver (everything before it is acknowledged).
  std::map<int, int64_t> progress() const;
  // Completed passes over all levels (stats; lets tests know the service has looked).
  uint64_t scan_passes() const;
  const std::vector<int64_t>& delay_levels_ms() const { return levels_ms_; }
  int max_level() const { return static_cast<int>(levels_ms_.size()); }
  // REQUIRES: 1 <= level <= max_level().
  int64_t delay_ms(int level) const { return levels_ms_[static_cast<size_t>(level - 1)]; }

 private:
  struct Core;
  struct Batch;
  void run();
  // Reads and delivers what is due in one level; returns whether it should run again at once.
  // `next_wake_ms` is lowered to when this level next needs a look.
  bool process_level(int level, int64_t now_ms, int64_t& next_wake_ms);
  void deliver(int level, uint64_t generation, int64_t queue_offset, store::LogSlice slice,
               store::MessageInput msg);
  void maybe_save(int64_t now_ms, bool force);

  store::MessageStore& store_;
  common::Clock& clock_;
  const std::vector<int64_t> levels_ms_;
  PutFn put_;
  SaveProgressFn save_progress_;
  const ScheduleConfig config_;
  std::shared_ptr<Core> core_;  // shared with put callbacks so late acks stay harmless
  std::mutex lifecycle_mu_;     // serialises start_leading/stop_leading
  std::thread thread_;
};

}  // namespace rmq::broker
