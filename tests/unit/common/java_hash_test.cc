#include "common/java_hash.h"

#include <gtest/gtest.h>

#include <climits>

namespace rmq::common {
namespace {

TEST(JavaStringHashTest, MatchesJavaForAsciiAndNonAscii) {
  EXPECT_EQ(java_string_hash(""), 0);
  EXPECT_EQ(java_string_hash("a"), 97);
  EXPECT_EQ(java_string_hash("TagA"), 2598919);  // "TagA".hashCode()
  EXPECT_EQ(java_string_hash("hello"), 99162322);
  EXPECT_EQ(java_string_hash("polygenelubricants"), INT_MIN);
  EXPECT_EQ(java_string_hash("ShippingUpdate"), -1626778569);
  // "é" is U+00E9 (one UTF-16 unit); "😀" is a surrogate pair D83D DE00.
  EXPECT_EQ(java_string_hash("\xC3\xA9"), 0xE9);
  EXPECT_EQ(java_string_hash("\xF0\x9F\x98\x80"), 0xD83D * 31 + 0xDE00);
  EXPECT_EQ(java_string_hash("标签"), 0x6807 * 31 + 0x7B7E);
}

TEST(JavaStringHashTest, MalformedUtf8HashesAsLatin1) {
  EXPECT_EQ(java_string_hash("\xC0\x80"), 0xC0 * 31 + 0x80);  // overlong NUL
  EXPECT_EQ(java_string_hash("\xE6\xA0"), 0xE6 * 31 + 0xA0);  // truncated sequence
  EXPECT_EQ(java_string_hash("\xED\xA0\x80"),                 // a lone surrogate
            (0xED * 31 + 0xA0) * 31 + 0x80);
}

}  // namespace
}  // namespace rmq::common
