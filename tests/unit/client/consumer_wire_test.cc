#include "client/consumer_wire.h"

#include "common/java_hash.h"
#include "common/json.h"

#include <gtest/gtest.h>

namespace rmq::client {
namespace {

using common::Json;

TEST(TagFilter, ParsesStarAndTagLists) {
  EXPECT_TRUE(TagFilter::parse("*").all());
  EXPECT_TRUE(TagFilter::parse("").all());
  EXPECT_TRUE(TagFilter::parse(" || ").all());
  auto f = TagFilter::parse(" TagA ||TagB|| ");
  EXPECT_EQ(f.tags, (std::set<std::string>{"TagA", "TagB"}));
  EXPECT_TRUE(f.matches("TagA"));
  EXPECT_FALSE(f.matches("TagC"));
  EXPECT_FALSE(f.matches(""));
  EXPECT_EQ(f.codes(), (std::set<int32_t>{common::java_string_hash("TagA"),
                                          common::java_string_hash("TagB")}));
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
  // The whole body, byte for byte (ali-ons' layout: fastjson member order).
  EXPECT_EQ(encode_consumer_heartbeat(hb),
            R"({"clientID":"10.0.0.1@42#0","consumerDataSet":[{"consumeFromWhere":)"
            R"("CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"G",)"
            R"("messageModel":"BROADCASTING","subscriptionDataSet":[{"classFilterMode":false,)"
            R"("codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB",)"
            R"("subVersion":1700000000000,"tagsSet":["TagA","TagB"],"topic":"T"},)"
            R"({"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*",)"
            R"("subVersion":1700000000000,"tagsSet":[],"topic":"%RETRY%G"}],"unitMode":false}],)"
            R"("producerDataSet":[]})");
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
