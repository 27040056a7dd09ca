// GroupTransferService (SYNC_MASTER waits) on a ManualClock: one acknowledgement completes every
// wait it covers, waits past their deadline fail, lower acknowledgements change nothing, an
// already acknowledged offset completes at once, shutdown fails the rest.
#include "broker/ha/group_transfer_service.h"

#include <gtest/gtest.h>

#include <map>

namespace rmq::broker::ha {
namespace {

using namespace std::chrono_literals;

class GroupTransferServiceTest : public ::testing::Test {
 protected:
  void wait(int64_t offset, common::Duration timeout = 5s) {
    gts_.wait(offset, timeout, [this, offset](bool acked) { results_.emplace(offset, acked); });
  }
  common::ManualClock clock_;
  GroupTransferService gts_{clock_};
  std::multimap<int64_t, bool> results_;
};

TEST_F(GroupTransferServiceTest, OneAckCompletesEveryWaitItCovers) {
  for (int64_t end : {100, 200, 300, 400}) wait(end);
  EXPECT_EQ(gts_.pending(), 4u);
  gts_.note_acked(250);
  EXPECT_EQ(results_, (std::multimap<int64_t, bool>{{100, true}, {200, true}}));
  EXPECT_EQ(gts_.pending(), 2u);
  gts_.note_acked(150);  // lower: ignored
  EXPECT_EQ(gts_.acked(), 250);
  EXPECT_EQ(gts_.pending(), 2u);
  gts_.note_acked(400);  // exactly the end counts
  EXPECT_EQ(results_.size(), 4u);
  EXPECT_EQ(gts_.pending(), 0u);
  wait(399);  // already acknowledged: at once
  EXPECT_EQ(results_.count(399), 1u);
}

TEST_F(GroupTransferServiceTest, WaitsPastTheirDeadlineFailAndOthersStay) {
  wait(100, 1s);
  clock_.advance(500ms);
  wait(200, 1s);
  gts_.expire();
  EXPECT_TRUE(results_.empty());
  clock_.advance(500ms);  // the first deadline is reached
  gts_.expire();
  EXPECT_EQ(results_, (std::multimap<int64_t, bool>{{100, false}}));
  gts_.note_acked(1000);
  EXPECT_EQ(results_, (std::multimap<int64_t, bool>{{100, false}, {200, true}}));
}

TEST_F(GroupTransferServiceTest, FailAllAnswersEveryWait) {
  wait(10);
  wait(10);
  wait(20);
  gts_.fail_all();
  EXPECT_EQ(results_, (std::multimap<int64_t, bool>{{10, false}, {10, false}, {20, false}}));
  EXPECT_EQ(gts_.pending(), 0u);
}

TEST_F(GroupTransferServiceTest, CallbacksMayWaitAgain) {
  // A completion that parks another wait (as a retrying caller would) does not deadlock.
  gts_.wait(10, 5s, [this](bool) { wait(30); });
  gts_.note_acked(20);
  EXPECT_EQ(gts_.pending(), 1u);
  gts_.note_acked(30);
  EXPECT_EQ(results_.count(30), 1u);
}

}  // namespace
}  // namespace rmq::broker::ha
