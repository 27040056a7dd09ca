#include "common/bytes.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace rmq::common {
namespace {

std::vector<uint8_t> bytes_of(const Buffer& b) { return b.vec(); }

TEST(BytesTest, LoadStoreBigEndian) {
  uint8_t buf[8] = {};
  store_be<uint32_t>(buf, 0x01020304u);
  EXPECT_EQ(buf[0], 0x01);
  EXPECT_EQ(buf[3], 0x04);
  EXPECT_EQ(load_be<uint32_t>(buf), 0x01020304u);
  store_be<int64_t>(buf, -2);
  EXPECT_EQ(buf[0], 0xFF);
  EXPECT_EQ(buf[7], 0xFE);
  EXPECT_EQ(load_be<int64_t>(buf), -2);
  store_be<uint16_t>(buf, 0xABCD);
  EXPECT_EQ(buf[0], 0xAB);
  EXPECT_EQ(buf[1], 0xCD);
  EXPECT_EQ(load_be<int16_t>(buf), static_cast<int16_t>(0xABCD));
  store_be<uint8_t>(buf, 0x7F);
  EXPECT_EQ(load_be<uint8_t>(buf), 0x7F);
}

TEST(BytesTest, BufferWritesBigEndianLayout) {
  Buffer b;
  b.put_u8(0xAA);
  b.put_u16(0x0102);
  b.put_i32(0x03040506);
  b.put_u64(0x0708090A0B0C0D0Eull);
  EXPECT_EQ(bytes_of(b), (std::vector<uint8_t>{0xAA, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                               0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E}));
}

TEST(BytesTest, RoundTripAllWidths) {
  Buffer b;
  b.put_u8(0xFF);
  b.put_i16(std::numeric_limits<int16_t>::min());
  b.put_u16(std::numeric_limits<uint16_t>::max());
  b.put_i32(-123456789);
  b.put_u32(std::numeric_limits<uint32_t>::max());
  b.put_i64(std::numeric_limits<int64_t>::min());
  b.put_u64(std::numeric_limits<uint64_t>::max());
  b.put_string("tail");

  Reader r(b.view());
  uint8_t u8 = 0;
  int16_t i16 = 0;
  uint16_t u16 = 0;
  int32_t i32 = 0;
  uint32_t u32 = 0;
  int64_t i64 = 0;
  uint64_t u64 = 0;
  std::string s;
  ASSERT_TRUE(r.read_u8(&u8));
  ASSERT_TRUE(r.read_i16(&i16));
  ASSERT_TRUE(r.read_u16(&u16));
  ASSERT_TRUE(r.read_i32(&i32));
  ASSERT_TRUE(r.read_u32(&u32));
  ASSERT_TRUE(r.read_i64(&i64));
  ASSERT_TRUE(r.read_u64(&u64));
  ASSERT_TRUE(r.read_string(4, &s));
  EXPECT_EQ(u8, 0xFF);
  EXPECT_EQ(i16, std::numeric_limits<int16_t>::min());
  EXPECT_EQ(u16, std::numeric_limits<uint16_t>::max());
  EXPECT_EQ(i32, -123456789);
  EXPECT_EQ(u32, std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(i64, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(u64, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(s, "tail");
  EXPECT_TRUE(r.at_end());
}

TEST(BytesTest, ReaderRefusesToReadPastEnd) {
  const uint8_t data[3] = {1, 2, 3};
  Reader r(ByteView(data, 3));
  uint32_t u32 = 0xDEADBEEF;
  EXPECT_FALSE(r.read_u32(&u32));
  EXPECT_EQ(u32, 0xDEADBEEFu);  // untouched
  EXPECT_EQ(r.position(), 0u);  // a failed read consumes nothing
  uint16_t u16 = 0;
  ASSERT_TRUE(r.read_u16(&u16));
  EXPECT_EQ(u16, 0x0102);
  EXPECT_EQ(r.remaining(), 1u);
  ByteView v;
  EXPECT_FALSE(r.read_view(2, &v));
  std::string s;
  EXPECT_FALSE(r.read_string(2, &s));
  EXPECT_FALSE(r.skip(2));
  EXPECT_TRUE(r.skip(1));
  EXPECT_TRUE(r.at_end());
  uint8_t u8 = 0;
  EXPECT_FALSE(r.read_u8(&u8));
  EXPECT_TRUE(r.read_view(0, &v));
  EXPECT_TRUE(v.empty());
}

TEST(BytesTest, ReaderOnEmptyView) {
  Reader r{ByteView()};
  EXPECT_TRUE(r.at_end());
  int64_t v = 0;
  EXPECT_FALSE(r.read_i64(&v));
}

TEST(BytesTest, ReadViewIsZeroCopy) {
  Buffer b(std::string_view("abcdef"));
  Reader r(b.view());
  ByteView v;
  ASSERT_TRUE(r.skip(1));
  ASSERT_TRUE(r.read_view(3, &v));
  EXPECT_EQ(v.data(), b.data() + 1);
  EXPECT_EQ(as_string_view(v), "bcd");
}

TEST(BytesTest, PatchBeOverwritesInPlace) {
  Buffer b;
  b.put_i32(0);
  b.put_string("body");
  b.patch_be<int32_t>(0, static_cast<int32_t>(b.size()));
  Reader r(b.view());
  int32_t len = 0;
  ASSERT_TRUE(r.read_i32(&len));
  EXPECT_EQ(len, 8);
  EXPECT_EQ(b.str().substr(4), "body");
}

TEST(BytesTest, BufferBasics) {
  Buffer a(std::string_view("xy"));
  Buffer b(std::vector<uint8_t>{'x', 'y'});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_FALSE(a.empty());
  a.clear();
  EXPECT_TRUE(a.empty());
  EXPECT_FALSE(a == b);
  EXPECT_EQ(as_string_view(as_bytes("hi")), "hi");
}

TEST(BytesTest, HexEncodeIsUpperCase) {
  const std::vector<uint8_t> data{0x00, 0x0A, 0xAB, 0xFF, 0x10};
  EXPECT_EQ(to_hex_upper(data), "000AABFF10");
  EXPECT_EQ(to_hex_upper(ByteView()), "");
}

TEST(BytesTest, HexDecodeAcceptsBothCases) {
  std::vector<uint8_t> out;
  ASSERT_TRUE(from_hex("000aABff10", &out));
  EXPECT_EQ(out, (std::vector<uint8_t>{0x00, 0x0A, 0xAB, 0xFF, 0x10}));
  ASSERT_TRUE(from_hex("", &out));
  EXPECT_TRUE(out.empty());
}

TEST(BytesTest, HexDecodeRejectsBadInput) {
  std::vector<uint8_t> out;
  EXPECT_FALSE(from_hex("ABC", &out));  // odd length
  EXPECT_FALSE(from_hex("0G", &out));
  EXPECT_FALSE(from_hex("zz", &out));
  EXPECT_FALSE(from_hex("0 ", &out));
}

TEST(BytesTest, HexRoundTrip) {
  std::vector<uint8_t> all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<uint8_t>(i));
  std::vector<uint8_t> back;
  ASSERT_TRUE(from_hex(to_hex_upper(all), &back));
  EXPECT_EQ(back, all);
}

}  // namespace
}  // namespace rmq::common
