#include "common/logging.h"

#include <gtest/gtest.h>

namespace rmq::common {
namespace {

TEST(LoggingTest, OneLoggerPerModule) {
  auto a = logger("test-module");
  auto b = logger("test-module");
  auto c = logger("other-module");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), c.get());
  EXPECT_EQ(a->name(), "test-module");
  EXPECT_FALSE(a->sinks().empty());
  a->debug("logging works: {}", 42);
}

}  // namespace
}  // namespace rmq::common
