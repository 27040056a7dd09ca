#include "common/random.h"

#include <gtest/gtest.h>

#include <vector>

namespace rmq::common {
namespace {

std::vector<uint64_t> draw(Random& r, int n) {
  std::vector<uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(r.next_u64());
  return out;
}

TEST(RandomTest, SameSeedSameSequence) {
  Random a(42);
  Random b(42);
  EXPECT_EQ(draw(a, 100), draw(b, 100));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.uniform(0, 1000), b.uniform(0, 1000));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.chance(0.5), b.chance(0.5));
  EXPECT_EQ(a.seed(), 42u);
}

TEST(RandomTest, DifferentSeedsDiffer) {
  Random a(1);
  Random b(2);
  EXPECT_NE(draw(a, 10), draw(b, 10));
}

TEST(RandomTest, MatchesMt19937_64) {
  // Replaying a printed seed elsewhere relies on the engine being the standard one.
  Random r(5489);
  std::mt19937_64 ref(5489);
  EXPECT_EQ(r.next_u64(), ref());
}

TEST(RandomTest, UniformStaysInBoundsAndCoversThem) {
  Random r(7);
  bool saw_lo = false;
  bool saw_hi = false;
  for (int i = 0; i < 2000; ++i) {
    const int64_t v = r.uniform(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    saw_lo |= v == -3;
    saw_hi |= v == 3;
  }
  EXPECT_TRUE(saw_lo);
  EXPECT_TRUE(saw_hi);
  EXPECT_EQ(r.uniform(5, 5), 5);
}

TEST(RandomTest, ChanceExtremes) {
  Random r(9);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(r.chance(0.0));
    EXPECT_TRUE(r.chance(1.0));
  }
}

}  // namespace
}  // namespace rmq::common
