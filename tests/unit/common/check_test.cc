#include "common/check.h"

#include <gtest/gtest.h>

namespace rmq::common {
namespace {

TEST(CheckTest, PassingChecksDoNothing) {
  int evaluated = 0;
  RMQ_CHECK(++evaluated == 1);
  RMQ_CHECK_MSG(evaluated == 1, "unused");
  EXPECT_EQ(evaluated, 1);  // the condition is evaluated exactly once
}

TEST(CheckDeathTest, FailingCheckAbortsWithLocationAndCondition) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const int term = 3;
  EXPECT_DEATH(RMQ_CHECK(term == 4), "check_test.cc:[0-9]+: term == 4");
  EXPECT_DEATH(RMQ_CHECK_MSG(term < 0, "term went backwards"), "term went backwards");
}

#ifndef NDEBUG
TEST(CheckDeathTest, DcheckIsActiveInDebugBuilds) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(RMQ_DCHECK(1 + 1 == 3), "1 \\+ 1 == 3");
}
#endif

}  // namespace
}  // namespace rmq::common
