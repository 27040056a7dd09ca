// The fastjson helpers of remoting/protocol/fastjson.h that the body tests do not reach directly:
// Java's Double.toString, the lenient member readers and their error messages.
#include "remoting/protocol/fastjson.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace rmq::remoting::protocol {
namespace {

using common::Json;

std::string java_double(double v) {
  std::string out;
  append_java_double(out, v);
  return out;
}

TEST(FastjsonTest, JavaDoubleText) {
  EXPECT_EQ(java_double(0), "0.0");
  EXPECT_EQ(java_double(12.5), "12.5");
  EXPECT_EQ(java_double(3), "3.0");
  EXPECT_EQ(java_double(std::nan("")), "null");
  EXPECT_EQ(java_double(std::numeric_limits<double>::infinity()), "null");
}

TEST(FastjsonTest, MemberReaders) {
  auto obj = parse_json(R"({"n":"42","big":4294967296,"s":"x","b":"true","o":{},"z":null,)"
                        R"("e":1,"a":["p","q"]})",
                        "T");
  ASSERT_TRUE(obj.ok()) << obj.status();
  int32_t n = 0;
  ASSERT_TRUE(read_int(*obj, "n", "T", &n).is_ok());
  EXPECT_EQ(n, 42);
  const common::Status too_big = read_int(*obj, "big", "T", &n);
  EXPECT_EQ(too_big.code(), common::Code::kInvalidArgument);
  EXPECT_NE(too_big.message().find("T.big: expected an integer"), std::string_view::npos);
  int64_t big = 0;
  ASSERT_TRUE(read_int(*obj, "big", "T", &big).is_ok());
  EXPECT_EQ(big, 4294967296);
  int32_t kept = 7;
  ASSERT_TRUE(read_int(*obj, "z", "T", &kept).is_ok());  // null leaves the value
  ASSERT_TRUE(read_int(*obj, "absent", "T", &kept).is_ok());
  EXPECT_EQ(kept, 7);

  std::string s;
  ASSERT_TRUE(read_string(*obj, "s", "T", &s).is_ok());
  EXPECT_EQ(s, "x");
  EXPECT_FALSE(read_string(*obj, "e", "T", &s).is_ok());  // strict: a number is not a string
  ASSERT_TRUE(read_text(*obj, "e", "T", &s).is_ok());     // lenient: its text
  EXPECT_EQ(s, "1");
  EXPECT_FALSE(read_text(*obj, "o", "T", &s).is_ok());

  bool flag = false;
  ASSERT_TRUE(read_bool(*obj, "b", "T", &flag).is_ok());
  EXPECT_TRUE(flag);
  EXPECT_FALSE(read_bool(*obj, "e", "T", &flag).is_ok());

  std::vector<std::string> items;
  ASSERT_TRUE(read_string_array(*obj, "a", "T", &items).is_ok());
  EXPECT_EQ(items, (std::vector<std::string>{"p", "q"}));
  EXPECT_FALSE(read_string_array(*obj, "s", "T", &items).is_ok());
}

TEST(FastjsonTest, ParseAcceptsUnquotedIntegerKeysOnly) {
  EXPECT_TRUE(parse_json(R"({0:"a"})", "T").ok());
  auto bad = parse_json(R"({a:"a"})", "T");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("T: bad JSON"), std::string_view::npos);
  auto not_object = parse_json_object(common::as_bytes(std::string_view("[1]")), "T");
  ASSERT_FALSE(not_object.ok());
  EXPECT_NE(not_object.status().message().find("T: not a JSON object"), std::string_view::npos);
}

}  // namespace
}  // namespace rmq::remoting::protocol
