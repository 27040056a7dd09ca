#include "broker/admin_json.h"

#include "common/bytes.h"
#include "common/json.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::broker {
namespace {

common::ByteView b(std::string_view s) { return common::as_bytes(s); }

MessageQueue mq(std::string topic, std::string broker, int32_t id) {
  return MessageQueue{std::move(topic), std::move(broker), id};
}

TEST(AdminJsonTest, ConsumerIdList) {
  const std::string body = encode_consumer_id_list({"10.0.0.5@1", "10.0.0.6@2#x\"q"});
  EXPECT_EQ(body, R"({"consumerIdList":["10.0.0.5@1","10.0.0.6@2#x\"q"]})");
  EXPECT_TRUE(common::Json::parse(body).ok());
  auto ids = parse_consumer_id_list(b(body));
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::vector<std::string>{"10.0.0.5@1", "10.0.0.6@2#x\"q"}));
  EXPECT_EQ(encode_consumer_id_list({}), R"({"consumerIdList":[]})");
  EXPECT_FALSE(parse_consumer_id_list(b(R"({"consumerIdList":[1]})")).ok());
}

TEST(AdminJsonTest, KvTable) {
  const std::map<std::string, std::string> t = {{"putTps", "1.0 2.0 3.0"},
                                                {"brokerActive", "true"}};
  const std::string body = encode_kv_table(t);
  EXPECT_EQ(body, R"({"table":{"brokerActive":"true","putTps":"1.0 2.0 3.0"}})");
  auto parsed = parse_kv_table(b(body));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, t);
  EXPECT_EQ(encode_kv_table({}), R"({"table":{}})");
}

TEST(AdminJsonTest, TopicStatsExactBytesWithObjectKeys) {
  TopicStatsTable t;
  t[mq("t", "b", 1)] = TopicOffset{0, 7, 1700000000001};
  t[mq("t", "b", 0)] = TopicOffset{2, 5, 1700000000000};
  const std::string body = encode_topic_stats(t);
  EXPECT_EQ(body, R"({"offsetTable":{)"
                  R"({"brokerName":"b","queueId":0,"topic":"t"}:)"
                  R"({"lastUpdateTimestamp":1700000000000,"maxOffset":5,"minOffset":2},)"
                  R"({"brokerName":"b","queueId":1,"topic":"t"}:)"
                  R"({"lastUpdateTimestamp":1700000000001,"maxOffset":7,"minOffset":0}}})");
  // Standard JSON cannot read it; our decoder can.
  EXPECT_FALSE(common::Json::parse(body).ok());
  auto parsed = parse_topic_stats(b(body));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, t);
  EXPECT_EQ(encode_topic_stats({}), R"({"offsetTable":{}})");
  auto empty = parse_topic_stats(b(R"({"offsetTable":{}})"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(AdminJsonTest, TopicStatsDecoderIsLenient) {
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
  auto parsed = parse_topic_stats(b(body));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(parsed->at(mq("t", "broker-\"a\"", 3)), (TopicOffset{1, 5, 9}));
  EXPECT_EQ(parsed->at(mq("u", "broker-b", 12)), (TopicOffset{0, 8, 0}));
}

TEST(AdminJsonTest, TopicStatsRejectsMalformed) {
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
    auto parsed = parse_topic_stats(b(body));
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.status().code(), common::Code::kInvalidArgument) << body;
  }
  EXPECT_FALSE(parse_topic_stats(b(std::string(10000, '{'))).ok());  // too deep
}

TEST(AdminJsonTest, ConsumeStatsExactBytesAndRoundTrip) {
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

  s.consume_tps = 12.5;
  s.offset_table[mq("T", "broker-a", 1)] = OffsetWrapper{100, 90, 95, 5};
  const std::string body2 = encode_consume_stats(s);
  EXPECT_TRUE(body2.starts_with(R"({"consumeTps":12.5,"offsetTable":{{)")) << body2;
  auto parsed2 = parse_consume_stats(b(body2));
  ASSERT_TRUE(parsed2.ok()) << parsed2.status();
  EXPECT_EQ(*parsed2, s);

  EXPECT_FALSE(parse_consume_stats(b(R"({"consumeTps":"fast","offsetTable":{}})")).ok());
  auto no_table = parse_consume_stats(b(R"({"consumeTps":3})"));
  ASSERT_TRUE(no_table.ok());
  EXPECT_EQ(no_table->consume_tps, 3.0);
}

TEST(AdminJsonTest, ConsumerConnectionExactBytesAndRoundTrip) {
  ConsumerGroupInfo info;
  info.group = "G";
  info.consume_type = ConsumeType::kConsumePassively;
  info.message_model = MessageModel::kClustering;
  info.consume_from_where = ConsumeFromWhere::kConsumeFromFirstOffset;
  info.connections.push_back(
      ClientConnectionInfo{"10.0.0.5@1", "10.0.0.5:50001", "JAVA", 121, 0, {}});
  info.connections.push_back(
      ClientConnectionInfo{"10.0.0.6@2#x", "10.0.0.6:50002", "CPP", 333, 0, {}});
  SubscriptionData sd = parse_subscription("T", "TagA");
  sd.sub_version = 42;
  info.subscriptions["T"] = sd;
  const std::string body = encode_consumer_connection(info);
  EXPECT_EQ(body,
            R"({"connectionSet":[)"
            R"({"clientAddr":"10.0.0.5:50001","clientId":"10.0.0.5@1","language":"JAVA",)"
            R"("version":121},)"
            R"({"clientAddr":"10.0.0.6:50002","clientId":"10.0.0.6@2#x","language":"CPP",)"
            R"("version":333}],)"
            R"("consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY",)"
            R"("messageModel":"CLUSTERING","subscriptionTable":{"T":{"classFilterMode":false,)"
            R"("codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":42,)"
            R"("tagsSet":["TagA"],"topic":"T"}}})");
  EXPECT_TRUE(common::Json::parse(body).ok());
  auto parsed = parse_consumer_connection(b(body));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->consume_from_where, info.consume_from_where);
  EXPECT_EQ(parsed->consume_type, info.consume_type);
  EXPECT_EQ(parsed->message_model, info.message_model);
  ASSERT_EQ(parsed->connections.size(), 2u);
  EXPECT_EQ(parsed->connections[1].client_id, "10.0.0.6@2#x");
  EXPECT_EQ(parsed->connections[1].client_addr, "10.0.0.6:50002");
  EXPECT_EQ(parsed->connections[1].language, "CPP");
  EXPECT_EQ(parsed->connections[1].version, 333);
  EXPECT_EQ(parsed->subscriptions, info.subscriptions);
  EXPECT_FALSE(parse_consumer_connection(b(R"({"consumeType":"PUSH"})")).ok());
}

TEST(AdminJsonTest, LockBatchRequestFromCppClient) {
  // rocketmq-client-cpp's LockBatchRequestBody, plus an unknown member and a string queueId.
  const std::string_view body =
      R"({"consumerGroup":"GID_order","clientId":"10.0.0.6@4321#default","onlyThisBroker":false,)"
      R"("mqSet":[{"topic":"T","brokerName":"broker-a","queueId":1},)"
      R"({"topic":"T","brokerName":"broker-a","queueId":"0","extra":1}],"future":{"x":[]}})"
      "\n";
  auto req = parse_lock_batch_request(b(body));
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->consumer_group, "GID_order");
  EXPECT_EQ(req->client_id, "10.0.0.6@4321#default");
  EXPECT_FALSE(req->only_this_broker);
  EXPECT_EQ(req->mq_set, (std::set<MessageQueue>{mq("T", "broker-a", 0), mq("T", "broker-a", 1)}));

  const std::string again = encode_lock_batch_request(*req);
  EXPECT_EQ(again, R"({"clientId":"10.0.0.6@4321#default","consumerGroup":"GID_order","mqSet":[)"
                   R"({"brokerName":"broker-a","queueId":0,"topic":"T"},)"
                   R"({"brokerName":"broker-a","queueId":1,"topic":"T"}],"onlyThisBroker":false})");
  auto unlock = parse_unlock_batch_request(b(again));
  ASSERT_TRUE(unlock.ok()) << unlock.status();
  EXPECT_EQ(*unlock, *req);

  auto only = parse_lock_batch_request(
      b(R"({"consumerGroup":"G","clientId":"c","onlyThisBroker":"true"})"));
  ASSERT_TRUE(only.ok()) << only.status();
  EXPECT_TRUE(only->only_this_broker);
  EXPECT_TRUE(only->mq_set.empty());
}

TEST(AdminJsonTest, LockBatchRequestRejectsMalformed) {
  const std::string_view bad[] = {
      "",
      "{}",
      R"({"consumerGroup":"G"})",
      R"({"consumerGroup":"G","clientId":"c","mqSet":{}})",
      R"({"consumerGroup":"G","clientId":"c","mqSet":[{"topic":"T","queueId":-1}]})",
      R"({"consumerGroup":"G","clientId":"c","mqSet":[{"topic":"T","queueId":"x"}]})",
      R"({"consumerGroup":"G","clientId":"c","mqSet":[{"topic":"T","queueId":4294967296}]})",
      R"({"consumerGroup":"G","clientId":"c","mqSet":["T"]})",
      R"({"consumerGroup":"G","clientId":"c","onlyThisBroker":2})",
  };
  for (std::string_view body : bad) {
    auto req = parse_unlock_batch_request(b(body));
    ASSERT_FALSE(req.ok()) << body;
    EXPECT_EQ(req.status().code(), common::Code::kInvalidArgument) << body;
  }
}

TEST(AdminJsonTest, LockBatchResponse) {
  const std::set<MessageQueue> locked = {mq("T", "broker-a", 2), mq("T", "broker-a", 0)};
  const std::string body = encode_lock_batch_response(locked);
  EXPECT_EQ(body, R"({"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"},)"
                  R"({"brokerName":"broker-a","queueId":2,"topic":"T"}]})");
  auto parsed = parse_lock_batch_response(b(body));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, locked);
  EXPECT_EQ(encode_lock_batch_response({}), R"({"lockOKMQSet":[]})");
}

}  // namespace
}  // namespace rmq::broker
