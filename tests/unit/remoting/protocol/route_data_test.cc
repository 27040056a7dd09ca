// Routes (remoting/protocol/route_data.h): the exact bytes the NameServer writes, and the
// client's decoding of them and of Java fastjson's form (unquoted integer keys).
#include "remoting/protocol/route_data.h"

#include "common/bytes.h"
#include "common/json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rmq::remoting::protocol {
namespace {

common::ByteView b(std::string_view s) { return common::as_bytes(s); }

BrokerData broker(std::string name, std::map<int64_t, std::string> addrs,
                  std::string cluster = "DefaultCluster") {
  return BrokerData{std::move(cluster), std::move(name), std::move(addrs)};
}

TEST(TopicRouteDataTest, Golden) {
  TopicRouteData route;
  route.broker_datas = {broker("broker-b", {{0, "10.0.0.3:10911"}}),
                        broker("broker-a", {{1, "10.0.0.2:10911"}, {0, "10.0.0.1:10911"}})};
  route.queue_datas = {QueueData{"broker-b", 8, 8, 4, 0}, QueueData{"broker-a", 4, 4, 6, 0}};
  const std::string body = encode_topic_route_data(route);
  EXPECT_EQ(
      body,
      R"({"brokerDatas":[)"
      R"({"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"},)"
      R"({"brokerAddrs":{"0":"10.0.0.3:10911"},"brokerName":"broker-b","cluster":"DefaultCluster"}],)"
      R"("filterServerTable":{},)"
      R"("queueDatas":[)"
      R"({"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4},)"
      R"({"brokerName":"broker-b","perm":4,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]})");
  // The decoder reads it back, sorted by broker name as written.
  auto back = parse_topic_route_data(b(body));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->broker_datas.size(), 2u);
  EXPECT_EQ(back->broker_datas[0], route.broker_datas[1]);
  EXPECT_EQ(back->queue_datas[1], route.queue_datas[0]);
  EXPECT_EQ(back->master_addrs(), (std::vector<std::string>{"10.0.0.1:10911", "10.0.0.3:10911"}));
}

TEST(TopicRouteDataTest, IsStandardJsonAndCarriesOrderTopicConf) {
  TopicRouteData route;
  route.broker_datas = {broker("b\"x", {{0, "h:1"}})};
  route.queue_datas = {QueueData{"b\"x", 1, 2, 6, 1}};
  route.order_topic_conf = "b\"x:2";
  const std::string json = encode_topic_route_data(route);
  EXPECT_EQ(
      json,
      R"({"brokerDatas":[{"brokerAddrs":{"0":"h:1"},"brokerName":"b\"x","cluster":"DefaultCluster"}],)"
      R"("filterServerTable":{},"queueDatas":[{"brokerName":"b\"x","perm":6,"readQueueNums":1,)"
      R"("topicSysFlag":1,"writeQueueNums":2}],"orderTopicConf":"b\"x:2"})");
  auto parsed = common::Json::parse(json);  // strict parser: quoted keys only
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->get_string("orderTopicConf"), "b\"x:2");
  auto back = parse_topic_route_data(b(json));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, route);
}

TEST(TopicRouteDataTest, DecodesQuotedAndUnquotedKeys) {
  // Our NameServer's form (quoted keys) and Java fastjson's (unquoted).
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

TEST(ClusterInfoTest, Golden) {
  ClusterInfo info;
  info.broker_addr_table["broker-a"] = broker("broker-a", {{0, "10.0.0.1:10911"}}, "C");
  info.broker_addr_table["broker-b"] = broker("broker-b", {{0, "10.0.0.2:10911"}, {2, "x:1"}}, "D");
  info.cluster_addr_table["D"] = {"broker-b"};
  info.cluster_addr_table["C"] = {"broker-a"};
  const std::string body = encode_cluster_info(info);
  EXPECT_EQ(
      body,
      R"({"brokerAddrTable":{)"
      R"("broker-a":{"brokerAddrs":{"0":"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"C"},)"
      R"("broker-b":{"brokerAddrs":{"0":"10.0.0.2:10911","2":"x:1"},"brokerName":"broker-b","cluster":"D"}},)"
      R"("clusterAddrTable":{"C":["broker-a"],"D":["broker-b"]}})");
  EXPECT_EQ(encode_cluster_info(ClusterInfo{}), R"({"brokerAddrTable":{},"clusterAddrTable":{}})");
  auto back = parse_cluster_info(b(body));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, info);
}

TEST(ClusterInfoTest, DecodesJavaForm) {
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
}

}  // namespace
}  // namespace rmq::remoting::protocol
