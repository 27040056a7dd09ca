// BrokerStats: counters the broker exposes (runtime info, later metrics): messages and bytes put
// and got, send latency, and per-second rates sampled by the controller once a second.
// Lock-free on the hot path (relaxed atomics). Thread-safe.
#pragma once

#include "metrics/registry.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace rmq::broker {

class BrokerStats {
 public:
  void on_put(uint64_t msgs, uint64_t bytes) {
    put_msgs_.fetch_add(msgs, std::memory_order_relaxed);
    put_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void on_put_failed() { put_failures_.fetch_add(1, std::memory_order_relaxed); }
  void on_get(uint64_t msgs, uint64_t bytes) {
    get_msgs_.fetch_add(msgs, std::memory_order_relaxed);
    get_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  // A send answered: from the request's arrival to its response being written.
  void on_send_latency(std::chrono::nanoseconds d) {
    send_latency_.observe(std::chrono::duration<double>(d).count());
  }
  const metrics::Histogram& send_latency() const { return send_latency_; }
  uint64_t put_msgs() const { return put_msgs_.load(std::memory_order_relaxed); }
  uint64_t put_bytes() const { return put_bytes_.load(std::memory_order_relaxed); }
  uint64_t put_failures() const { return put_failures_.load(std::memory_order_relaxed); }
  uint64_t get_msgs() const { return get_msgs_.load(std::memory_order_relaxed); }
  uint64_t get_bytes() const { return get_bytes_.load(std::memory_order_relaxed); }

  // Called once a second: the rates over the last second.
  void sample() {
    std::lock_guard lock(mu_);
    const uint64_t p = put_msgs();
    const uint64_t g = get_msgs();
    put_tps_ = static_cast<double>(p - last_put_);
    get_tps_ = static_cast<double>(g - last_get_);
    last_put_ = p;
    last_get_ = g;
  }
  double put_tps() const {
    std::lock_guard lock(mu_);
    return put_tps_;
  }
  double get_tps() const {
    std::lock_guard lock(mu_);
    return get_tps_;
  }

 private:
  std::atomic<uint64_t> put_msgs_{0};
  std::atomic<uint64_t> put_bytes_{0};
  std::atomic<uint64_t> put_failures_{0};
  std::atomic<uint64_t> get_msgs_{0};
  std::atomic<uint64_t> get_bytes_{0};
  metrics::Histogram send_latency_{metrics::latency_buckets_seconds()};  // seconds
  mutable std::mutex mu_;
  uint64_t last_put_ = 0;  // GUARDED_BY(mu_)
  uint64_t last_get_ = 0;  // GUARDED_BY(mu_)
  double put_tps_ = 0;     // GUARDED_BY(mu_)
  double get_tps_ = 0;     // GUARDED_BY(mu_)
};

}  // namespace rmq::broker
