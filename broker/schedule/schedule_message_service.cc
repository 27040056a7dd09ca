#include "broker/schedule/schedule_message_service.h"

#include "common/logging.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>
#include <pthread.h>
#include <string>
#include <utility>

namespace rmq::broker {

namespace {

constexpr uint64_t kMaxBatchBytes = 4ull << 20;

template <typename Int>
std::optional<Int> parse_int(std::string_view s) {
  Int v{};
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Copies `props` without the `drop` keys; a value for `replace_key` is swapped for `replace_value`.
std::string filter_properties(std::string_view props, std::initializer_list<std::string_view> drop,
                              std::string_view replace_key = {},
                              std::string_view replace_value = {}) {
  std::string out;
  out.reserve(props.size() + 32);
  for (const auto& [k, v] : store::parse_properties(props)) {
    if (std::find(drop.begin(), drop.end(), k) != drop.end()) continue;
    store::append_property(out, k, !replace_key.empty() && k == replace_key ? replace_value : v);
  }
  return out;
}

// The original message of a stored SCHEDULE_TOPIC_XXXX record; nullopt when it names no valid
// destination. The body points into the record.
std::optional<store::MessageInput> rebuild_original(const store::MessageView& m) {
  auto real_topic = store::find_property(m.properties, store::prop::kRealTopic);
  auto real_qid = store::find_property(m.properties, store::prop::kRealQueueId);
  if (!real_topic || real_topic->empty() || !real_qid) return std::nullopt;
  auto qid = parse_int<int32_t>(*real_qid);
  if (!qid || *qid < 0) return std::nullopt;
  store::MessageInput in;
  in.topic.assign(*real_topic);
  in.queue_id = *qid;
  in.flag = m.flag;
  in.sys_flag = m.sys_flag;
  in.born_timestamp = m.born_timestamp;
  in.born_host = m.born_host;
  in.store_host = m.store_host;
  in.reconsume_times = m.reconsume_times;
  in.prepared_transaction_offset = m.prepared_transaction_offset;
  in.body = m.body;
  in.properties = filter_properties(
      m.properties, {store::prop::kDelay, store::prop::kRealTopic, store::prop::kRealQueueId});
  return in;
}

}  // namespace

common::Result<std::vector<int64_t>> parse_delay_levels(std::string_view config) {
  std::vector<int64_t> out;
  size_t pos = 0;
  while (pos < config.size()) {
    if (std::isspace(static_cast<unsigned char>(config[pos]))) {
      ++pos;
      continue;
    }
    size_t end = pos;
    while (end < config.size() && !std::isspace(static_cast<unsigned char>(config[end]))) ++end;
    const std::string_view token = config.substr(pos, end - pos);
    pos = end;
    const size_t level = out.size() + 1;
    int64_t unit_ms = 0;
    switch (token.back()) {
      case 's':
        unit_ms = 1000;
        break;
      case 'm':
        unit_ms = 60 * 1000;
        break;
      case 'h':
        unit_ms = 60 * 60 * 1000;
        break;
      case 'd':
        unit_ms = 24 * 60 * 60 * 1000;
        break;
      default:
        return common::Status::invalid_argument(fmt::format(
            "messageDelayLevel: level {} '{}' needs a unit s, m, h or d", level, token));
    }
    auto count = parse_int<int64_t>(token.substr(0, token.size() - 1));
    if (!count || *count < 0) {
      return common::Status::invalid_argument(
          fmt::format("messageDelayLevel: level {} '{}' is not a non-negative number and a unit",
                      level, token));
    }
    if (*count > std::numeric_limits<int64_t>::max() / unit_ms) {
      return common::Status::invalid_argument(
          fmt::format("messageDelayLevel: level {} '{}' is too large", level, token));
    }
    out.push_back(*count * unit_ms);
  }
  if (out.empty()) return common::Status::invalid_argument("messageDelayLevel: no levels");
  return out;
}

bool rewrite_for_delay(store::MessageInput& msg, int max_level) {
  if (max_level <= 0) return false;
  const int32_t tran = msg.sys_flag & store::sysflag::kTransactionMask;
  if (tran != 0 && tran != store::sysflag::kTransactionCommit) return false;
  auto delay = store::find_property(msg.properties, store::prop::kDelay);
  if (!delay) return false;
  auto level = parse_int<int>(*delay);
  if (!level || *level <= 0) return false;
  const int clamped = std::min(*level, max_level);
  const std::string level_str = std::to_string(clamped);
  std::string props =
      filter_properties(msg.properties, {store::prop::kRealTopic, store::prop::kRealQueueId},
                        store::prop::kDelay, level_str);
  store::append_property(props, store::prop::kRealTopic, msg.topic);
  store::append_property(props, store::prop::kRealQueueId, std::to_string(msg.queue_id));
  msg.properties = std::move(props);
  msg.topic.assign(kScheduleTopicName);
  msg.queue_id = clamped - 1;
  return true;
}

int64_t delivery_time_ms(const std::vector<int64_t>& levels_ms, int level,
                         int64_t store_timestamp) {
  if (levels_ms.empty()) return store_timestamp;
  const int max = static_cast<int>(levels_ms.size());
  const int l = std::clamp(level, 1, max);
  return store_timestamp + levels_ms[static_cast<size_t>(l - 1)];
}

store::ReputService::RequestBuilder make_schedule_request_builder(std::vector<int64_t> levels_ms) {
  return [levels = std::move(levels_ms)](const store::MessageView& m) {
    store::DispatchRequest r = store::ReputService::default_request(m);
    if (m.topic == kScheduleTopicName) {
      r.tags_code = delivery_time_ms(levels, m.queue_id + 1, m.store_timestamp);
    }
    return r;
  };
}

// ---------------------------------------------------------------------------------------------

namespace {

// One level's delivery state. Invariant: progress <= every offset in `slots` and <= next_read;
// every queue offset in [progress, next_read) was put and acknowledged, is in flight, or was not
// returned by the store (deleted).
struct LevelState {
  int64_t next_read = 0;          // next queue offset to look at
  int64_t progress = 0;           // next queue offset not yet acknowledged
  std::map<int64_t, bool> slots;  // queue offset -> acknowledged (false: in flight)
  uint32_t in_flight = 0;         // slots with false
  int64_t retry_at_ms = 0;        // no puts before this wall time (after a failure)
};

}  // namespace

struct ScheduleMessageService::Core {
  common::Clock* clock = nullptr;
  int64_t retry_backoff_ms = 0;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool leading = false;     // GUARDED_BY(mu)
  bool stop = false;        // GUARDED_BY(mu)
  bool wake = false;        // GUARDED_BY(mu)
  uint64_t generation = 0;  // GUARDED_BY(mu); bumped at each start/stop so stale acks are ignored
  std::vector<LevelState> levels;  // GUARDED_BY(mu); index level-1
  bool dirty = false;              // GUARDED_BY(mu); progress moved since the last save
  int64_t last_save_ms = std::numeric_limits<int64_t>::min();  // GUARDED_BY(mu)
  uint64_t passes = 0;                                         // GUARDED_BY(mu)

  // REQUIRES: mu held.
  void refresh_progress(LevelState& s) {
    // Acked slots at or past next_read (a failure moved it back) stay: the retry skips them.
    while (!s.slots.empty() && s.slots.begin()->second && s.slots.begin()->first < s.next_read) {
      s.slots.erase(s.slots.begin());
    }
    const int64_t p = s.slots.empty() ? s.next_read : std::min(s.slots.begin()->first, s.next_read);
    if (p > s.progress) {
      s.progress = p;
      dirty = true;
    }
  }
  // REQUIRES: mu held.
  std::map<int, int64_t> progress_map() const {
    std::map<int, int64_t> out;
    for (size_t i = 0; i < levels.size(); ++i) out[static_cast<int>(i + 1)] = levels[i].progress;
    return out;
  }
};

ScheduleMessageService::ScheduleMessageService(store::MessageStore& store, common::Clock& clock,
                                               std::vector<int64_t> levels_ms, PutFn put,
                                               SaveProgressFn save_progress, ScheduleConfig config)
    : store_(store),
      clock_(clock),
      levels_ms_(std::move(levels_ms)),
      put_(std::move(put)),
      save_progress_(std::move(save_progress)),
      config_(config),
      core_(std::make_shared<Core>()) {
  core_->clock = &clock_;
  core_->retry_backoff_ms = config_.retry_backoff.count();
  core_->levels.resize(levels_ms_.size());
}

ScheduleMessageService::~ScheduleMessageService() { stop_leading(); }

void ScheduleMessageService::start_leading(const std::map<int, int64_t>& load_progress) {
  std::lock_guard life(lifecycle_mu_);
  {
    std::lock_guard lock(core_->mu);
    if (core_->leading) return;
    core_->leading = true;
    core_->stop = false;
    core_->wake = false;
    ++core_->generation;
    core_->dirty = false;
    core_->last_save_ms = std::numeric_limits<int64_t>::min();
    for (size_t i = 0; i < core_->levels.size(); ++i) {
      LevelState fresh;
      auto it = load_progress.find(static_cast<int>(i + 1));
      if (it != load_progress.end())
        fresh.next_read = fresh.progress = std::max<int64_t>(0, it->second);
      core_->levels[i] = std::move(fresh);
    }
  }
  common::logger("broker")->info("schedule service: leading, {} levels", levels_ms_.size());
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rmq-schedule");
    run();
  });
}

void ScheduleMessageService::stop_leading() {
  std::lock_guard life(lifecycle_mu_);
  {
    std::lock_guard lock(core_->mu);
    if (!core_->leading) return;
    core_->stop = true;
  }
  core_->cv.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(core_->mu);
    core_->leading = false;
    ++core_->generation;
    for (auto& s : core_->levels) {
      s.slots.clear();
      s.in_flight = 0;
    }
  }
  common::logger("broker")->info("schedule service: stopped leading");
}

bool ScheduleMessageService::leading() const {
  std::lock_guard lock(core_->mu);
  return core_->leading;
}

void ScheduleMessageService::wakeup() {
  {
    std::lock_guard lock(core_->mu);
    core_->wake = true;
  }
  core_->cv.notify_all();
}

std::map<int, int64_t> ScheduleMessageService::progress() const {
  std::lock_guard lock(core_->mu);
  return core_->progress_map();
}

uint64_t ScheduleMessageService::scan_passes() const {
  std::lock_guard lock(core_->mu);
  return core_->passes;
}

void ScheduleMessageService::run() {
  const int64_t poll_ms = config_.poll_interval.count();
  while (true) {
    {
      std::lock_guard lock(core_->mu);
      if (core_->stop) break;
    }
    const int64_t now = clock_.wall_ms();
    int64_t next_wake = now + poll_ms;
    bool again = false;
    for (int level = 1; level <= max_level(); ++level) {
      again = process_level(level, now, next_wake) || again;
    }
    maybe_save(clock_.wall_ms(), /*force=*/false);

    std::unique_lock lock(core_->mu);
    ++core_->passes;
    if (core_->stop) break;
    if (again || core_->wake) {
      core_->wake = false;
      continue;
    }
    if (core_->dirty && core_->last_save_ms != std::numeric_limits<int64_t>::min()) {
      next_wake = std::min(next_wake, core_->last_save_ms + config_.save_interval.count());
    }
    const int64_t wait_ms = std::clamp<int64_t>(next_wake - clock_.wall_ms(), 0, poll_ms);
    core_->cv.wait_for(lock, std::chrono::milliseconds(wait_ms),
                       [&] { return core_->stop || core_->wake; });
    core_->wake = false;
  }
  maybe_save(clock_.wall_ms(), /*force=*/true);
}

bool ScheduleMessageService::process_level(int level, int64_t now_ms, int64_t& next_wake_ms) {
  Core& core = *core_;
  const size_t idx = static_cast<size_t>(level - 1);
  int64_t from = 0;
  uint64_t gen = 0;
  {
    std::lock_guard lock(core.mu);
    if (core.stop) return false;
    LevelState& s = core.levels[idx];
    if (s.retry_at_ms > now_ms) {
      next_wake_ms = std::min(next_wake_ms, s.retry_at_ms);
      return false;
    }
    if (s.in_flight >= config_.max_in_flight_per_level) return false;  // an ack wakes us
    from = s.next_read;
    gen = core.generation;
  }

  auto r = store_.get_message(std::string(kScheduleTopicName), level - 1, from, config_.batch_size,
                              kMaxBatchBytes);
  switch (r.status) {
    case store::GetStatus::kFound:
      break;
    case store::GetStatus::kOffsetTooSmall:
    case store::GetStatus::kMessageWasRemoving:
    case store::GetStatus::kNoMatchedMessage: {
      // The records before next_begin_offset are gone (retention): nothing left to deliver there.
      std::lock_guard lock(core.mu);
      LevelState& s = core.levels[idx];
      if (core.generation != gen || s.next_read != from || r.next_begin_offset <= from)
        return false;
      common::logger("broker")->warn("schedule level {}: queue offsets [{}, {}) are gone, skipping",
                                     level, from, r.next_begin_offset);
      s.next_read = r.next_begin_offset;
      core.refresh_progress(s);
      return true;
    }
    default:
      // Empty, caught up, or not dispatched yet (a new leader's reput may lag its progress).
      return false;
  }

  int64_t cursor = from;
  for (store::LogSlice& slice : r.messages) {
    auto view = store::decode_message(slice.bytes, /*check_crc=*/false);
    std::unique_lock lock(core.mu);
    if (core.stop || core.generation != gen) return false;
    LevelState& s = core.levels[idx];
    if (s.next_read != cursor) return false;  // a failed put moved the cursor back
    if (!view.ok()) {
      // Its queue offset is unknown, so it cannot be skipped safely: retry later.
      common::logger("broker")->error("schedule level {}: undecodable record at {}: {}", level,
                                      slice.offset, view.status().to_string());
      s.retry_at_ms = now_ms + core.retry_backoff_ms;
      next_wake_ms = std::min(next_wake_ms, s.retry_at_ms);
      return false;
    }
    const int64_t q = view->queue_offset;
    int64_t due = delivery_time_ms(levels_ms_, level, view->store_timestamp);
    // A store timestamp from a clock ahead of ours (e.g. an old leader's) must not hold it longer
    // than one full delay from now (RocketMQ correctDeliverTimestamp).
    if (due > now_ms + delay_ms(level)) due = now_ms;
    if (due > now_ms) {
      s.next_read = std::max(s.next_read, q);
      core.refresh_progress(s);
      next_wake_ms = std::min(next_wake_ms, due);
      return false;
    }
    if (s.slots.count(q) != 0) {  // retrying after a failure: this one is in flight or acked
      s.next_read = cursor = q + 1;
      continue;
    }
    if (s.in_flight >= config_.max_in_flight_per_level) {
      s.next_read = std::max(s.next_read, q);
      core.refresh_progress(s);
      return false;
    }
    auto input = rebuild_original(*view);
    if (!input) {
      common::logger("broker")->error(
          "schedule level {}: message at queue offset {} has no valid REAL_TOPIC/REAL_QID, "
          "dropped",
          level, q);
      s.next_read = cursor = q + 1;
      core.refresh_progress(s);
      continue;
    }
    s.slots.emplace(q, false);
    ++s.in_flight;
    s.next_read = cursor = q + 1;
    lock.unlock();
    deliver(level, gen, q, std::move(slice), std::move(*input));
  }

  std::lock_guard lock(core.mu);
  LevelState& s = core.levels[idx];
  if (core.generation != gen || s.next_read != cursor) return false;
  // Records after the last one returned may be gone (retention); next_begin_offset covers them.
  s.next_read = std::max(cursor, r.next_begin_offset);
  core.refresh_progress(s);
  return s.next_read < r.max_offset;
}

void ScheduleMessageService::deliver(int level, uint64_t generation, int64_t queue_offset,
                                     store::LogSlice slice, store::MessageInput msg) {
  std::weak_ptr<Core> weak = core_;
  auto holder = slice.holder;  // keeps msg.body's bytes alive until the ack
  put_(std::move(msg),
       [weak, level, generation, queue_offset, holder](const store::AppendResult& result) {
         auto core = weak.lock();
         if (!core) return;
         {
           std::lock_guard lock(core->mu);
           if (core->generation != generation || !core->leading) return;
           LevelState& s = core->levels[static_cast<size_t>(level - 1)];
           auto it = s.slots.find(queue_offset);
           if (it == s.slots.end() || it->second) return;
           --s.in_flight;
           if (result.status == store::PutStatus::kOk) {
             it->second = true;
             core->refresh_progress(s);
           } else {
             common::logger("broker")->warn(
                 "schedule level {}: delivering queue offset {} failed ({} {}), retrying later",
                 level, queue_offset, store::to_string(result.status), result.remark);
             s.slots.erase(it);
             s.next_read = std::min(s.next_read, queue_offset);
             s.retry_at_ms = core->clock->wall_ms() + core->retry_backoff_ms;
           }
           core->wake = true;
         }
         core->cv.notify_all();
       });
}

void ScheduleMessageService::maybe_save(int64_t now_ms, bool force) {
  std::map<int, int64_t> snapshot;
  {
    std::lock_guard lock(core_->mu);
    if (!core_->dirty) return;
    if (!force && core_->last_save_ms != std::numeric_limits<int64_t>::min() &&
        now_ms - core_->last_save_ms < config_.save_interval.count()) {
      return;
    }
    snapshot = core_->progress_map();
    core_->dirty = false;
    core_->last_save_ms = now_ms;
  }
  if (save_progress_) save_progress_(std::move(snapshot));
}

}  // namespace rmq::broker
