#include "client/consumer_wire.h"

#include "common/json.h"

#include <gtest/gtest.h>

namespace rmq::client {
namespace {

using common::Json;

TEST(JavaStringHash, MatchesJavaForAsciiAndNonAscii) {
  EXPECT_EQ(java_string_hash(""), 0);
  EXPECT_EQ(java_string_hash("TagA"), 2598919);  // "TagA".hashCode()
  EXPECT_EQ(java_string_hash("hello"), 99162322);
  // "é" is U+00E9 (one UTF-16 unit); "😀" is a surrogate pair D83D DE00.
  EXPECT_EQ(java_string_hash("\xC3\xA9"), 0xE9);
  EXPECT_EQ(java_string_hash("\xF0\x9F\x98\x80"), 0xD83D * 31 + 0xDE00);
}

TEST(TagFilter, ParsesStarAndTagLists) {
  EXPECT_TRUE(TagFilter::parse("*").all());
  EXPECT_TRUE(TagFilter::parse("").all());
  EXPECT_TRUE(TagFilter::parse(" || ").all());
  auto f = TagFilter::parse(" TagA ||TagB|| ");
  EXPECT_EQ(f.tags, (std::set<std::string>{"TagA", "TagB"}));
  EXPECT_TRUE(f.matches("TagA"));
  EXPECT_FALSE(f.matches("TagC"));
  EXPECT_FALSE(f.matches(""));
  EXPECT_EQ(f.codes(), (std::set<int32_t>{java_string_hash("TagA"), java_string_hash("TagB")}));
}

TEST(ConsumerHeartbeat, UsesJavaEnumNamesAndNumericSubVersion) {
  ConsumerHeartbeat hb;
  hb.client_id = "10.0.0.1@42#0";
  hb.group = "G";
  hb.consume_from = ConsumeFromWhere::kFirstOffset;
  hb.model = MessageModel::kBroadcasting;
  hb.subscriptions = {{"T", "TagA || TagB"}, {"%RETRY%G", "*"}};
  hb.sub_version = 1700000000000;
  auto j = Json::parse(encode_consumer_heartbeat(hb));
  ASSERT_TRUE(j.ok()) << j.status().to_string();
  EXPECT_EQ(j->get_string("clientID"), "10.0.0.1@42#0");
  const Json& cd = j->find("consumerDataSet")->items().at(0);
  EXPECT_EQ(cd.get_string("groupName"), "G");
  EXPECT_EQ(cd.get_string("consumeType"), "CONSUME_PASSIVELY");
  EXPECT_EQ(cd.get_string("messageModel"), "BROADCASTING");
  EXPECT_EQ(cd.get_string("consumeFromWhere"), "CONSUME_FROM_FIRST_OFFSET");
  const auto& subs = cd.find("subscriptionDataSet")->items();
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_EQ(subs[0].get_string("topic"), "T");
  EXPECT_EQ(subs[0].get_string("subString"), "TagA || TagB");
  EXPECT_EQ(subs[0].find("tagsSet")->size(), 2u);
  EXPECT_EQ(subs[0].find("codeSet")->size(), 2u);
  EXPECT_TRUE(subs[0].find("subVersion")->is_number());
  EXPECT_EQ(subs[0].get_int("subVersion"), 1700000000000);
  EXPECT_EQ(subs[1].get_string("subString"), "*");
  EXPECT_EQ(subs[1].find("tagsSet")->size(), 0u);
}

TEST(ConsumerIdList, ParsesAndRejects) {
  auto ids = parse_consumer_id_list(R"({"consumerIdList":["b","a"]})");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<std::string>{"b", "a"}));
  EXPECT_TRUE(parse_consumer_id_list("{}")->empty());
  EXPECT_FALSE(parse_consumer_id_list(R"({"consumerIdList":[1]})").ok());
  EXPECT_FALSE(parse_consumer_id_list("[").ok());
}

TEST(LockBatch, BodyAndResponseRoundTrip) {
  const std::vector<QueueRef> qs = {{"T", "broker-a", 0}, {"T", "broker-a", 3}};
  auto body = Json::parse(encode_lock_batch_body("G", "c1", qs));
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->get_string("consumerGroup"), "G");
  EXPECT_EQ(body->get_string("clientId"), "c1");
  EXPECT_FALSE(body->get_bool("onlyThisBroker", true));
  ASSERT_EQ(body->find("mqSet")->size(), 2u);
  auto locked = parse_lock_batch_response_body(
      R"({"lockOKMQSet":[{"brokerName":"broker-a","queueId":3,"topic":"T"}]})");
  ASSERT_TRUE(locked.ok()) << locked.status().to_string();
  EXPECT_EQ(*locked, (std::set<QueueRef>{{"T", "broker-a", 3}}));
  EXPECT_TRUE(parse_lock_batch_response_body("{}")->empty());
  EXPECT_FALSE(parse_lock_batch_response_body(R"({"lockOKMQSet":[{"brokerName":"b"}]})").ok());
}

TEST(OffsetTable, RoundTripsAndRejectsGarbage) {
  std::map<QueueRef, int64_t> offsets = {{{"T", "broker-a", 0}, 7},
                                         {{"T", "broker-b", 1}, 1LL << 40}};
  auto back = parse_offset_table(encode_offset_table(offsets));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, offsets);
  EXPECT_TRUE(parse_offset_table(encode_offset_table({}))->empty());
  EXPECT_FALSE(parse_offset_table("{}").ok());
  EXPECT_FALSE(
      parse_offset_table(R"({"offsetTable":[{"brokerName":"b","queueId":0,"topic":"T"}]})").ok());
}

}  // namespace
}  // namespace rmq::client
