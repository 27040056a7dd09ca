#include "store/reput_service.h"

#include "common/logging.h"

#include <pthread.h>

namespace rmq::store {

ReputService::ReputService(CommitLog& log, std::vector<CommitLogDispatcher*> dispatchers)
    : log_(log), dispatchers_(std::move(dispatchers)), builder_(&ReputService::default_request) {}

ReputService::~ReputService() { stop(); }

DispatchRequest ReputService::default_request(const MessageView& m) {
  DispatchRequest r;
  r.topic.assign(m.topic);
  r.queue_id = m.queue_id;
  r.commit_log_offset = m.physical_offset;
  r.msg_size = m.total_size;
  r.store_timestamp = m.store_timestamp;
  r.consume_queue_offset = m.queue_offset;
  r.sys_flag = m.sys_flag;
  if (auto tags = find_property(m.properties, prop::kTags)) r.tags_code = tags_hash_code(*tags);
  if (auto keys = find_property(m.properties, prop::kKeys)) r.keys.assign(*keys);
  if (auto uniq = find_property(m.properties, prop::kUniqKey)) r.uniq_key.assign(*uniq);
  return r;
}

void ReputService::start(int64_t from_offset) {
  reput_offset_.store(from_offset, std::memory_order_release);
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rmq-reput");
    run();
  });
}

void ReputService::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReputService::wakeup() {
  // Writers call this per append: only a sleeping dispatcher needs the (syscall) notify. Pairs
  // with the fence in run(): either we see sleeping_, or run() sees the new confirm offset.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!sleeping_.load(std::memory_order_relaxed)) return;
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

void ReputService::catch_up(int64_t from_offset) {
  reput_offset_.store(from_offset, std::memory_order_release);
  while (do_reput()) {
  }
}

void ReputService::dispatch_now(int64_t max_bytes) {
  std::unique_lock lock(dispatch_mu_, std::try_to_lock);
  if (!lock.owns_lock()) {  // the thread is dispatching: make sure it looks again
    wakeup();
    return;
  }
  do_reput(max_bytes);
  lock.unlock();
  if (log_.confirm_offset() > reput_offset()) wakeup();
}

bool ReputService::do_reput(int64_t max_bytes) {
  int64_t offset = reput_offset_.load(std::memory_order_acquire);
  const int64_t start = offset;
  const int64_t confirm = log_.confirm_offset();
  if (offset < log_.min_offset()) {
    common::logger("store")->warn("reput offset {} is below the log's min {}; skipping ahead",
                                  offset, log_.min_offset());
    offset = log_.min_offset();
  }
  bool progressed = false;
  while (offset < confirm) {
    // One segment's worth of published bytes per call: no lock or refcount per record.
    auto chunk = log_.read_available(offset, confirm);
    if (!chunk.ok()) {
      common::logger("store")->error("reput: cannot read at {}: {}", offset,
                                     chunk.status().to_string());
      break;
    }
    common::ByteView rest = chunk->bytes;
    bool segment_done = false;
    while (!rest.empty()) {
      const RecordProbe probe = log_.probe(rest);
      if (probe.kind == RecordProbe::Kind::kSkip) {
        offset += probe.size;
        rest = rest.subspan(std::min<size_t>(probe.size, rest.size()));
        reput_offset_.store(offset, std::memory_order_release);
        progressed = true;
        continue;
      }
      if (probe.kind == RecordProbe::Kind::kBlank) {
        offset = log_.roll_next_file(offset);
        segment_done = true;
        break;
      }
      if (probe.kind != RecordProbe::Kind::kMessage) {
        common::logger("store")->error("reput: unreadable record at {}: {}", offset, probe.error);
        reput_offset_.store(offset, std::memory_order_release);
        return progressed;
      }
      auto msg = decode_message(rest, /*check_crc=*/false);
      const DispatchRequest req = builder_(*msg);
      for (CommitLogDispatcher* d : dispatchers_) d->dispatch(req);
      if (listener_) listener_(req);
      offset += probe.size;
      rest = rest.subspan(probe.size);
      reput_offset_.store(offset, std::memory_order_release);
      progressed = true;
      if (offset - start >= max_bytes) return progressed;
    }
    if (segment_done) {
      reput_offset_.store(offset, std::memory_order_release);
      progressed = true;
    }
  }
  return progressed;
}

void ReputService::run() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (stop_) break;
    }
    {
      std::lock_guard dispatch(dispatch_mu_);
      if (do_reput()) continue;
    }
    sleeping_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (log_.confirm_offset() > reput_offset()) {  // arrived between do_reput and now
      sleeping_.store(false, std::memory_order_relaxed);
      continue;
    }
    std::unique_lock lock(mu_);
    // Appends and commits call wakeup(); the timeout is a safety net.
    cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_ || wake_; });
    wake_ = false;
    sleeping_.store(false, std::memory_order_relaxed);
  }
  std::lock_guard dispatch(dispatch_mu_);
  do_reput();  // dispatch what was confirmed before stopping
}

}  // namespace rmq::store
