#include "common/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace rmq::common {
namespace {

TEST(ResultTest, HoldsValue) {
  Result<int> r = 42;
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 42);
  EXPECT_EQ(*r, 42);
  EXPECT_TRUE(r.status().is_ok());
  EXPECT_EQ(r.value_or(7), 42);
}

TEST(ResultTest, HoldsError) {
  Result<int> r = Status::not_found("k");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(), "k");
  EXPECT_EQ(r.value_or(7), 7);
}

TEST(ResultTest, OkStatusBecomesInternalError) {
  Result<int> r = Status::ok();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInternal);
}

TEST(ResultTest, ArrowAndMoveOut) {
  Result<std::string> r = std::string("hello");
  EXPECT_EQ(r->size(), 5u);
  std::string s = std::move(r).value();
  EXPECT_EQ(s, "hello");

  Result<std::unique_ptr<int>> p = std::make_unique<int>(3);
  std::unique_ptr<int> owned = std::move(p).value();
  ASSERT_NE(owned, nullptr);
  EXPECT_EQ(*owned, 3);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Result<int> r = Status::corruption("boom");
  EXPECT_DEATH((void)r.value(), "Corruption: boom");
}

Result<int> parse_positive(int v) {
  if (v <= 0) return Status::invalid_argument("not positive");
  return v;
}

Result<int> doubled(int v) {
  RMQ_ASSIGN_OR_RETURN(int x, parse_positive(v));
  RMQ_ASSIGN_OR_RETURN(const int y, parse_positive(x));  // two uses in one scope
  return x + y;
}

Status assign_existing(int v, int* out) {
  RMQ_ASSIGN_OR_RETURN(*out, parse_positive(v));
  return Status::ok();
}

TEST(ResultTest, AssignOrReturn) {
  EXPECT_EQ(doubled(4).value(), 8);
  Result<int> bad = doubled(-1);
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "not positive");

  int out = 0;
  EXPECT_TRUE(assign_existing(5, &out).is_ok());
  EXPECT_EQ(out, 5);
  EXPECT_FALSE(assign_existing(0, &out).is_ok());
  EXPECT_EQ(out, 5);
}

}  // namespace
}  // namespace rmq::common
