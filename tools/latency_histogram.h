// LatencyHistogram: lock-free log-linear histogram of microsecond latencies (64 sub-buckets per
// power of two, ~1.6% precision, up to ~2^34 us), for the bench's percentiles. record() from any
// thread; percentile() reads a consistent-enough snapshot.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

namespace rmq::tools {

class LatencyHistogram {
 public:
  static constexpr int kSub = 64;
  static constexpr int kPow = 36;

  void record(uint64_t us) {
    counts_[index(us)].fetch_add(1, std::memory_order_relaxed);
    total_.fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t count() const { return total_.load(std::memory_order_relaxed); }
  // The value below which a fraction `q` (0..1) of the samples lie (bucket upper bound).
  uint64_t percentile(double q) const {
    const uint64_t n = count();
    if (n == 0) return 0;
    const auto target = static_cast<uint64_t>(q * static_cast<double>(n));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i].load(std::memory_order_relaxed);
      if (seen > target) return upper(i);
    }
    return upper(counts_.size() - 1);
  }
  void reset() {
    for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
    total_.store(0, std::memory_order_relaxed);
  }

 private:
  static size_t index(uint64_t us) {
    if (us < kSub) return static_cast<size_t>(us);
    const int msb = 63 - std::countl_zero(us);  // >= 6
    const int shift = msb - 6;
    const auto sub = static_cast<size_t>((us >> shift) & (kSub - 1));
    const auto i = static_cast<size_t>(shift + 1) * kSub + sub;
    return i < static_cast<size_t>(kSub * kPow) ? i : static_cast<size_t>(kSub * kPow - 1);
  }
  static uint64_t upper(size_t i) {
    if (i < kSub) return i;
    const size_t shift = i / kSub - 1;
    const uint64_t sub = i % kSub;
    return ((kSub + sub + 1) << shift) - 1;
  }

  std::array<std::atomic<uint64_t>, kSub * kPow> counts_{};
  std::atomic<uint64_t> total_{0};
};

}  // namespace rmq::tools
