#include "client/admin_json.h"

#include "common/bytes.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::client {
namespace {

common::ByteView b(std::string_view s) { return common::as_bytes(s); }

MessageQueue mq(std::string topic, std::string broker, int32_t id) {
  return MessageQueue{std::move(topic), std::move(broker), id};
}

// The exact bytes broker/admin_json.cc writes (copied from tests/unit/broker/admin_json_test.cc).
constexpr std::string_view kTopicStats =
    R"({"offsetTable":{)"
    R"({"brokerName":"b","queueId":0,"topic":"t"}:)"
    R"({"lastUpdateTimestamp":1700000000000,"maxOffset":5,"minOffset":2},)"
    R"({"brokerName":"b","queueId":1,"topic":"t"}:)"
    R"({"lastUpdateTimestamp":1700000000001,"maxOffset":7,"minOffset":0}}})";

constexpr std::string_view kConsumeStats =
    R"({"consumeTps":0.0,"offsetTable":{)"
    R"({"brokerName":"broker-a","queueId":0,"topic":"%RETRY%G"}:)"
    R"({"brokerOffset":3,"consumerOffset":2,"lastTimestamp":1700000000000,)"
    R"("pullOffset":3}}})";

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

TEST(ClientAdminJsonTest, TopicStatsFromBrokerBytes) {
  auto t = parse_topic_stats_table(b(kTopicStats));
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ(t->at(mq("t", "b", 0)), (TopicOffset{2, 5, 1700000000000}));
  EXPECT_EQ(t->at(mq("t", "b", 1)), (TopicOffset{0, 7, 1700000000001}));
  auto empty = parse_topic_stats_table(b(R"({"offsetTable":{}})"));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
}

TEST(ClientAdminJsonTest, TopicStatsLenientForms) {
  // Whitespace, member order, numeric strings, unknown members, a Java toString() key, braces and
  // an escaped quote inside strings.
  const std::string_view body = R"( {
    "extra": {"a": [1, {"b": "}"}]},
    "offsetTable": {
      {"topic": "t", "queueId": "3", "brokerName": "broker-\"a\"", "x": null} :
          {"maxOffset": 5, "minOffset": "1", "lastUpdateTimestamp": 9, "y": [1]},
      "MessageQueue [topic=u, brokerName=broker-b, queueId=12]" : {"maxOffset": 8}
    }
  }
)";
  auto t = parse_topic_stats_table(b(body));
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ(t->at(mq("t", "broker-\"a\"", 3)), (TopicOffset{1, 5, 9}));
  EXPECT_EQ(t->at(mq("u", "broker-b", 12)), (TopicOffset{0, 8, 0}));
}

TEST(ClientAdminJsonTest, TopicStatsRejectsMalformed) {
  const std::string_view bad[] = {
      "",
      "[]",
      "{",
      R"({"offsetTable":{)",
      R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"maxOffset":5})",
      R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"maxOffset":"x"}}})",
      R"({"offsetTable":{{"brokerName":"b","topic":"t"}:{}}})",
      R"({"offsetTable":{{"brokerName":"b","queueId":-1,"topic":"t"}:{}}})",
      R"({"offsetTable":{{"brokerName":"b","queueId":0}:{}}})",
      R"({"offsetTable":{5:{}}})",
      R"({"offsetTable":{"not a mq":{}}})",
      R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:5}})",
      R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"} {}}})",
      R"({"offsetTable":{}} trailing)",
      R"({"offsetTable":{{"brokerName":"b,"queueId":0,"topic":"t"}:{}}})",
  };
  for (std::string_view body : bad) {
    auto t = parse_topic_stats_table(b(body));
    ASSERT_FALSE(t.ok()) << body;
    EXPECT_EQ(t.status().code(), common::Code::kInvalidArgument) << body;
  }
  EXPECT_FALSE(parse_topic_stats_table(b(std::string(10000, '{'))).ok());
}

TEST(ClientAdminJsonTest, ConsumeStatsFromBrokerBytes) {
  auto s = parse_consume_stats(b(kConsumeStats));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->consume_tps, 0.0);
  ASSERT_EQ(s->offset_table.size(), 1u);
  EXPECT_EQ(s->offset_table.at(mq("%RETRY%G", "broker-a", 0)),
            (OffsetWrapper{3, 2, 3, 1700000000000}));
  EXPECT_EQ(s->diff_total(), 1);

  auto tps = parse_consume_stats(b(R"({"consumeTps":12.5,"offsetTable":{)"
                                   R"({"brokerName":"a","queueId":1,"topic":"T"}:)"
                                   R"({"brokerOffset":100,"consumerOffset":90,)"
                                   R"("lastTimestamp":5,"pullOffset":95}}})"));
  ASSERT_TRUE(tps.ok()) << tps.status();
  EXPECT_EQ(tps->consume_tps, 12.5);
  EXPECT_EQ(tps->diff_total(), 10);
  EXPECT_FALSE(parse_consume_stats(b(R"({"consumeTps":"fast","offsetTable":{}})")).ok());
  auto no_table = parse_consume_stats(b(R"({"consumeTps":3})"));
  ASSERT_TRUE(no_table.ok());
  EXPECT_EQ(no_table->consume_tps, 3.0);
  EXPECT_TRUE(no_table->offset_table.empty());
}

TEST(ClientAdminJsonTest, ConsumerConnectionFromBrokerBytes) {
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
  EXPECT_EQ(sd.tags, std::vector<std::string>{"TagA"});
  EXPECT_EQ(sd.codes, std::vector<int32_t>{2598919});
  EXPECT_EQ(sd.sub_version, 42);
  EXPECT_EQ(sd.expression_type, "TAG");
  EXPECT_FALSE(sd.class_filter_mode);
  EXPECT_FALSE(parse_consumer_connection(b(R"({"connectionSet":{}})")).ok());
}

TEST(ClientAdminJsonTest, ResetOffsetBody) {
  // As AdminProcessor::reset_offset writes it.
  auto r = parse_reset_offset_body(b(R"({"offsetTable":{)"
                                     R"({"brokerName":"broker-a","queueId":0,"topic":"T"}:7,)"
                                     R"({"brokerName":"broker-a","queueId":1,"topic":"T"}:0}})"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, (std::map<MessageQueue, int64_t>{{mq("T", "broker-a", 0), 7},
                                                 {mq("T", "broker-a", 1), 0}}));
  auto empty = parse_reset_offset_body({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(parse_reset_offset_body(b(R"({"offsetTable":{"x":1}})")).ok());
}

TEST(ClientAdminJsonTest, TopicRouteQuotedAndUnquotedKeys) {
  // namesrv/route_json.cc's form (quoted keys) and Java fastjson's (unquoted).
  const std::string_view quoted =
      R"({"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","2":"10.0.0.2:10911"},)"
      R"("brokerName":"broker-a","cluster":"DefaultCluster"},)"
      R"({"brokerAddrs":{"1":"10.0.0.3:10911"},"brokerName":"broker-b","cluster":"DefaultCluster"}],)"
      R"("filterServerTable":{},)"
      R"("queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,)"
      R"("writeQueueNums":8}],"orderTopicConf":"broker-a:4"})";
  auto r = parse_topic_route_data(b(quoted));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->broker_datas.size(), 2u);
  EXPECT_EQ(
      r->broker_datas[0],
      (BrokerData{"DefaultCluster", "broker-a", {{0, "10.0.0.1:10911"}, {2, "10.0.0.2:10911"}}}));
  ASSERT_EQ(r->queue_datas.size(), 1u);
  EXPECT_EQ(r->queue_datas[0], (QueueData{"broker-a", 4, 8, 6, 0}));
  EXPECT_EQ(r->order_topic_conf, "broker-a:4");
  // broker-b has no brokerId 0 (election in progress): not a master.
  EXPECT_EQ(r->master_addrs(), std::vector<std::string>{"10.0.0.1:10911"});

  auto unquoted = parse_topic_route_data(
      b(R"({"brokerDatas":[{"brokerAddrs":{0:"h:1"},"brokerName":"b","cluster":"C"}],)"
        R"("queueDatas":[{"brokerName":"b","perm":"6","readQueueNums":1,"writeQueueNums":1}]})"));
  ASSERT_TRUE(unquoted.ok()) << unquoted.status();
  EXPECT_EQ(unquoted->broker_datas[0].broker_addrs.at(0), "h:1");
  EXPECT_EQ(unquoted->queue_datas[0].perm, 6);
  EXPECT_FALSE(unquoted->order_topic_conf.has_value());

  EXPECT_FALSE(parse_topic_route_data(b(R"({"brokerDatas":{}})")).ok());
  EXPECT_FALSE(parse_topic_route_data(b(R"({"brokerDatas":[{"brokerAddrs":{"x":"h:1"}}]})")).ok());
  EXPECT_FALSE(parse_topic_route_data(b(R"({"queueDatas":[{"perm":-1}]})")).ok());
}

TEST(ClientAdminJsonTest, ClusterInfoAndTopicList) {
  const std::string_view body =
      R"({"brokerAddrTable":{"broker-a":{"brokerAddrs":{"0":"10.0.0.1:10911","2":"10.0.0.2:10911"},)"
      R"("brokerName":"broker-a","cluster":"C"},)"
      R"("broker-b":{"brokerAddrs":{0:"10.0.0.4:10911"},"brokerName":"broker-b","cluster":"C"}},)"
      R"("clusterAddrTable":{"C":["broker-a","broker-b"]}})";
  auto info = parse_cluster_info(b(body));
  ASSERT_TRUE(info.ok()) << info.status();
  ASSERT_EQ(info->broker_addr_table.size(), 2u);
  EXPECT_EQ(info->broker_addr_table.at("broker-a").broker_addrs,
            (std::map<int64_t, std::string>{{0, "10.0.0.1:10911"}, {2, "10.0.0.2:10911"}}));
  EXPECT_EQ(info->broker_addr_table.at("broker-b").cluster, "C");
  EXPECT_EQ(info->cluster_addr_table.at("C"), (std::set<std::string>{"broker-a", "broker-b"}));
  EXPECT_FALSE(parse_cluster_info(b(R"({"clusterAddrTable":{"C":"broker-a"}})")).ok());

  auto topics = parse_topic_list(b(R"({"topicList":["a","%RETRY%G"]})"));
  ASSERT_TRUE(topics.ok()) << topics.status();
  EXPECT_EQ(*topics, (std::vector<std::string>{"a", "%RETRY%G"}));
  EXPECT_FALSE(parse_topic_list(b(R"({"topicList":[1]})")).ok());
}

TEST(ClientAdminJsonTest, KvTableAndBrokerConfig) {
  auto kv = parse_kv_table(b(R"({"table":{"brokerActive":"true","putTps":"1.0 2.0 3.0","n":5}})"));
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_EQ(*kv, (std::map<std::string, std::string>{
                     {"brokerActive", "true"}, {"putTps", "1.0 2.0 3.0"}, {"n", "5"}}));
  EXPECT_FALSE(parse_kv_table(b(R"({"table":[]})")).ok());

  auto conf = parse_broker_config(b("brokerName=broker-a\nlistenPort=10911\n# c\nx=a\\=b\n"));
  ASSERT_TRUE(conf.ok()) << conf.status();
  EXPECT_EQ(*conf, (std::map<std::string, std::string>{
                       {"brokerName", "broker-a"}, {"listenPort", "10911"}, {"x", "a=b"}}));
}

TEST(ClientAdminJsonTest, SubscriptionGroupConfigBody) {
  SubscriptionGroupConfig g;
  g.group_name = "G\"1";
  g.retry_max_times = 3;
  EXPECT_EQ(encode_subscription_group_config(g),
            R"({"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,)"
            R"("consumeFromMinEnable":true,"groupName":"G\"1",)"
            R"("notifyConsumerIdsChangedEnable":true,"retryMaxTimes":3,"retryQueueNums":1,)"
            R"("whichBrokerWhenConsumeSlowly":1})");
}

}  // namespace
}  // namespace rmq::client
