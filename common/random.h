// Random: a seeded generator passed to whoever needs randomness (never a global engine), so a run
// can be replayed from its seed. Not thread-safe: one instance per owner.
#pragma once

#include <cstdint>
#include <random>

namespace rmq::common {

class Random {
 public:
  explicit Random(uint64_t seed) : seed_(seed), engine_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t next_u64() { return engine_(); }
  // Uniform in [lo, hi], inclusive.
  int64_t uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(engine_);
  }
  // True with probability p.
  bool chance(double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_) < p; }

 private:
  uint64_t seed_;
  std::mt19937_64 engine_;
};

}  // namespace rmq::common
