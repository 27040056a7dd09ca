#include "client/latency_fault.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <tuple>

namespace rmq::client {

int64_t LatencyFaultTolerance::not_available_ms(int64_t latency_ms) {
  for (size_t i = kLatencyMaxMs.size(); i-- > 0;) {
    if (latency_ms >= kLatencyMaxMs[i]) return kNotAvailableMs[i];
  }
  return 0;
}

void LatencyFaultTolerance::update(const std::string& broker, common::Duration latency,
                                   bool isolation) {
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(latency).count();
  const int64_t hold = not_available_ms(isolation ? kIsolationLatencyMs : ms);
  const common::TimePoint until = clock_.now() + std::chrono::milliseconds(hold);
  std::lock_guard lock(mu_);
  auto it = items_.find(broker);
  if (it == items_.end()) it = items_.emplace(broker, FaultItem{broker, 0, {}}).first;
  it->second.latency_ms = ms;
  it->second.available_at = until;
}

bool LatencyFaultTolerance::available(const std::string& broker) const {
  const common::TimePoint now = clock_.now();
  std::lock_guard lock(mu_);
  auto it = items_.find(broker);
  return it == items_.end() || now >= it->second.available_at;
}

void LatencyFaultTolerance::remove(const std::string& broker) {
  std::lock_guard lock(mu_);
  items_.erase(broker);
}

std::vector<FaultItem> LatencyFaultTolerance::items() const {
  std::lock_guard lock(mu_);
  std::vector<FaultItem> out;
  out.reserve(items_.size());
  for (const auto& [name, item] : items_) out.push_back(item);
  return out;
}

std::vector<FaultItem> LatencyFaultTolerance::unavailable() const {
  const common::TimePoint now = clock_.now();
  std::vector<FaultItem> out;
  std::lock_guard lock(mu_);
  for (const auto& [name, item] : items_) {
    if (now < item.available_at) out.push_back(item);
  }
  return out;
}

size_t LatencyFaultTolerance::select(const std::vector<QueueRef>& queues, uint64_t start,
                                     std::string_view last_broker) const {
  return select_queue(queues, start, last_broker, unavailable());
}

size_t select_queue(const std::vector<QueueRef>& queues, uint64_t start,
                    std::string_view last_broker, const std::vector<FaultItem>& unavailable) {
  const size_t n = queues.size();
  const auto down = [&](const std::string& broker) {
    return std::any_of(unavailable.begin(), unavailable.end(),
                       [&](const FaultItem& f) { return f.broker == broker; });
  };
  std::optional<size_t> fallback;  // available, but the last failed broker
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (start + k) % n;
    const std::string& b = queues[i].broker_name;
    if (down(b)) continue;
    if (b != last_broker) return i;
    if (!fallback) fallback = i;
  }
  if (fallback) return *fallback;
  // Every broker of the route is out: the least bad one.
  const FaultItem* best = nullptr;
  for (const FaultItem& f : unavailable) {
    const bool routed = std::any_of(queues.begin(), queues.end(),
                                    [&](const QueueRef& q) { return q.broker_name == f.broker; });
    if (!routed) continue;
    if (best == nullptr || std::tie(f.available_at, f.latency_ms, f.broker) <
                               std::tie(best->available_at, best->latency_ms, best->broker)) {
      best = &f;
    }
  }
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (start + k) % n;
    if (best == nullptr || queues[i].broker_name == best->broker) return i;
  }
  return start % n;
}

}  // namespace rmq::client
