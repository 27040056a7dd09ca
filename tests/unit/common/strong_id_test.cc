#include "common/strong_id.h"

#include <gtest/gtest.h>

#include <sstream>
#include <type_traits>
#include <unordered_set>

namespace rmq::common {
namespace {

static_assert(!std::is_convertible_v<Term, LogIndex>, "distinct ids must not convert");
static_assert(!std::is_convertible_v<uint64_t, Term>, "construction must be explicit");
static_assert(!std::is_convertible_v<Term, uint64_t>);
static_assert(std::is_same_v<LogIndex::rep_type, int64_t>);
static_assert(Term(3).next() == Term(4));  // usable in constant expressions

TEST(StrongIdTest, DefaultIsZero) {
  EXPECT_EQ(Term().value(), 0u);
  EXPECT_EQ(LogIndex().value(), 0);
}

TEST(StrongIdTest, ArithmeticAndComparison) {
  LogIndex i(10);
  EXPECT_EQ(i.next(), LogIndex(11));
  EXPECT_EQ(i.prev(), LogIndex(9));
  EXPECT_EQ(i + 5, LogIndex(15));
  EXPECT_EQ(i - 5, LogIndex(5));
  i += 2;
  EXPECT_EQ(i.value(), 12);
  ++i;
  EXPECT_EQ(i.value(), 13);
  EXPECT_LT(LogIndex(1), LogIndex(2));
  EXPECT_GE(LogIndex(2), LogIndex(2));
  EXPECT_NE(Term(1), Term(2));
}

TEST(StrongIdTest, HashAndStream) {
  std::unordered_set<NodeId> ids{NodeId(1), NodeId(2), NodeId(1)};
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_TRUE(ids.contains(NodeId(2)));
  std::ostringstream os;
  os << PhyOffset(1234);
  EXPECT_EQ(os.str(), "1234");
}

}  // namespace
}  // namespace rmq::common
