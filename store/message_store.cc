#include "store/message_store.h"

#include "common/logging.h"

#include <algorithm>
#include <pthread.h>

namespace rmq::store {

namespace {
// The most a committing thread dispatches itself per call; the dispatch thread takes the rest.
constexpr int64_t kInlineDispatchBytes = 1 << 20;
}  // namespace

using common::Result;
using common::Status;

std::string_view to_string(GetStatus s) {
  switch (s) {
    case GetStatus::kFound:
      return "FOUND";
    case GetStatus::kNoMatchedMessage:
      return "NO_MATCHED_MESSAGE";
    case GetStatus::kMessageWasRemoving:
      return "MESSAGE_WAS_REMOVING";
    case GetStatus::kOffsetFoundNull:
      return "OFFSET_FOUND_NULL";
    case GetStatus::kOffsetOverflowBadly:
      return "OFFSET_OVERFLOW_BADLY";
    case GetStatus::kOffsetOverflowOne:
      return "OFFSET_OVERFLOW_ONE";
    case GetStatus::kOffsetTooSmall:
      return "OFFSET_TOO_SMALL";
    case GetStatus::kNoMatchedLogicQueue:
      return "NO_MATCHED_LOGIC_QUEUE";
    case GetStatus::kNoMessageInQueue:
      return "NO_MESSAGE_IN_QUEUE";
  }
  return "UNKNOWN";
}

MessageStore::MessageStore(StoreConfig config, FileSystem& fs, common::Clock& clock)
    : MessageStore(std::move(config), fs, clock, [&](QueueOffsetTable& offsets) {
        return std::make_unique<LocalCommitLog>(fs, config_, clock, offsets);
      }) {}

MessageStore::MessageStore(StoreConfig config, FileSystem& fs, common::Clock& clock,
                           const CommitLogFactory& make_log)
    : config_(std::move(config)),
      fs_(fs),
      clock_(clock),
      log_(make_log(queue_offsets_)),
      local_(dynamic_cast<LocalCommitLog*>(log_.get())),
      cqs_(fs, config_.consume_queue_dir(), config_.consume_queue_units_per_file),
      index_(fs, config_.index_dir(), config_.max_hash_slot_num, config_.max_index_num),
      reput_(*log_, config_.message_index_enable ? std::vector<CommitLogDispatcher*>{&cqs_, &index_}
                                                 : std::vector<CommitLogDispatcher*>{&cqs_}) {
  if (local_ != nullptr) {
    retention_ =
        std::make_unique<RetentionService>(config_, fs, clock, *local_, cqs_, index_, reput_);
  }
  CommitLog::Hooks hooks;
  hooks.on_confirm = [this] { reput_.wakeup(); };
  hooks.dispatch_now = [this] { reput_.dispatch_now(kInlineDispatchBytes); };
  hooks.dispatched_offset = [this] { return reput_.reput_offset(); };
  hooks.reset_queue_offsets = [this] {
    queue_offsets_.clear();
    for (const auto& cq : cqs_.all()) {
      queue_offsets_.set(cq->topic(), cq->queue_id(), cq->max_offset());
    }
  };
  log_->set_hooks(std::move(hooks));
}

MessageStore::~MessageStore() { shutdown(); }

void MessageStore::set_arrival_listener(ReputService::ArrivalListener l) {
  reput_.set_arrival_listener(std::move(l));
}

void MessageStore::set_request_builder(ReputService::RequestBuilder b) {
  reput_.set_request_builder(std::move(b));
}

// The tail unit of a queue must point at a message of that queue with that queue offset;
// anything else means the queue file is corrupt.
bool MessageStore::queue_tail_matches(const ConsumeQueue& cq) {
  const int64_t last = cq.max_offset() - 1;
  if (last < cq.min_offset()) return true;
  const auto unit = cq.get(last);
  if (!unit) return true;  // a blank gap unit
  auto rec = log_->read(unit->commit_log_offset, static_cast<uint32_t>(unit->size));
  if (!rec.ok()) return false;
  auto msg = decode_message(rec->bytes, /*check_crc=*/false);
  return msg.ok() && msg->topic == cq.topic() && msg->queue_id == cq.queue_id() &&
         msg->queue_offset == last;
}

int64_t MessageStore::decide_reput_from(const Checkpoint& cp, int64_t end) {
  const int64_t min = log_->min_offset();
  int64_t from = std::clamp(cp.dispatched_offset, min, end);
  auto rebuild_all = [&](const std::string& why) {
    recovery_.rebuilt.push_back(why);
    from = min;
  };
  if (config_.message_index_enable && index_.indexed_phy_offset() < from) {
    const int64_t indexed = std::max(index_.indexed_phy_offset(), min);
    if (indexed < from) {
      recovery_.rebuilt.push_back("index behind the checkpoint (" +
                                  std::to_string(index_.indexed_phy_offset()) + ")");
      from = indexed;
    }
  }
  for (const auto& [key, max] : cp.queues) {
    auto cq = cqs_.find(key.first, key.second);
    if (!cq) {
      rebuild_all("consume queue " + key.first + "-" + std::to_string(key.second) + " missing");
    } else if (cq->max_offset() < max) {
      rebuild_all("consume queue " + key.first + "-" + std::to_string(key.second) + " behind (" +
                  std::to_string(cq->max_offset()) + " < " + std::to_string(max) + ")");
    }
  }
  for (const auto& cq : cqs_.all()) {
    if (!queue_tail_matches(*cq)) {
      const std::string why =
          "consume queue " + cq->topic() + "-" + std::to_string(cq->queue_id()) + " corrupt";
      common::logger("store")->warn("{}: removing it for a rebuild", why);
      if (Status st = cqs_.remove(cq->topic(), cq->queue_id()); !st.is_ok()) {
        common::logger("store")->error("cannot remove {}: {}", why, st.to_string());
      }
      rebuild_all(why);
    }
  }
  if (cp.queues.empty() && cqs_.all().empty() && end > min && cp.dispatched_offset == 0) {
    from = min;  // first start over an existing log, or every queue deleted
  }
  return std::clamp(from, min, end);
}

Status MessageStore::load() {
  if (loaded_) return Status::ok();
  RMQ_RETURN_IF_ERROR(fs_.create_dirs(config_.store_path_root_dir));
  recovery_ = {};
  recovery_.abnormal = fs_.exists(config_.abort_path());
  auto cp = Checkpoint::load(fs_, config_.checkpoint_path());
  Checkpoint checkpoint;
  if (cp.ok()) {
    checkpoint = *cp;
  } else {
    common::logger("store")->warn("{}; recovering without it", cp.status().to_string());
    recovery_.abnormal = true;
    recovery_.rebuilt.push_back("checkpoint unreadable");
  }
  RMQ_RETURN_IF_ERROR(log_->load());
  RMQ_ASSIGN_OR_RETURN(const int64_t end, log_->recover(checkpoint, !recovery_.abnormal));
  recovery_.commit_log_end = end;
  RMQ_RETURN_IF_ERROR(cqs_.load(end));
  if (config_.message_index_enable) RMQ_RETURN_IF_ERROR(index_.load(end));
  const int64_t from = decide_reput_from(checkpoint, end);
  recovery_.reput_from = from;
  // Re-dispatch synchronously: queue offsets must be exact before the first new append.
  reput_.catch_up(from);
  for (const auto& cq : cqs_.all()) {
    queue_offsets_.set(cq->topic(), cq->queue_id(), cq->max_offset());
  }
  common::logger("store")->info(
      "store loaded ({} recovery): log [{}, {}), re-dispatched from {}{}",
      recovery_.abnormal ? "abnormal" : "normal", log_->min_offset(), end, from,
      recovery_.rebuilt.empty() ? "" : " (rebuild: " + recovery_.rebuilt.front() + ")");
  loaded_ = true;
  return Status::ok();
}

Status MessageStore::start() {
  if (!loaded_) RMQ_RETURN_IF_ERROR(load());
  if (started_) return Status::ok();
  // Mark the run as in progress: a crash from here on is seen by the next load().
  RMQ_RETURN_IF_ERROR(fs_.write_file_atomic(config_.abort_path(), "running\n"));
  RMQ_RETURN_IF_ERROR(log_->start());
  reput_.start(reput_.reput_offset());
  RMQ_RETURN_IF_ERROR(checkpoint_now());
  {
    std::lock_guard lock(svc_mu_);
    svc_stop_ = false;
  }
  svc_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rmq-store-svc");
    service_loop();
  });
  started_ = true;
  return Status::ok();
}

void MessageStore::shutdown() {
  if (!started_) return;
  started_ = false;
  {
    std::lock_guard lock(svc_mu_);
    svc_stop_ = true;
  }
  svc_cv_.notify_all();
  if (svc_thread_.joinable()) svc_thread_.join();
  log_->shutdown();  // refuses new appends, flushes everything
  reput_.stop();     // dispatches the rest
  cqs_.flush_all(0);
  if (config_.message_index_enable) (void)index_.flush();
  Checkpoint cp;
  cp.flushed_offset = log_->flushed_offset();
  cp.dispatched_offset = reput_.reput_offset();
  cp.clean_offset = log_->max_offset();
  cp.queues = cqs_.max_offsets();
  Status st = cp.save(fs_, config_.checkpoint_path());
  if (st.is_ok() && cp.flushed_offset == cp.clean_offset) {
    st = fs_.remove_file(config_.abort_path());
  }
  if (!st.is_ok()) {
    common::logger("store")->error("clean shutdown incomplete ({}); next start recovers abnormally",
                                   st.to_string());
  }
  loaded_ = false;
}

Status MessageStore::checkpoint_now() {
  std::lock_guard lock(checkpoint_mu_);
  Checkpoint cp;
  // Capture what is dispatched before flushing: everything up to it is then durable.
  cp.dispatched_offset = reput_.reput_offset();
  cp.queues = cqs_.max_offsets();
  cqs_.flush_all(0);
  if (config_.message_index_enable) RMQ_RETURN_IF_ERROR(index_.flush());
  cp.flushed_offset = log_->flushed_offset();
  cp.clean_offset = -1;
  return cp.save(fs_, config_.checkpoint_path());
}

void MessageStore::service_loop() {
  const common::TimePoint start = clock_.now();
  common::TimePoint last_cq = start;
  common::TimePoint last_clean = start;
  while (true) {
    {
      std::unique_lock lock(svc_mu_);
      svc_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return svc_stop_; });
      if (svc_stop_) return;
    }
    const common::TimePoint now = clock_.now();
    if (now - last_cq >= config_.flush_interval_consume_queue) {
      last_cq = now;
      if (Status st = checkpoint_now(); !st.is_ok()) {
        common::logger("store")->error("checkpoint failed: {}", st.to_string());
      }
    }
    if (retention_ && now - last_clean >= config_.clean_resource_interval) {
      last_clean = now;
      retention_->run_once();
    }
  }
}

void MessageStore::put_message(const MessageInput& msg, AppendCallback done) {
  auto encoded = encode_message(msg, config_.max_message_size);
  if (!encoded.ok()) {
    AppendResult r;
    r.status = encoded.status().message().find("properties") != std::string_view::npos
                   ? PutStatus::kPropertiesSizeExceeded
                   : PutStatus::kMessageIllegal;
    r.remark = std::string(encoded.status().message());
    done(r);
    return;
  }
  log_->append(std::move(encoded).value(), std::move(done));
}

void MessageStore::put_batch(const MessageInput& common, common::ByteView batch_body,
                             AppendCallback done) {
  auto encoded = encode_batch(common, batch_body, config_.max_message_size);
  if (!encoded.ok()) {
    AppendResult r;
    r.status = PutStatus::kMessageIllegal;
    r.remark = std::string(encoded.status().message());
    done(r);
    return;
  }
  log_->append(std::move(encoded).value(), std::move(done));
}

GetMessageResult MessageStore::get_message(const std::string& topic, int32_t queue_id,
                                           int64_t offset, uint32_t max_count, uint64_t max_bytes,
                                           const std::function<bool(int64_t)>& filter) {
  GetMessageResult r;
  auto cq = cqs_.find(topic, queue_id);
  if (!cq) {
    r.status = GetStatus::kNoMatchedLogicQueue;
    r.next_begin_offset = 0;
    return r;
  }
  r.min_offset = cq->min_offset();
  r.max_offset = cq->max_offset();
  if (r.max_offset == 0) {
    r.status = GetStatus::kNoMessageInQueue;
    r.next_begin_offset = 0;
    return r;
  }
  if (offset < r.min_offset) {
    r.status = GetStatus::kOffsetTooSmall;
    r.next_begin_offset = r.min_offset;
    return r;
  }
  if (offset == r.max_offset) {
    r.status = GetStatus::kOffsetOverflowOne;
    r.next_begin_offset = offset;
    return r;
  }
  if (offset > r.max_offset) {
    r.status = GetStatus::kOffsetOverflowBadly;
    r.next_begin_offset = r.min_offset == 0 ? r.min_offset : r.max_offset;
    return r;
  }
  const int64_t log_min = log_->min_offset();
  int64_t next = offset;
  bool any_removed = false;
  cq->scan(offset, std::max<uint32_t>(max_count, 1) * 4 + 16, [&](int64_t index, const CqUnit& u) {
    if (r.messages.size() >= max_count ||
        (r.total_bytes > 0 && r.total_bytes + static_cast<uint64_t>(u.size) > max_bytes)) {
      return false;
    }
    next = index + 1;
    if (filter && !filter(u.tags_code)) return true;
    if (u.commit_log_offset < log_min) {
      any_removed = true;
      return true;
    }
    auto slice = log_->read(u.commit_log_offset, static_cast<uint32_t>(u.size));
    if (!slice.ok()) {
      any_removed = true;
      return true;
    }
    r.total_bytes += slice->bytes.size();
    r.messages.push_back(std::move(slice).value());
    return true;
  });
  r.next_begin_offset = next;
  if (!r.messages.empty()) {
    r.status = GetStatus::kFound;
  } else if (any_removed) {
    r.status = GetStatus::kMessageWasRemoving;
  } else if (next > offset) {
    r.status = GetStatus::kNoMatchedMessage;
  } else {
    r.status = GetStatus::kOffsetFoundNull;
    r.next_begin_offset = offset + 1 <= r.max_offset ? offset + 1 : offset;
  }
  return r;
}

int64_t MessageStore::max_offset_in_queue(const std::string& topic, int32_t queue_id) const {
  auto cq = cqs_.find(topic, queue_id);
  return cq ? cq->max_offset() : 0;
}

int64_t MessageStore::min_offset_in_queue(const std::string& topic, int32_t queue_id) const {
  auto cq = cqs_.find(topic, queue_id);
  return cq ? cq->min_offset() : 0;
}

int64_t MessageStore::offset_in_queue_by_time(const std::string& topic, int32_t queue_id,
                                              int64_t ts_ms) {
  auto cq = cqs_.find(topic, queue_id);
  if (!cq) return 0;
  return cq->offset_by_time(ts_ms, [&](int64_t phys) -> std::optional<int64_t> {
    auto rec = log_->read_record(phys);
    if (!rec.ok()) return std::nullopt;
    auto msg = decode_message(rec->bytes, false);
    if (!msg.ok()) return std::nullopt;
    return msg->store_timestamp;
  });
}

std::optional<int64_t> MessageStore::earliest_message_time(const std::string& topic,
                                                           int32_t queue_id) {
  auto cq = cqs_.find(topic, queue_id);
  if (!cq) return std::nullopt;
  std::optional<int64_t> out;
  cq->scan(cq->min_offset(), 1, [&](int64_t, const CqUnit& u) {
    auto rec = log_->read(u.commit_log_offset, static_cast<uint32_t>(u.size));
    if (rec.ok()) {
      auto msg = decode_message(rec->bytes, false);
      if (msg.ok()) out = msg->store_timestamp;
    }
    return false;
  });
  return out;
}

Result<LogSlice> MessageStore::look_message_by_offset(int64_t phys) {
  RMQ_ASSIGN_OR_RETURN(LogSlice rec, log_->read_record(phys));
  auto msg = decode_message(rec.bytes, false);
  if (!msg.ok()) return Status::not_found("no message at offset " + std::to_string(phys));
  return rec;
}

QueryMessageResult MessageStore::query_message(const std::string& topic, const std::string& key,
                                               uint32_t max_num, int64_t begin_ms, int64_t end_ms) {
  QueryMessageResult out;
  if (!config_.message_index_enable) return out;
  const QueryOffsetResult found = index_.query(topic, key, max_num, begin_ms, end_ms);
  out.index_last_update_timestamp = found.index_last_update_timestamp;
  out.index_last_update_phy_offset = found.index_last_update_phy_offset;
  for (const int64_t phys : found.physical_offsets) {
    auto rec = look_message_by_offset(phys);
    if (!rec.ok()) continue;
    auto msg = decode_message(rec->bytes, false);
    if (!msg.ok() || msg->topic != topic) continue;  // a hash collision of another topic
    out.messages.push_back(std::move(rec).value());
  }
  return out;
}

Result<int64_t> MessageStore::truncate_to(int64_t offset) {
  if (local_ == nullptr) return Status::invalid_argument("truncate_to needs the local log");
  if (!started_) return Status::unavailable("message store is not running");
  reput_.stop();  // no dispatch while the log and the queues shrink
  const int64_t cut = local_->record_start_at_or_before(offset);
  Status st = local_->truncate_to(cut);
  for (const auto& cq : cqs_.all()) {
    if (Status s = cq->truncate_dirty(cut); !s.is_ok() && st.is_ok()) st = s;
  }
  for (const auto& cq : cqs_.all()) {
    queue_offsets_.set(cq->topic(), cq->queue_id(), cq->max_offset());
  }
  reput_.start(std::min(reput_.reput_offset(), cut));
  RMQ_RETURN_IF_ERROR(st);
  common::logger("store")->warn("commit log truncated to {} (asked {}); queues cut with it", cut,
                                offset);
  RMQ_RETURN_IF_ERROR(checkpoint_now());
  return cut;
}

void MessageStore::delete_topic(const std::string& topic) {
  if (Status st = cqs_.remove_topic(topic); !st.is_ok()) {
    common::logger("store")->error("delete topic {}: {}", topic, st.to_string());
  }
  queue_offsets_.erase_topic(topic);
}

}  // namespace rmq::store
