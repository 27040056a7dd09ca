#include "store/flush_service.h"

#include "common/logging.h"

#include <pthread.h>

namespace rmq::store {

FlushService::FlushService(MappedFileQueue& files, const StoreConfig& config, common::Clock& clock)
    : files_(files), config_(config), clock_(clock) {}

FlushService::~FlushService() { stop(); }

void FlushService::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  last_thorough_ = clock_.now();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rmq-flush");
    run();
  });
}

void FlushService::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FlushService::request_flush(int64_t offset, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stop_ || thread_.joinable()) {
      waiters_.push_back(
          Waiter{offset, clock_.now() + config_.sync_flush_timeout, std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(false);  // stopped: nothing will flush it
}

void FlushService::wakeup() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

bool FlushService::flush_to(int64_t target) {
  while (files_.flushed_offset() < target) {
    const int64_t before = files_.flushed_offset();
    auto r = files_.flush(0);
    flush_calls_.fetch_add(1, std::memory_order_relaxed);
    if (!r.ok()) {
      common::logger("store")->error("commit log flush failed: {}", r.status().to_string());
      return false;
    }
    if (files_.flushed_offset() == before) break;  // nothing more to flush
  }
  if (on_flushed_) on_flushed_(files_.flushed_offset());
  return files_.flushed_offset() >= target;
}

void FlushService::flush_periodic() {
  const common::TimePoint now = clock_.now();
  uint32_t least = config_.flush_commit_log_least_pages;
  if (now - last_thorough_ >= config_.flush_commit_log_thorough_interval) {
    least = 0;
    last_thorough_ = now;
  }
  const int64_t before = files_.flushed_offset();
  auto r = files_.flush(least);
  flush_calls_.fetch_add(1, std::memory_order_relaxed);
  if (!r.ok()) {
    common::logger("store")->error("commit log flush failed: {}", r.status().to_string());
  } else if (files_.flushed_offset() != before && on_flushed_) {
    on_flushed_(files_.flushed_offset());
  }
}

void FlushService::run() {
  const bool sync = config_.flush_disk_type == FlushDiskType::kSyncFlush;
  while (true) {
    std::vector<Waiter> batch;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      // Sync mode waits for waiters (group commit); async mode for its interval or a wake-up.
      const auto interval =
          sync ? std::chrono::milliseconds(10) : config_.flush_interval_commit_log;
      cv_.wait_for(lock, interval, [&] { return stop_ || !waiters_.empty() || (wake_ && sync); });
      wake_ = false;
      batch.swap(waiters_);
      stopping = stop_;
    }
    if (!batch.empty()) {
      int64_t target = 0;
      for (const auto& w : batch) target = std::max(target, w.offset);
      flush_to(target);
      const int64_t flushed = files_.flushed_offset();
      const common::TimePoint now = clock_.now();
      std::vector<Waiter> retry;
      for (auto& w : batch) {
        if (flushed >= w.offset) {
          w.done(true);
        } else if (now >= w.deadline || stopping) {
          w.done(false);
        } else {
          retry.push_back(std::move(w));
        }
      }
      if (!retry.empty()) {
        {
          std::lock_guard lock(mu_);
          waiters_.insert(waiters_.begin(), std::make_move_iterator(retry.begin()),
                          std::make_move_iterator(retry.end()));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // back off a failing disk
      }
    } else if (!sync) {
      flush_periodic();
    }
    if (stopping) {
      flush_to(files_.max_offset());
      std::vector<Waiter> rest;
      {
        std::lock_guard lock(mu_);
        rest.swap(waiters_);
      }
      const int64_t flushed = files_.flushed_offset();
      for (auto& w : rest) w.done(flushed >= w.offset);
      return;
    }
  }
}

}  // namespace rmq::store
