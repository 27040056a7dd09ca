// The small shared bodies (remoting/protocol/body.h): KVTable, TopicList, consumer id lists and
// the LOCK_BATCH_MQ / UNLOCK_BATCH_MQ bodies.
#include "remoting/protocol/body.h"

#include "common/bytes.h"
#include "common/json.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::remoting::protocol {
namespace {

common::ByteView b(std::string_view s) { return common::as_bytes(s); }

TEST(KvTableTest, ExactBytesAndRoundTrip) {
  const std::map<std::string, std::string> t = {{"putTps", "1.0 2.0 3.0"},
                                                {"brokerActive", "true"}};
  const std::string body = encode_kv_table(t);
  EXPECT_EQ(body, R"({"table":{"brokerActive":"true","putTps":"1.0 2.0 3.0"}})");
  auto parsed = parse_kv_table(b(body));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, t);
  EXPECT_EQ(encode_kv_table({}), R"({"table":{}})");
  EXPECT_EQ(encode_kv_table({{"k1", "v1"}, {"k2", "a\nb"}}),
            R"({"table":{"k1":"v1","k2":"a\nb"}})");
}

TEST(KvTableTest, DecoderKeepsNonStringValuesAsText) {
  auto kv = parse_kv_table(b(R"({"table":{"brokerActive":"true","putTps":"1.0 2.0 3.0","n":5}})"));
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_EQ(*kv, (std::map<std::string, std::string>{
                     {"brokerActive", "true"}, {"putTps", "1.0 2.0 3.0"}, {"n", "5"}}));
  EXPECT_FALSE(parse_kv_table(b(R"({"table":[]})")).ok());
}

TEST(TopicListTest, ExactBytesAndDecoding) {
  EXPECT_EQ(encode_topic_list({"a", "b"}), R"({"topicList":["a","b"]})");
  EXPECT_EQ(encode_topic_list({}), R"({"topicList":[]})");
  auto topics = parse_topic_list(b(R"({"topicList":["a","%RETRY%G"]})"));
  ASSERT_TRUE(topics.ok()) << topics.status();
  EXPECT_EQ(*topics, (std::vector<std::string>{"a", "%RETRY%G"}));
  EXPECT_FALSE(parse_topic_list(b(R"({"topicList":[1]})")).ok());
}

TEST(ConsumerIdListTest, ExactBytesAndDecoding) {
  const std::string body = encode_consumer_id_list({"10.0.0.5@1", "10.0.0.6@2#x\"q"});
  EXPECT_EQ(body, R"({"consumerIdList":["10.0.0.5@1","10.0.0.6@2#x\"q"]})");
  EXPECT_TRUE(common::Json::parse(body).ok());
  auto ids = parse_consumer_id_list(b(body));
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::vector<std::string>{"10.0.0.5@1", "10.0.0.6@2#x\"q"}));
  EXPECT_EQ(encode_consumer_id_list({}), R"({"consumerIdList":[]})");
  // Wire order is kept; a missing list is empty.
  auto unsorted = parse_consumer_id_list(b(R"({"consumerIdList":["b","a"]})"));
  ASSERT_TRUE(unsorted.ok());
  EXPECT_EQ(*unsorted, (std::vector<std::string>{"b", "a"}));
  EXPECT_TRUE(parse_consumer_id_list(b("{}"))->empty());
  EXPECT_FALSE(parse_consumer_id_list(b(R"({"consumerIdList":[1]})")).ok());
  EXPECT_FALSE(parse_consumer_id_list(b("[")).ok());
}

TEST(LockBatchTest, RequestFromCppClient) {
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
  EXPECT_EQ(req->mq_set, (std::set<MessageQueue>{MessageQueue{"T", "broker-a", 0},
                                                 MessageQueue{"T", "broker-a", 1}}));

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

TEST(LockBatchTest, RequestRejectsMalformed) {
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

TEST(LockBatchTest, Response) {
  const std::set<MessageQueue> locked = {MessageQueue{"T", "broker-a", 2},
                                         MessageQueue{"T", "broker-a", 0}};
  const std::string body = encode_lock_batch_response(locked);
  EXPECT_EQ(body, R"({"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"},)"
                  R"({"brokerName":"broker-a","queueId":2,"topic":"T"}]})");
  auto parsed = parse_lock_batch_response(b(body));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, locked);
  EXPECT_EQ(encode_lock_batch_response({}), R"({"lockOKMQSet":[]})");
  EXPECT_TRUE(parse_lock_batch_response(b("{}"))->empty());
  EXPECT_FALSE(parse_lock_batch_response(b(R"({"lockOKMQSet":[{"brokerName":"b"}]})")).ok());
}

}  // namespace
}  // namespace rmq::remoting::protocol
