// HeartbeatData in both client dialects and the subscription model (remoting/protocol/
// heartbeat.h). The codes are common::java_string_hash, the same function behind the store's
// ConsumeQueue tagsCode (store::tags_hash_code), so the broker's filter matches what it stored.
#include "remoting/protocol/heartbeat.h"

#include "common/bytes.h"
#include "common/java_hash.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::remoting::protocol {
namespace {

// The ConsumeQueue's tagsCode: the 32-bit hash widened to long.
int64_t tags_code(std::string_view tag) { return common::java_string_hash(tag); }

common::Result<HeartbeatData> parse(std::string_view s) {
  return parse_heartbeat(common::as_bytes(s));
}

// ali-ons 3.12: enum names, numeric subVersion, every field present (PROTOCOL.md §5.4 / §10).
constexpr std::string_view kAliOnsBody =
    R"({"clientID":"10.0.0.5@12345","producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}],)"
    R"("consumerDataSet":[{"groupName":"GID_test","consumeType":"CONSUME_PASSIVELY",)"
    R"("messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","unitMode":false,)"
    R"("subscriptionDataSet":[{"topic":"TopicTest","subString":"TagA || TagB",)"
    R"("classFilterMode":false,"tagsSet":["TagA","TagB"],"codeSet":[2598919,2598920],)"
    R"("subVersion":1700000000123,"expressionType":"TAG"},)"
    R"({"topic":"%RETRY%GID_test","subString":"*","classFilterMode":false,"tagsSet":[],)"
    R"("codeSet":[],"subVersion":1700000000124,"expressionType":"TAG"}]}]})";

// rocketmq-client-cpp 2.x: ordinals, string subVersion, no producerDataSet, no unitMode /
// classFilterMode / expressionType, trailing newline from jsoncpp's FastWriter.
constexpr std::string_view kCppBody =
    R"({"clientID":"10.0.0.6@4321#default","consumerDataSet":[{"consumeFromWhere":4,)"
    R"("consumeType":1,"groupName":"GID_cpp","messageModel":0,"subscriptionDataSet":[)"
    R"({"codeSet":[2598919],"subString":"TagA","subVersion":"1700000000999","tagsSet":["TagA"],)"
    R"("topic":"TopicTest"},{"codeSet":[],"subString":"*","subVersion":"1700000001000",)"
    R"("tagsSet":[],"topic":"%RETRY%GID_cpp"}]}]})"
    "\n";

TEST(HeartbeatTest, ParsesAliOnsStyle) {
  auto hb = parse(kAliOnsBody);
  ASSERT_TRUE(hb.ok()) << hb.status();
  EXPECT_EQ(hb->client_id, "10.0.0.5@12345");
  ASSERT_EQ(hb->producer_groups, std::vector<std::string>{"CLIENT_INNER_PRODUCER"});
  ASSERT_EQ(hb->consumers.size(), 1u);
  const ConsumerData& cd = hb->consumers[0];
  EXPECT_EQ(cd.group, "GID_test");
  EXPECT_EQ(cd.consume_type, ConsumeType::kConsumePassively);
  EXPECT_EQ(cd.message_model, MessageModel::kClustering);
  EXPECT_EQ(cd.consume_from_where, ConsumeFromWhere::kConsumeFromLastOffset);
  EXPECT_FALSE(cd.unit_mode);
  ASSERT_EQ(cd.subscriptions.size(), 2u);
  const SubscriptionData& sd = cd.subscriptions[0];
  EXPECT_EQ(sd.topic, "TopicTest");
  EXPECT_EQ(sd.sub_string, "TagA || TagB");
  EXPECT_EQ(sd.tags, (std::set<std::string>{"TagA", "TagB"}));
  EXPECT_EQ(sd.codes, (std::set<int32_t>{2598919, 2598920}));
  EXPECT_EQ(sd.sub_version, 1700000000123);
  EXPECT_EQ(sd.expression_type, "TAG");
  EXPECT_TRUE(cd.subscriptions[1].subscribes_all());
  EXPECT_TRUE(cd.subscriptions[1].tags.empty());
}

TEST(HeartbeatTest, ParsesCppStyle) {
  auto hb = parse(kCppBody);
  ASSERT_TRUE(hb.ok()) << hb.status();
  EXPECT_EQ(hb->client_id, "10.0.0.6@4321#default");
  EXPECT_TRUE(hb->producer_groups.empty());
  ASSERT_EQ(hb->consumers.size(), 1u);
  const ConsumerData& cd = hb->consumers[0];
  EXPECT_EQ(cd.group, "GID_cpp");
  EXPECT_EQ(cd.consume_type, ConsumeType::kConsumePassively);
  EXPECT_EQ(cd.message_model, MessageModel::kBroadcasting);
  EXPECT_EQ(cd.consume_from_where, ConsumeFromWhere::kConsumeFromFirstOffset);
  EXPECT_FALSE(cd.unit_mode);
  ASSERT_EQ(cd.subscriptions.size(), 2u);
  EXPECT_EQ(cd.subscriptions[0].sub_version, 1700000000999);
  EXPECT_EQ(cd.subscriptions[0].expression_type, "TAG");
  EXPECT_FALSE(cd.subscriptions[0].class_filter_mode);
  EXPECT_EQ(cd.subscriptions[0].codes, (std::set<int32_t>{2598919}));
  EXPECT_EQ(cd.subscriptions[1].sub_version, 1700000001000);
}

TEST(HeartbeatTest, CppProducerOnlyAndAllOrdinals) {
  auto hb =
      parse("{\"clientID\":\"1.2.3.4@9#p\",\"producerDataSet\":[{\"groupName\":\"PG\"}]}\n\n");
  ASSERT_TRUE(hb.ok()) << hb.status();
  EXPECT_EQ(hb->producer_groups, std::vector<std::string>{"PG"});
  EXPECT_TRUE(hb->consumers.empty());

  const std::pair<int, ConsumeFromWhere> table[] = {
      {0, ConsumeFromWhere::kConsumeFromLastOffset},
      {1, ConsumeFromWhere::kConsumeFromLastOffsetAndFromMinWhenBootFirst},
      {2, ConsumeFromWhere::kConsumeFromMinOffset},
      {3, ConsumeFromWhere::kConsumeFromMaxOffset},
      {4, ConsumeFromWhere::kConsumeFromFirstOffset},
      {5, ConsumeFromWhere::kConsumeFromTimestamp}};
  for (const auto& [ordinal, expected] : table) {
    const std::string body = R"({"clientID":"c","consumerDataSet":[{"groupName":"G",)"
                             R"("consumeType":0,"messageModel":"1","consumeFromWhere":)" +
                             std::to_string(ordinal) + "}]}";
    auto parsed = parse(body);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->consumers[0].consume_from_where, expected);
    EXPECT_EQ(parsed->consumers[0].consume_type, ConsumeType::kConsumeActively);
    EXPECT_EQ(parsed->consumers[0].message_model, MessageModel::kClustering);
    // The name form of the same value parses to the same enumerator.
    EXPECT_EQ(consume_from_where_from_name(to_string(expected)), expected);
  }
}

TEST(HeartbeatTest, DerivesTagsWhenClientSendsNone) {
  auto hb = parse(R"({"clientID":"c","consumerDataSet":[{"groupName":"G","subscriptionDataSet":)"
                  R"([{"topic":"T","subString":"a || b","subVersion":"7"}]}]})");
  ASSERT_TRUE(hb.ok()) << hb.status();
  const SubscriptionData& sd = hb->consumers[0].subscriptions[0];
  EXPECT_EQ(sd.tags, (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(sd.codes, (std::set<int32_t>{97, 98}));  // "a".hashCode() == 97
  EXPECT_EQ(sd.sub_version, 7);
}

TEST(HeartbeatTest, RoundTripsThroughEncoder) {
  auto hb = parse(kAliOnsBody);
  ASSERT_TRUE(hb.ok());
  const std::string again = encode_heartbeat(*hb);
  auto reparsed = parse(again);
  ASSERT_TRUE(reparsed.ok()) << reparsed.status() << "\n" << again;
  EXPECT_EQ(*reparsed, *hb);
}

TEST(HeartbeatTest, EncoderExactBytes) {
  HeartbeatData hb;
  hb.client_id = "c";
  hb.producer_groups = {"PG"};
  ConsumerData cd;
  cd.group = "G";
  SubscriptionData sd = parse_subscription("T", "TagA");
  sd.sub_version = 7;
  cd.subscriptions = {sd};
  hb.consumers = {cd};
  EXPECT_EQ(encode_heartbeat(hb),
            R"({"clientID":"c","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",)"
            R"("consumeType":"CONSUME_PASSIVELY","groupName":"G","messageModel":"CLUSTERING",)"
            R"("subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],)"
            R"("expressionType":"TAG","subString":"TagA","subVersion":7,"tagsSet":["TagA"],)"
            R"("topic":"T"}],"unitMode":false}],"producerDataSet":[{"groupName":"PG"}]})");
  EXPECT_EQ(encode_heartbeat(HeartbeatData{"c", {}, {}}),
            R"({"clientID":"c","consumerDataSet":[],"producerDataSet":[]})");
}

TEST(HeartbeatTest, RejectsMalformedBodies) {
  const std::string_view bad[] = {
      "",
      "   \n",
      "not json",
      "[]",
      "{\"clientID\":",
      R"({"producerDataSet":[]})",                 // no clientID
      R"({"clientID":5})",                         // clientID not a string
      R"({"clientID":""})",                        // empty clientID
      R"({"clientID":"c","consumerDataSet":{}})",  // not an array
      R"({"clientID":"c","producerDataSet":[{"groupName":1}]})",
      R"({"clientID":"c","producerDataSet":["PG"]})",
      R"({"clientID":"c","consumerDataSet":[{"consumeType":1}]})",  // no groupName
      R"({"clientID":"c","consumerDataSet":[{"groupName":"G","consumeType":7}]})",
      R"({"clientID":"c","consumerDataSet":[{"groupName":"G","consumeType":-1}]})",
      R"({"clientID":"c","consumerDataSet":[{"groupName":"G","messageModel":"BOGUS"}]})",
      R"({"clientID":"c","consumerDataSet":[{"groupName":"G","consumeFromWhere":6}]})",
      R"({"clientID":"c","consumerDataSet":[{"groupName":"G","unitMode":"yes"}]})",
      R"({"clientID":"c","consumerDataSet":[{"groupName":"G","subscriptionDataSet":[1]}]})",
      R"({"clientID":"c","consumerDataSet":[{"groupName":"G","subscriptionDataSet":[{}]}]})",
      R"({"clientID":"c","consumerDataSet":[{"groupName":"G","subscriptionDataSet":)"
      R"([{"topic":"T","subVersion":"abc"}]}]})",
      R"({"clientID":"c","consumerDataSet":[{"groupName":"G","subscriptionDataSet":)"
      R"([{"topic":"T","tagsSet":["a"],"codeSet":["x"]}]}]})",
      R"({"clientID":"c","consumerDataSet":[{"groupName":"G","subscriptionDataSet":)"
      R"([{"topic":"T","tagsSet":["a"],"codeSet":[99999999999]}]}]})",
      R"({"clientID":"c","consumerDataSet":[{"groupName":"G","subscriptionDataSet":)"
      R"([{"topic":"T","tagsSet":[1]}]}]})",
  };
  for (std::string_view body : bad) {
    auto hb = parse(body);
    ASSERT_FALSE(hb.ok()) << body;
    EXPECT_EQ(hb.status().code(), common::Code::kInvalidArgument) << body;
    EXPECT_FALSE(hb.status().message().empty());
  }
  // Deep nesting is refused, not a stack overflow.
  std::string deep = R"({"clientID":"c","x":)" + std::string(100000, '[');
  EXPECT_FALSE(parse(deep).ok());
  // Error names the field.
  auto hb = parse(R"({"clientID":"c","consumerDataSet":[{"groupName":"G","consumeType":9}]})");
  EXPECT_NE(hb.status().message().find("consumeType"), std::string_view::npos);
}

TEST(SubscriptionTest, ParsesTagExpressions) {
  for (std::string_view all : {"", "*", " * "}) {
    SubscriptionData sd = parse_subscription("T", all);
    EXPECT_EQ(sd.sub_string, "*");
    EXPECT_TRUE(sd.tags.empty());
    EXPECT_TRUE(sd.matches_code(12345));
    EXPECT_TRUE(sd.matches_tag("anything"));
    EXPECT_TRUE(sd.matches_tag(""));
  }
  SubscriptionData sd = parse_subscription("T", "TagA || TagB ||  || TagC ");
  EXPECT_EQ(sd.topic, "T");
  EXPECT_EQ(sd.tags, (std::set<std::string>{"TagA", "TagB", "TagC"}));
  EXPECT_EQ(sd.codes.size(), 3u);
  EXPECT_TRUE(sd.codes.contains(2598919));
  EXPECT_TRUE(sd.matches_tag("TagB"));
  EXPECT_FALSE(sd.matches_tag("TagD"));
  EXPECT_FALSE(sd.matches_tag(""));
  EXPECT_TRUE(sd.matches_code(tags_code("TagC")));
  EXPECT_FALSE(sd.matches_code(tags_code("TagD")));
  EXPECT_FALSE(sd.matches_code(0));  // a message without tag
}

TEST(SubscriptionTest, MatchesNegativeHashCodes) {
  // A tag whose Java hashCode is negative; the ConsumeQueue stores it sign-extended.
  const std::string tag = "ShippingUpdate";  // hashCode -1626778569
  const int64_t code = tags_code(tag);
  ASSERT_EQ(code, -1626778569);
  SubscriptionData sd = parse_subscription("T", tag);
  EXPECT_TRUE(sd.matches_code(code));
  EXPECT_TRUE(sd.matches_tag(tag));
}

TEST(SubscriptionTest, NonTagExpressionsAndClassFilterPassEverything) {
  SubscriptionData sd = parse_subscription("T", "TagA");
  sd.class_filter_mode = true;
  EXPECT_TRUE(sd.matches_code(1));
  SubscriptionData sql;
  sql.topic = "T";
  sql.sub_string = "a > 5";
  sql.expression_type = "SQL92";
  EXPECT_TRUE(sql.matches_code(1));
}

}  // namespace
}  // namespace rmq::remoting::protocol
