// LatencyFaultTolerance: the producer's latency-based broker avoidance (RocketMQ's MQFaultStrategy
// and LatencyFaultToleranceImpl, on when ProducerOptions::send_latency_fault_enable is set). After
// every send attempt the broker (group) gets a "not available until" time from the attempt's
// latency: latencyMax {50, 100, 550, 1000, 2000, 3000, 15000} ms maps to notAvailableDuration
// {0, 0, 30, 60, 120, 180, 600} s (the largest latencyMax not above the latency); a failed attempt
// counts as 30000 ms (Java's isolation=true), so it takes the broker out for 600 s. Queue
// selection skips the queues of brokers that are not available, and of the broker that just
// failed; when no broker is available it takes the least bad one (the one available soonest,
// then the lowest latency) instead of failing. Times follow the injected Clock. Thread-safe.
#pragma once

#include "client/route.h"
#include "common/clock.h"

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::client {

struct FaultItem {
  std::string broker;  // broker name (one Raft group)
  int64_t latency_ms = 0;
  common::TimePoint available_at{};
  friend bool operator==(const FaultItem&, const FaultItem&) = default;
};

class LatencyFaultTolerance {
 public:
  static constexpr std::array<int64_t, 7> kLatencyMaxMs{50, 100, 550, 1000, 2000, 3000, 15000};
  static constexpr std::array<int64_t, 7> kNotAvailableMs{0,      0,      30000, 60000,
                                                          120000, 180000, 600000};
  static constexpr int64_t kIsolationLatencyMs = 30000;

  explicit LatencyFaultTolerance(common::Clock& clock) : clock_(clock) {}

  // MQFaultStrategy.computeNotAvailableDuration.
  static int64_t not_available_ms(int64_t latency_ms);

  // Records an attempt on `broker` that took `latency`; `isolation` (the attempt failed) counts as
  // kIsolationLatencyMs for the duration. The item keeps the measured latency.
  void update(const std::string& broker, common::Duration latency, bool isolation);
  bool available(const std::string& broker) const;
  void remove(const std::string& broker);
  // Every item, sorted by broker name.
  std::vector<FaultItem> items() const;
  // The items not available now (usually none).
  std::vector<FaultItem> unavailable() const;

  // The queue to send to: see select_queue(); uses unavailable() and the clock.
  size_t select(const std::vector<QueueRef>& queues, uint64_t start,
                std::string_view last_broker) const;

 private:
  common::Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, FaultItem, std::less<>> items_;  // GUARDED_BY(mu_)
};

// MQFaultStrategy.selectOneMessageQueue with fault avoidance on. From queues[start % n] on: the
// first queue whose broker is not in `unavailable` and is not `last_broker` (the broker of the
// previous failed attempt, "" for a first attempt); else the first whose broker is not in
// `unavailable`; else the first queue of the least bad broker of `unavailable` (earliest
// available_at, then lowest latency, then name). REQUIRES: !queues.empty(). Pure.
size_t select_queue(const std::vector<QueueRef>& queues, uint64_t start,
                    std::string_view last_broker, const std::vector<FaultItem>& unavailable);

}  // namespace rmq::client
