#include "namesrv/route_json.h"

#include "common/bytes.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

namespace rmq::namesrv {
namespace {

using common::Code;

// What a Java 4.9 broker sends (fastjson, fields in alphabetical order).
constexpr std::string_view kJavaBody =
    R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":7,)"
    R"("timestamp":1700000000123},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,)"
    R"("readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,)"
    R"("writeQueueNums":4},"%RETRY%G":{"order":false,"perm":6,"readQueueNums":1,)"
    R"("topicFilterType":"SINGLE_TAG","topicName":"%RETRY%G","topicSysFlag":0,"writeQueueNums":1}}}})";

TEST(RouteJsonTest, DecodesJavaRegisterBrokerBody) {
  auto body = decode_register_broker_body(common::as_bytes(kJavaBody));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->data_version, (DataVersion{1700000000123, 7}));
  ASSERT_EQ(body->topic_configs.size(), 2u);
  EXPECT_EQ(body->topic_configs[0], (TopicConfig{"TopicTest", 4, 4, 6, 0}));
  EXPECT_EQ(body->topic_configs[1], (TopicConfig{"%RETRY%G", 1, 1, 6, 0}));
  EXPECT_TRUE(body->filter_server_list.empty());
}

TEST(RouteJsonTest, EncoderMatchesJavaLayoutAndRoundTrips) {
  RegisterBrokerBody b;
  b.data_version = {1700000000123, 7};
  b.topic_configs = {TopicConfig{"TopicTest", 4, 4, 6, 0}, TopicConfig{"%RETRY%G", 1, 1, 6, 0}};
  EXPECT_EQ(encode_register_broker_body(b), kJavaBody);
  auto back = decode_register_broker_body(common::as_bytes(encode_register_broker_body(b)));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, b);
}

TEST(RouteJsonTest, ToleratesNumbersAsStringsNullsAndUnknownFields) {
  constexpr std::string_view text =
      R"({"topicConfigSerializeWrapper":{"dataVersion":{"counter":"3","timestamp":" 42 ",)"
      R"("stateVersion":0},"topicConfigTable":{"T":{"readQueueNums":"8","writeQueueNums":8.0,)"
      R"("perm":"4","topicSysFlag":null,"attributes":{}},"U":{"topicName":"U2"}},)"
      R"("topicQueueMappingInfoMap":{}},"filterServerList":["fs:1"],"extra":[1,2]}   )"
      "\n";
  auto body = decode_register_broker_body(common::as_bytes(text));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->data_version, (DataVersion{42, 3}));
  ASSERT_EQ(body->topic_configs.size(), 2u);
  EXPECT_EQ(body->topic_configs[0], (TopicConfig{"T", 8, 8, 4, 0}));     // name from the key
  EXPECT_EQ(body->topic_configs[1], (TopicConfig{"U2", 16, 16, 6, 0}));  // Java's defaults
  EXPECT_EQ(body->filter_server_list, (std::vector<std::string>{"fs:1"}));
}

TEST(RouteJsonTest, EmptyBodiesMeanNoTopics) {
  auto empty = decode_register_broker_body({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, RegisterBrokerBody{});
  auto bare = decode_register_broker_body(common::as_bytes("{}"));
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*bare, RegisterBrokerBody{});
}

TEST(RouteJsonTest, MalformedBodiesAreInvalidArgumentNamingTheProblem) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"not json", "bad JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"topicConfigSerializeWrapper":[]})", "topicConfigSerializeWrapper"},
      {R"({"topicConfigSerializeWrapper":{"dataVersion":5}})", "dataVersion"},
      {R"({"topicConfigSerializeWrapper":{"dataVersion":{"counter":"x"}}})", "dataVersion.counter"},
      {R"({"topicConfigSerializeWrapper":{"topicConfigTable":[]}})", "topicConfigTable"},
      {R"({"topicConfigSerializeWrapper":{"topicConfigTable":{"T":1}}})", "topicConfigTable.T"},
      {R"({"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"readQueueNums":"four"}}}})",
       "topicConfigTable.T.readQueueNums"},
      {R"({"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"perm":-1}}}})",
       "topicConfigTable.T.perm"},
      {R"({"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"writeQueueNums":4294967296}}}})",
       "writeQueueNums"},
      {R"({"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"topicName":5}}}})",
       "topicName"},
      {R"({"topicConfigSerializeWrapper":{"topicConfigTable":{"":{}}}})", "empty topic name"},
      {R"({"filterServerList":"x"})", "filterServerList"},
      {R"({"filterServerList":[1]})", "filterServerList"},
      {R"({"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{)", "bad JSON"},
  };
  for (const auto& [text, needle] : cases) {
    auto body = decode_register_broker_body(common::as_bytes(text));
    ASSERT_FALSE(body.ok()) << text;
    EXPECT_EQ(body.status().code(), Code::kInvalidArgument) << text;
    EXPECT_NE(body.status().message().find(needle), std::string_view::npos)
        << text << " -> " << body.status();
  }
}

// Java 4.9's RegisterBrokerBody.encode(true), built by hand here (independently of our encoder):
// a zlib stream of length-prefixed DataVersion JSON, topic count, "name r w perm filter" lines
// and the filter-server JSON.
common::Buffer java_compressed(const std::vector<std::string>& lines,
                               std::string_view trailer = {}) {
  common::Buffer raw;
  auto chunk = [&raw](std::string_view s) {
    raw.put_i32(static_cast<int32_t>(s.size()));
    raw.put_string(s);
  };
  chunk(R"({"counter":9,"timestamp":1700000000999})");
  raw.put_i32(static_cast<int32_t>(lines.size()));
  for (const auto& l : lines) chunk(l);
  chunk(R"(["10.0.0.9:40001"])");
  raw.put_string(trailer);
  uLongf n = compressBound(static_cast<uLong>(raw.size()));
  common::Buffer out;
  out.resize(n);
  EXPECT_EQ(compress2(out.data(), &n, raw.data(), static_cast<uLong>(raw.size()), 9), Z_OK);
  out.resize(n);
  return out;
}

TEST(RouteJsonTest, DecodesJavaCompressedLayout) {
  // A 5.x broker adds attributes to each line and a queue-mapping section at the end.
  const common::Buffer z =
      java_compressed({"TopicTest 4 4 6 SINGLE_TAG", "T5 2 3 7 MULTI_TAG {\"+a\":\"b c\"}"},
                      std::string_view("\0\0\0\0", 4));
  EXPECT_EQ(z.data()[0], 0x78);  // zlib header, as java.util.zip.Deflater writes by default
  auto body = decode_register_broker_body(z.view(), BodyCompression::kZlib);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->data_version, (DataVersion{1700000000999, 9}));
  ASSERT_EQ(body->topic_configs.size(), 2u);
  EXPECT_EQ(body->topic_configs[0], (TopicConfig{"TopicTest", 4, 4, 6, 0}));
  EXPECT_EQ(body->topic_configs[1], (TopicConfig{"T5", 2, 3, 7, 0}));
  EXPECT_EQ(body->filter_server_list, (std::vector<std::string>{"10.0.0.9:40001"}));
}

TEST(RouteJsonTest, CompressedRoundTrip) {
  RegisterBrokerBody b;
  b.data_version = {123, 456};
  for (int i = 0; i < 500; ++i) {
    TopicConfig tc{"T", 8, 8, 6, 0};
    tc.topic_name += std::to_string(i);  // not "T" + ...: GCC 12 -Wrestrict false positive
    b.topic_configs.push_back(std::move(tc));
  }
  b.filter_server_list = {"f:1"};
  const common::Buffer z = encode_register_broker_body_compressed(b);
  EXPECT_LT(z.size(), encode_register_broker_body(b).size() / 4);
  auto back = decode_register_broker_body(z.view(), BodyCompression::kZlib);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, b);
}

TEST(RouteJsonTest, MalformedCompressedBodies) {
  // Not zlib at all (a JSON body sent with compressed=true).
  auto not_zlib = decode_register_broker_body(common::as_bytes(kJavaBody), BodyCompression::kZlib);
  ASSERT_FALSE(not_zlib.ok());
  EXPECT_EQ(not_zlib.status().code(), Code::kCorruption);
  // A stream cut short.
  common::Buffer z = java_compressed({"T 1 1 6 SINGLE_TAG"});
  z.resize(z.size() - 6);
  EXPECT_FALSE(decode_register_broker_body(z.view(), BodyCompression::kZlib).ok());
  // Bad topic lines: too few fields, non-numeric counts.
  for (const char* line :
       {"T 1 1 6", "T x 1 6 SINGLE_TAG", "T 1 1 -6 SINGLE_TAG", " 1 1 6 SINGLE_TAG"}) {
    auto body = decode_register_broker_body(java_compressed({line}).view(), BodyCompression::kZlib);
    ASSERT_FALSE(body.ok()) << line;
    EXPECT_NE(body.status().message().find("bad topic config"), std::string_view::npos) << line;
  }
  // A topic count larger than what follows.
  common::Buffer raw;
  raw.put_i32(2);
  raw.put_string("{}");
  raw.put_i32(1'000'000);
  uLongf n = compressBound(static_cast<uLong>(raw.size()));
  common::Buffer big;
  big.resize(n);
  ASSERT_EQ(compress2(big.data(), &n, raw.data(), static_cast<uLong>(raw.size()), 9), Z_OK);
  big.resize(n);
  auto body = decode_register_broker_body(big.view(), BodyCompression::kZlib);
  ASSERT_FALSE(body.ok());
  EXPECT_NE(body.status().message().find("topic count"), std::string_view::npos);
}

}  // namespace
}  // namespace rmq::namesrv
