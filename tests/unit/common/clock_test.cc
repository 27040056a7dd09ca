#include "common/clock.h"

#include <gtest/gtest.h>

namespace rmq::common {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ManualClockTest, MovesOnlyWhenAdvanced) {
  ManualClock clock(5'000);
  const TimePoint t0 = clock.now();
  const int64_t w0 = clock.wall_ms();
  EXPECT_EQ(clock.now(), t0);
  clock.advance(milliseconds(250));
  EXPECT_EQ(clock.now() - t0, milliseconds(250));
  EXPECT_EQ(clock.wall_ms() - w0, 250);
  clock.advance(seconds(2));
  EXPECT_EQ(clock.now() - t0, milliseconds(2250));
  EXPECT_EQ(clock.now_ms(),
            std::chrono::duration_cast<milliseconds>(clock.now().time_since_epoch()).count());
}

TEST(ManualClockTest, WallClockStartsAtGivenInstant) {
  ManualClock clock(1'700'000'000'000);
  // The monotonic origin is non-zero, so wall time is the start plus that offset.
  const int64_t start = clock.wall_ms();
  EXPECT_GE(start, 1'700'000'000'000);
  clock.advance(milliseconds(1));
  EXPECT_EQ(clock.wall_ms(), start + 1);
}

TEST(ManualClockTest, WorksThroughInterface) {
  ManualClock manual;
  Clock& clock = manual;
  const int64_t before = clock.now_ms();
  manual.advance(seconds(1));
  EXPECT_EQ(clock.now_ms() - before, 1000);
}

TEST(SteadyClockTest, MonotonicAndPlausibleWallTime) {
  SteadyClock& clock = SteadyClock::instance();
  EXPECT_EQ(&clock, &SteadyClock::instance());
  const TimePoint a = clock.now();
  const TimePoint b = clock.now();
  EXPECT_LE(a, b);
  EXPECT_GT(clock.wall_ms(), 1'600'000'000'000);  // after 2020
}

}  // namespace
}  // namespace rmq::common
