#include "client/latency_fault.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace rmq::client {
namespace {

using namespace std::chrono_literals;

std::vector<QueueRef> queues(const std::vector<std::pair<std::string, int>>& brokers) {
  std::vector<QueueRef> out;
  for (const auto& [name, n] : brokers) {
    for (int i = 0; i < n; ++i) out.push_back({"T", name, i});
  }
  return out;
}

TEST(LatencyFault, NotAvailableDurationFollowsRocketMqTable) {
  // latencyMax {50, 100, 550, 1000, 2000, 3000, 15000} -> {0, 0, 30 s, 60 s, 120 s, 180 s, 600 s}.
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(0), 0);
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(49), 0);
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(50), 0);
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(549), 0);
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(550), 30000);
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(999), 30000);
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(1000), 60000);
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(2000), 120000);
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(2999), 120000);
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(3000), 180000);
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(14999), 180000);
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(15000), 600000);
  EXPECT_EQ(LatencyFaultTolerance::not_available_ms(30000), 600000);
}

TEST(LatencyFault, SlowBrokerIsOutUntilItsDurationPasses) {
  common::ManualClock clock;
  LatencyFaultTolerance f(clock);
  EXPECT_TRUE(f.available("a"));  // unknown brokers are available
  f.update("a", 10ms, false);
  EXPECT_TRUE(f.available("a"));
  f.update("a", 600ms, false);  // >= 550 ms: 30 s out
  EXPECT_FALSE(f.available("a"));
  clock.advance(29999ms);
  EXPECT_FALSE(f.available("a"));
  clock.advance(1ms);
  EXPECT_TRUE(f.available("a"));
  // A fast answer makes it available at once again.
  f.update("a", 1100ms, false);
  EXPECT_FALSE(f.available("a"));
  f.update("a", 5ms, false);
  EXPECT_TRUE(f.available("a"));
  ASSERT_EQ(f.items().size(), 1u);
  EXPECT_EQ(f.items()[0].latency_ms, 5);
}

TEST(LatencyFault, IsolationCountsAsThirtySecondsOfLatency) {
  common::ManualClock clock;
  LatencyFaultTolerance f(clock);
  f.update("b", 2ms, /*isolation=*/true);  // a fast failure (connection refused)
  EXPECT_FALSE(f.available("b"));
  ASSERT_EQ(f.unavailable().size(), 1u);
  EXPECT_EQ(f.unavailable()[0].broker, "b");
  EXPECT_EQ(f.unavailable()[0].latency_ms, 2);  // the measured latency is kept
  clock.advance(599s);
  EXPECT_FALSE(f.available("b"));
  clock.advance(1s);
  EXPECT_TRUE(f.available("b"));
  EXPECT_TRUE(f.unavailable().empty());
  f.update("b", 2ms, true);
  f.remove("b");
  EXPECT_TRUE(f.available("b"));
  EXPECT_TRUE(f.items().empty());
}

TEST(LatencyFault, SelectionIsRoundRobinWhenAllAreAvailable) {
  const auto qs = queues({{"a", 2}, {"b", 2}});
  for (uint64_t start = 0; start < 8; ++start) {
    EXPECT_EQ(select_queue(qs, start, "", {}), start % 4);
  }
}

TEST(LatencyFault, SelectionSkipsUnavailableBrokers) {
  common::ManualClock clock;
  LatencyFaultTolerance f(clock);
  const auto qs = queues({{"a", 2}, {"b", 2}, {"c", 2}});
  f.update("b", 1s, false);  // 60 s out
  f.update("a", 1ms, false);
  for (uint64_t start = 0; start < 12; ++start) {
    const size_t i = f.select(qs, start, "");
    EXPECT_NE(qs[i].broker_name, "b") << start;
    // The first available queue at or after the round-robin position.
    const size_t want = (start % 6 == 2 || start % 6 == 3) ? 4 : start % 6;
    EXPECT_EQ(i, want) << start;
  }
  clock.advance(60s);
  EXPECT_EQ(f.select(qs, 2, ""), 2u);  // back in rotation
}

TEST(LatencyFault, SelectionAvoidsTheBrokerThatJustFailedWhenItCan) {
  const auto qs = queues({{"a", 2}, {"b", 2}});
  // "a" failed the previous attempt but is not (or no longer) marked: prefer "b".
  EXPECT_EQ(select_queue(qs, 0, "a", {}), 2u);
  EXPECT_EQ(select_queue(qs, 3, "a", {}), 3u);
  // Only "a" is left: it is used rather than failing.
  const common::TimePoint later = common::TimePoint(100s);
  EXPECT_EQ(select_queue(qs, 0, "a", {{"b", 10, later}}), 0u);
  EXPECT_EQ(select_queue(qs, 1, "a", {{"b", 10, later}}), 1u);
}

TEST(LatencyFault, AllUnavailableFallsBackToTheLeastBadBroker) {
  common::ManualClock clock;
  LatencyFaultTolerance f(clock);
  const auto qs = queues({{"a", 2}, {"b", 2}, {"c", 2}});
  f.update("a", 1ms, true);  // 600 s out
  f.update("b", 3s, false);  // 180 s out
  clock.advance(10ms);
  f.update("c", 2500ms, false);  // 120 s out: available soonest
  // c is available soonest -> its queues (first at or after the position).
  EXPECT_EQ(qs[f.select(qs, 0, "")].broker_name, "c");
  EXPECT_EQ(f.select(qs, 0, ""), 4u);
  EXPECT_EQ(f.select(qs, 5, ""), 5u);
  EXPECT_EQ(f.select(qs, 6, ""), 4u);
  // Same deadline: the lower latency wins, then the name.
  const common::TimePoint t = common::TimePoint(50s);
  EXPECT_EQ(qs[select_queue(qs, 0, "", {{"a", 900, t}, {"b", 600, t}, {"c", 700, t}})].broker_name,
            "b");
  EXPECT_EQ(qs[select_queue(qs, 0, "", {{"a", 600, t}, {"b", 600, t}, {"c", 700, t}})].broker_name,
            "a");
  // A faulty broker that is no longer in the route is not chosen.
  const auto only_c = queues({{"c", 1}});
  EXPECT_EQ(select_queue(only_c, 7, "", {{"a", 1, t}, {"c", 9, common::TimePoint(90s)}}), 0u);
  // After the least bad one's time has passed, selection is ordinary again.
  clock.advance(120s);
  EXPECT_EQ(f.select(qs, 0, ""), 4u);
  EXPECT_EQ(f.select(qs, 5, ""), 5u);
  clock.advance(60s);
  EXPECT_EQ(f.select(qs, 2, ""), 2u);  // b is back
}

}  // namespace
}  // namespace rmq::client
