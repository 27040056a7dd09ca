// The admin bodies the broker writes and the CLI reads (remoting/protocol/admin_body.h): exact
// bytes of the encoders, and the decoders on those bytes and on what Java writes.
#include "remoting/protocol/admin_body.h"

#include "common/bytes.h"
#include "common/json.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::remoting::protocol {
namespace {

common::ByteView b(std::string_view s) { return common::as_bytes(s); }

MessageQueue mq(std::string topic, std::string broker, int32_t id) {
  return MessageQueue{std::move(topic), std::move(broker), id};
}

TEST(MessageQueueTest, OrderAndText) {
  EXPECT_LT(mq("a", "z", 9), mq("b", "a", 0));  // topic first
  EXPECT_LT(mq("t", "a", 9), mq("t", "b", 0));  // then broker name
  EXPECT_LT(mq("t", "b", 1), mq("t", "b", 2));  // then queue id
  EXPECT_EQ(to_string(mq("t", "broker-a", 3)), "t@broker-a#3");
}

TEST(TopicStatsTableTest, ExactBytesWithObjectKeys) {
  TopicStatsTable t;
  t[mq("t", "b", 1)] = TopicOffset{0, 7, 1700000000001};
  t[mq("t", "b", 0)] = TopicOffset{2, 5, 1700000000000};
  const std::string body = encode_topic_stats_table(t);
  EXPECT_EQ(body, R"({"offsetTable":{)"
                  R"({"brokerName":"b","queueId":0,"topic":"t"}:)"
                  R"({"lastUpdateTimestamp":1700000000000,"maxOffset":5,"minOffset":2},)"
                  R"({"brokerName":"b","queueId":1,"topic":"t"}:)"
                  R"({"lastUpdateTimestamp":1700000000001,"maxOffset":7,"minOffset":0}}})");
  // Standard JSON cannot read it; our decoder can.
  EXPECT_FALSE(common::Json::parse(body).ok());
  auto parsed = parse_topic_stats_table(b(body));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, t);
  EXPECT_EQ(parsed->at(mq("t", "b", 0)), (TopicOffset{2, 5, 1700000000000}));
  EXPECT_EQ(encode_topic_stats_table({}), R"({"offsetTable":{}})");
  auto empty = parse_topic_stats_table(b(R"({"offsetTable":{}})"));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
}

TEST(TopicStatsTableTest, DecoderIsLenient) {
  // Member order as in PROTOCOL.md's example, whitespace, numeric strings, unknown members, a
  // Java MessageQueue.toString() key, an escaped quote and braces inside strings.
  const std::string_view body = R"( {
    "extra": {"a": [1, {"b": "}"}]},
    "offsetTable": {
      {"topic": "t", "queueId": "3", "brokerName": "broker-\"a\"", "x": null} :
          {"maxOffset": 5, "minOffset": "1", "lastUpdateTimestamp": 9, "y": [1]},
      "MessageQueue [topic=u, brokerName=broker-b, queueId=12]" : {"maxOffset": 8}
    }
  }
)";
  auto parsed = parse_topic_stats_table(b(body));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(parsed->at(mq("t", "broker-\"a\"", 3)), (TopicOffset{1, 5, 9}));
  EXPECT_EQ(parsed->at(mq("u", "broker-b", 12)), (TopicOffset{0, 8, 0}));
}

TEST(TopicStatsTableTest, RejectsMalformed) {
  const std::string_view bad[] = {
      "",
      "[]",
      "{",
      R"({"offsetTable":{)",
      R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"maxOffset":5})",
      R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"maxOffset":"x"}}})",
      R"({"offsetTable":{{"brokerName":"b","topic":"t"}:{}}})",  // no queueId
      R"({"offsetTable":{{"brokerName":"b","queueId":-1,"topic":"t"}:{}}})",
      R"({"offsetTable":{{"brokerName":"b","queueId":0}:{}}})",  // no topic
      R"({"offsetTable":{5:{}}})",
      R"({"offsetTable":{"not a mq":{}}})",
      R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:5}})",
      R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"} {}}})",  // no colon
      R"({"offsetTable":{}} trailing)",
      R"({"offsetTable":{{"brokerName":"b,"queueId":0,"topic":"t"}:{}}})",
  };
  for (std::string_view body : bad) {
    auto parsed = parse_topic_stats_table(b(body));
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.status().code(), common::Code::kInvalidArgument) << body;
  }
  EXPECT_FALSE(parse_topic_stats_table(b(std::string(10000, '{'))).ok());  // too deep
}

TEST(ConsumeStatsTest, ExactBytesAndRoundTrip) {
  ConsumeStats s;
  s.consume_tps = 0;
  s.offset_table[mq("%RETRY%G", "broker-a", 0)] = OffsetWrapper{3, 2, 3, 1700000000000};
  const std::string body = encode_consume_stats(s);
  EXPECT_EQ(body, R"({"consumeTps":0.0,"offsetTable":{)"
                  R"({"brokerName":"broker-a","queueId":0,"topic":"%RETRY%G"}:)"
                  R"({"brokerOffset":3,"consumerOffset":2,"lastTimestamp":1700000000000,)"
                  R"("pullOffset":3}}})");
  auto parsed = parse_consume_stats(b(body));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, s);
  EXPECT_EQ(parsed->consume_tps, 0.0);
  EXPECT_EQ(parsed->diff_total(), 1);

  s.consume_tps = 12.5;
  s.offset_table[mq("T", "broker-a", 1)] = OffsetWrapper{100, 90, 95, 5};
  const std::string body2 = encode_consume_stats(s);
  EXPECT_TRUE(body2.starts_with(R"({"consumeTps":12.5,"offsetTable":{{)")) << body2;
  auto parsed2 = parse_consume_stats(b(body2));
  ASSERT_TRUE(parsed2.ok()) << parsed2.status();
  EXPECT_EQ(*parsed2, s);
  EXPECT_EQ(parsed2->diff_total(), 11);

  EXPECT_FALSE(parse_consume_stats(b(R"({"consumeTps":"fast","offsetTable":{}})")).ok());
  auto no_table = parse_consume_stats(b(R"({"consumeTps":3})"));
  ASSERT_TRUE(no_table.ok());
  EXPECT_EQ(no_table->consume_tps, 3.0);
  EXPECT_TRUE(no_table->offset_table.empty());
}

TEST(ResetOffsetBodyTest, ExactBytesAndRoundTrip) {
  const std::map<MessageQueue, int64_t> offsets = {{mq("T", "broker-a", 1), 0},
                                                   {mq("T", "broker-a", 0), 7}};
  const std::string body = encode_reset_offset_body(offsets);
  EXPECT_EQ(body, R"({"offsetTable":{)"
                  R"({"brokerName":"broker-a","queueId":0,"topic":"T"}:7,)"
                  R"({"brokerName":"broker-a","queueId":1,"topic":"T"}:0}})");
  auto r = parse_reset_offset_body(b(body));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, offsets);
  auto empty = parse_reset_offset_body({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(parse_reset_offset_body(b(R"({"offsetTable":{"x":1}})")).ok());
}

constexpr std::string_view kConsumerConnection =
    R"({"connectionSet":[)"
    R"({"clientAddr":"10.0.0.5:50001","clientId":"10.0.0.5@1","language":"JAVA",)"
    R"("version":121},)"
    R"({"clientAddr":"10.0.0.6:50002","clientId":"10.0.0.6@2#x","language":"CPP",)"
    R"("version":333}],)"
    R"("consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY",)"
    R"("messageModel":"CLUSTERING","subscriptionTable":{"T":{"classFilterMode":false,)"
    R"("codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":42,)"
    R"("tagsSet":["TagA"],"topic":"T"}}})";

TEST(ConsumerConnectionTest, ExactBytesAndRoundTrip) {
  ConsumerConnection cc;
  cc.consume_type = to_string(ConsumeType::kConsumePassively);
  cc.message_model = to_string(MessageModel::kClustering);
  cc.consume_from_where = to_string(ConsumeFromWhere::kConsumeFromFirstOffset);
  cc.connections.push_back(ClientConnection{"10.0.0.5@1", "10.0.0.5:50001", "JAVA", 121});
  cc.connections.push_back(ClientConnection{"10.0.0.6@2#x", "10.0.0.6:50002", "CPP", 333});
  SubscriptionData sd = parse_subscription("T", "TagA");
  sd.sub_version = 42;
  cc.subscriptions["T"] = sd;
  const std::string body = encode_consumer_connection(cc);
  EXPECT_EQ(body, kConsumerConnection);
  EXPECT_TRUE(common::Json::parse(body).ok());
  auto parsed = parse_consumer_connection(b(body));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, cc);
}

TEST(ConsumerConnectionTest, DecodesBrokerBytes) {
  auto cc = parse_consumer_connection(b(kConsumerConnection));
  ASSERT_TRUE(cc.ok()) << cc.status();
  EXPECT_EQ(cc->consume_type, "CONSUME_PASSIVELY");
  EXPECT_EQ(cc->message_model, "CLUSTERING");
  EXPECT_EQ(cc->consume_from_where, "CONSUME_FROM_FIRST_OFFSET");
  ASSERT_EQ(cc->connections.size(), 2u);
  EXPECT_EQ(cc->connections[0], (ClientConnection{"10.0.0.5@1", "10.0.0.5:50001", "JAVA", 121}));
  EXPECT_EQ(cc->connections[1], (ClientConnection{"10.0.0.6@2#x", "10.0.0.6:50002", "CPP", 333}));
  ASSERT_EQ(cc->subscriptions.size(), 1u);
  const SubscriptionData& sd = cc->subscriptions.at("T");
  EXPECT_EQ(sd.topic, "T");
  EXPECT_EQ(sd.sub_string, "TagA");
  EXPECT_EQ(sd.tags, std::set<std::string>{"TagA"});
  EXPECT_EQ(sd.codes, std::set<int32_t>{2598919});
  EXPECT_EQ(sd.sub_version, 42);
  EXPECT_EQ(sd.expression_type, "TAG");
  EXPECT_FALSE(sd.class_filter_mode);
  EXPECT_FALSE(parse_consumer_connection(b(R"({"connectionSet":{}})")).ok());
}

TEST(ConsumerConnectionTest, EnumsStayAsSent) {
  // A broker writing ordinals, or a newer Java enum value: shown as sent, not refused.
  auto cc = parse_consumer_connection(
      b(R"({"consumeType":1,"messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_POP",)"
        R"("subscriptionTable":{"T":{"subString":"*"}}})"));
  ASSERT_TRUE(cc.ok()) << cc.status();
  EXPECT_EQ(cc->consume_type, "1");
  EXPECT_EQ(cc->consume_from_where, "CONSUME_POP");
  EXPECT_EQ(cc->subscriptions.at("T").topic, "T");  // from the table key
  EXPECT_FALSE(parse_consumer_connection(b(R"({"consumeType":["PUSH"]})")).ok());
}

}  // namespace
}  // namespace rmq::remoting::protocol
