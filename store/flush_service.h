// FlushService: makes the commit log durable (RocketMQ's GroupCommitService and
// FlushRealTimeService) on one background thread.
// - Sync flush: request_flush(offset, done) queues a waiter; the thread flushes once for all
//   waiters queued meanwhile (group commit: one fdatasync/msync serves many appends) and calls each
//   `done(true)`, or `done(false)` if flushing keeps failing past syncFlushTimeout.
// - Async flush: every flushIntervalCommitLog, flush when at least flushCommitLogLeastPages pages
//   are dirty, everything every flushCommitLogThoroughInterval.
// Completions run on the flush thread and must not block. stop() flushes everything once more.
#pragma once

#include "common/clock.h"
#include "store/mapped_file_queue.h"
#include "store/store_config.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rmq::store {

class FlushService {
 public:
  using Done = std::function<void(bool ok)>;

  FlushService(MappedFileQueue& files, const StoreConfig& config, common::Clock& clock);
  ~FlushService();

  void start();
  void stop();
  void request_flush(int64_t offset, Done done);
  void wakeup();
  // Called on the flush thread after a flush advanced the durable offset.
  void set_on_flushed(std::function<void(int64_t flushed_offset)> cb) {
    on_flushed_ = std::move(cb);
  }

  uint64_t flush_calls() const { return flush_calls_.load(); }

 private:
  struct Waiter {
    int64_t offset;
    common::TimePoint deadline;
    Done done;
  };
  void run();
  bool flush_to(int64_t target);  // true when durable up to target
  void flush_periodic();

  MappedFileQueue& files_;
  const StoreConfig& config_;
  common::Clock& clock_;
  std::function<void(int64_t)> on_flushed_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Waiter> waiters_;  // GUARDED_BY(mu_)
  bool stop_ = false;            // GUARDED_BY(mu_)
  bool wake_ = false;            // GUARDED_BY(mu_)
  std::thread thread_;
  common::TimePoint last_thorough_{};
  std::atomic<uint64_t> flush_calls_{0};
};

}  // namespace rmq::store
