#include "common/crc32.h"

#include "common/bytes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rmq::common {
namespace {

TEST(Crc32Test, KnownVectors) {
  EXPECT_EQ(crc32("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(crc32("", 0), 0u);
  EXPECT_EQ(crc32("a", 1), 0xE8B7BE43u);
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(crc32(fox.data(), fox.size()), 0x414FA339u);
}

TEST(Crc32Test, SpanOverloadMatches) {
  EXPECT_EQ(crc32(as_bytes("123456789")), 0xCBF43926u);
  EXPECT_EQ(crc32(ByteView()), 0u);
}

TEST(Crc32Test, SeedChainsIncrementally) {
  const std::string s = "hello, raftmq world";
  const uint32_t whole = crc32(s.data(), s.size());
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    const uint32_t first = crc32(s.data(), cut);
    EXPECT_EQ(crc32(s.data() + cut, s.size() - cut, first), whole) << "cut=" << cut;
  }
}

TEST(Crc32Test, DetectsSingleBitFlip) {
  std::vector<uint8_t> data(1024, 0x5A);
  const uint32_t before = crc32(data);
  data[512] ^= 0x01;
  EXPECT_NE(crc32(data), before);
}

}  // namespace
}  // namespace rmq::common
