// zlib streams of remoting/protocol/compression.h: Java's Deflater layout, limits, bad input.
#include "remoting/protocol/compression.h"

#include "common/bytes.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::remoting::protocol {
namespace {

TEST(CompressionTest, RoundTripsWithZlibHeader) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "message body " + std::to_string(i) + "\n";
  const common::Buffer z = zlib_deflate(common::as_bytes(text), 9);
  ASSERT_GT(z.size(), 2u);
  EXPECT_EQ(z.data()[0], 0x78);  // zlib header, as java.util.zip.Deflater writes by default
  EXPECT_LT(z.size(), text.size() / 4);
  auto back = zlib_inflate(z.view(), 1 << 20);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, text);
  auto empty = zlib_inflate(zlib_deflate({}, 6).view(), 16);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
}

TEST(CompressionTest, RefusesBrokenTruncatedAndOversizedStreams) {
  const std::string text(100000, 'x');  // inflates ~1000x
  const common::Buffer z = zlib_deflate(common::as_bytes(text), 9);
  auto exact = zlib_inflate(z.view(), text.size());
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->size(), text.size());
  auto too_big = zlib_inflate(z.view(), text.size() - 1);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), common::Code::kCorruption);

  auto truncated = zlib_inflate(z.view().first(z.size() - 5), 1 << 20);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), common::Code::kCorruption);
  auto not_zlib = zlib_inflate(common::as_bytes(std::string_view(R"({"a":1})")), 1 << 20);
  ASSERT_FALSE(not_zlib.ok());
  EXPECT_EQ(not_zlib.status().code(), common::Code::kCorruption);
}

}  // namespace
}  // namespace rmq::remoting::protocol
