#include "client/rebalance.h"

#include <algorithm>

namespace rmq::client {

namespace {

// Index of `id` in `ids`, or -1.
int64_t index_of(const std::vector<std::string>& ids, const std::string& id) {
  auto it = std::find(ids.begin(), ids.end(), id);
  return it == ids.end() ? -1 : static_cast<int64_t>(it - ids.begin());
}

}  // namespace

std::string_view to_string(AllocateStrategy s) {
  switch (s) {
    case AllocateStrategy::kAveragely:
      return "AVG";
    case AllocateStrategy::kAveragelyByCircle:
      return "AVG_BY_CIRCLE";
  }
  return "?";
}

std::vector<QueueRef> allocate_averagely(const std::vector<QueueRef>& queues,
                                         const std::vector<std::string>& ids,
                                         const std::string& current_id) {
  std::vector<QueueRef> out;
  const int64_t index = index_of(ids, current_id);
  if (queues.empty() || index < 0) return out;
  const auto n = static_cast<int64_t>(queues.size());
  const auto c = static_cast<int64_t>(ids.size());
  const int64_t mod = n % c;
  // The first `mod` members take one queue more than the others.
  const int64_t average = n <= c ? 1 : (mod > 0 && index < mod ? n / c + 1 : n / c);
  const int64_t start = (mod > 0 && index < mod) ? index * average : index * average + mod;
  const int64_t range = std::min(average, n - start);
  for (int64_t i = 0; i < range; ++i) out.push_back(queues[static_cast<size_t>((start + i) % n)]);
  return out;
}

std::vector<QueueRef> allocate_averagely_by_circle(const std::vector<QueueRef>& queues,
                                                   const std::vector<std::string>& ids,
                                                   const std::string& current_id) {
  std::vector<QueueRef> out;
  const int64_t index = index_of(ids, current_id);
  if (queues.empty() || index < 0) return out;
  const auto c = static_cast<int64_t>(ids.size());
  for (auto i = static_cast<size_t>(index); i < queues.size(); ++i) {
    if (static_cast<int64_t>(i) % c == index) out.push_back(queues[i]);
  }
  return out;
}

std::vector<QueueRef> allocate(AllocateStrategy strategy, const std::vector<QueueRef>& queues,
                               const std::vector<std::string>& ids, const std::string& current_id) {
  switch (strategy) {
    case AllocateStrategy::kAveragelyByCircle:
      return allocate_averagely_by_circle(queues, ids, current_id);
    case AllocateStrategy::kAveragely:
      break;
  }
  return allocate_averagely(queues, ids, current_id);
}

}  // namespace rmq::client
