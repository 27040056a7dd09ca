// Clock: the only source of time outside common/clock.cc. Components that wait or expire things
// take a Clock& so tests can drive them with ManualClock. SteadyClock is the production clock.
// Both implementations are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace rmq::common {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time: for timeouts and intervals.
  virtual TimePoint now() const = 0;
  // Wall-clock milliseconds since the Unix epoch: for timestamps stored in messages.
  virtual int64_t wall_ms() const = 0;

  int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
};

class SteadyClock final : public Clock {
 public:
  TimePoint now() const override;
  int64_t wall_ms() const override;
  // Process-wide instance for mains and for objects that do not need a test clock.
  static SteadyClock& instance();
};

// A clock that moves only when told. Starts at an arbitrary non-zero instant.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_wall_ms = 1'700'000'000'000) : wall_ms_(start_wall_ms) {}
  TimePoint now() const override {
    return TimePoint(Duration(ns_.load(std::memory_order_acquire)));
  }
  int64_t wall_ms() const override {
    return wall_ms_ + ns_.load(std::memory_order_acquire) / 1'000'000;
  }
  void advance(Duration d) { ns_.fetch_add(d.count(), std::memory_order_acq_rel); }

 private:
  std::atomic<int64_t> ns_{1'000'000'000};
  int64_t wall_ms_;
};

}  // namespace rmq::common
