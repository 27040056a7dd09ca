#include "client/rebalance.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace rmq::client {
namespace {

std::vector<QueueRef> queues(int n, const std::string& broker = "broker-a") {
  std::vector<QueueRef> out;
  for (int i = 0; i < n; ++i) out.push_back({"T", broker, i});
  return out;
}

std::vector<std::string> ids(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string id(1, 'c');
    id += std::to_string(i);
    out.push_back(std::move(id));
  }
  return out;
}

std::vector<int32_t> queue_ids(const std::vector<QueueRef>& qs) {
  std::vector<int32_t> out;
  for (const auto& q : qs) out.push_back(q.queue_id);
  return out;
}

using V = std::vector<int32_t>;

// The examples of Java's AllocateMessageQueueAveragely javadoc and RocketMQ's docs: 8 queues over 3
// consumers give blocks of 3, 3, 2.
TEST(AllocateAveragely, EightQueuesThreeConsumersGiveContiguousBlocks) {
  const auto q = queues(8);
  const auto c = ids(3);
  EXPECT_EQ(queue_ids(allocate_averagely(q, c, "c0")), (V{0, 1, 2}));
  EXPECT_EQ(queue_ids(allocate_averagely(q, c, "c1")), (V{3, 4, 5}));
  EXPECT_EQ(queue_ids(allocate_averagely(q, c, "c2")), (V{6, 7}));
}

TEST(AllocateAveragely, TenQueuesThreeConsumersFirstTakesTheRemainder) {
  const auto q = queues(10);
  const auto c = ids(3);
  EXPECT_EQ(queue_ids(allocate_averagely(q, c, "c0")), (V{0, 1, 2, 3}));
  EXPECT_EQ(queue_ids(allocate_averagely(q, c, "c1")), (V{4, 5, 6}));
  EXPECT_EQ(queue_ids(allocate_averagely(q, c, "c2")), (V{7, 8, 9}));
}

TEST(AllocateAveragely, FourQueuesTwoConsumersSplitInHalves) {
  const auto q = queues(4);
  const auto c = ids(2);
  EXPECT_EQ(queue_ids(allocate_averagely(q, c, "c0")), (V{0, 1}));
  EXPECT_EQ(queue_ids(allocate_averagely(q, c, "c1")), (V{2, 3}));
}

TEST(AllocateAveragely, MoreConsumersThanQueuesLeavesTheLastIdle) {
  const auto q = queues(2);
  const auto c = ids(4);
  EXPECT_EQ(queue_ids(allocate_averagely(q, c, "c0")), (V{0}));
  EXPECT_EQ(queue_ids(allocate_averagely(q, c, "c1")), (V{1}));
  EXPECT_TRUE(allocate_averagely(q, c, "c2").empty());
  EXPECT_TRUE(allocate_averagely(q, c, "c3").empty());
}

TEST(AllocateAveragelyByCircle, EightQueuesThreeConsumersDealRoundRobin) {
  const auto q = queues(8);
  const auto c = ids(3);
  EXPECT_EQ(queue_ids(allocate_averagely_by_circle(q, c, "c0")), (V{0, 3, 6}));
  EXPECT_EQ(queue_ids(allocate_averagely_by_circle(q, c, "c1")), (V{1, 4, 7}));
  EXPECT_EQ(queue_ids(allocate_averagely_by_circle(q, c, "c2")), (V{2, 5}));
}

TEST(AllocateAveragelyByCircle, MoreConsumersThanQueues) {
  const auto q = queues(2);
  const auto c = ids(3);
  EXPECT_EQ(queue_ids(allocate_averagely_by_circle(q, c, "c0")), (V{0}));
  EXPECT_EQ(queue_ids(allocate_averagely_by_circle(q, c, "c1")), (V{1}));
  EXPECT_TRUE(allocate_averagely_by_circle(q, c, "c2").empty());
}

TEST(Allocate, UnknownIdOrEmptyInputsGetNothing) {
  for (auto s : {AllocateStrategy::kAveragely, AllocateStrategy::kAveragelyByCircle}) {
    EXPECT_TRUE(allocate(s, queues(4), ids(2), "stranger").empty()) << to_string(s);
    EXPECT_TRUE(allocate(s, queues(4), {}, "c0").empty()) << to_string(s);
    EXPECT_TRUE(allocate(s, {}, ids(2), "c0").empty()) << to_string(s);
  }
}

// Whatever the sizes, the members' shares are disjoint and cover every queue, and no share is
// more than one queue larger than another.
TEST(Allocate, SharesPartitionTheQueuesEvenly) {
  for (auto s : {AllocateStrategy::kAveragely, AllocateStrategy::kAveragelyByCircle}) {
    for (int nq = 1; nq <= 17; ++nq) {
      for (int nc = 1; nc <= 7; ++nc) {
        std::vector<QueueRef> all = queues(nq / 2, "broker-a");
        for (const auto& q : queues(nq - nq / 2, "broker-b")) all.push_back(q);
        std::set<QueueRef> seen;
        size_t lo = SIZE_MAX;
        size_t hi = 0;
        for (const auto& id : ids(nc)) {
          auto mine = allocate(s, all, ids(nc), id);
          lo = std::min(lo, mine.size());
          hi = std::max(hi, mine.size());
          for (const auto& q : mine) {
            EXPECT_TRUE(seen.insert(q).second) << to_string(s) << " " << nq << "/" << nc;
          }
        }
        EXPECT_EQ(seen.size(), all.size()) << to_string(s) << " " << nq << "/" << nc;
        EXPECT_LE(hi - lo, 1u) << to_string(s) << " " << nq << "/" << nc;
      }
    }
  }
}

TEST(Allocate, QueuesOfSeveralBrokersFollowTheSortedOrder) {
  std::vector<QueueRef> all = {
      {"T", "broker-a", 0}, {"T", "broker-a", 1}, {"T", "broker-b", 0}, {"T", "broker-b", 1}};
  auto first = allocate_averagely(all, ids(2), "c0");
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].broker_name, "broker-a");
  EXPECT_EQ(first[1].broker_name, "broker-a");
  auto circle = allocate_averagely_by_circle(all, ids(2), "c0");
  ASSERT_EQ(circle.size(), 2u);
  EXPECT_EQ(circle[0].broker_name, "broker-a");
  EXPECT_EQ(circle[1].broker_name, "broker-b");
}

}  // namespace
}  // namespace rmq::client
