#include "namesrv/namesrv_processor.h"

#include "common/clock.h"
#include "common/crc32.h"
#include "namesrv/kv_config_manager.h"
#include "namesrv/route_info_manager.h"
#include "namesrv/route_json.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::namesrv {
namespace {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

constexpr int32_t code(ResponseCode c) { return static_cast<int32_t>(c); }

RegisterBrokerBody one_topic_body(std::string topic, int64_t counter = 1) {
  RegisterBrokerBody b;
  b.data_version = {1000, counter};
  b.topic_configs = {TopicConfig{std::move(topic), 4, 4, 6, 0}};
  return b;
}

RemotingCommand register_request(std::string name, std::string addr, int64_t id,
                                 const RegisterBrokerBody& body) {
  auto req = RemotingCommand::request(RequestCode::kRegisterBroker);
  req.opaque = 77;
  req.ext_fields.set("brokerName", std::move(name));
  req.ext_fields.set("brokerAddr", std::move(addr));
  req.ext_fields.set("clusterName", "DefaultCluster");
  req.ext_fields.set("haServerAddr", "10.0.0.1:10912");
  req.ext_fields.set("brokerId", id);  // arrives as text, as every JSON type does
  req.ext_fields.set("compressed", "false");
  req.body = common::Buffer(encode_register_broker_body(body));
  return req;
}

class NamesrvProcessorTest : public ::testing::Test {
 protected:
  RemotingCommand call(const RemotingCommand& req) {
    RemotingCommand resp = proc_.handle(req, "test");
    EXPECT_TRUE(resp.is_response());
    EXPECT_EQ(resp.opaque, req.opaque);
    return resp;
  }
  RemotingCommand request(RequestCode c) {
    auto req = RemotingCommand::request(c);
    req.opaque = 5;
    return req;
  }

  common::ManualClock clock_;
  RouteInfoManager routes_{clock_};
  KvConfigManager kv_;
  NamesrvProcessor proc_{routes_, kv_};
};

TEST_F(NamesrvProcessorTest, RegisterThenRoute) {
  auto resp = call(register_request("broker-a", "10.0.0.1:10911", 0, one_topic_body("T")));
  ASSERT_EQ(resp.code, code(ResponseCode::kSuccess)) << resp.remark.value_or("");
  EXPECT_EQ(resp.ext("masterAddr"), nullptr);
  auto slave = call(register_request("broker-a", "10.0.0.2:10911", 1, one_topic_body("T")));
  ASSERT_EQ(slave.code, code(ResponseCode::kSuccess));
  ASSERT_NE(slave.ext("masterAddr"), nullptr);
  EXPECT_EQ(*slave.ext("masterAddr"), "10.0.0.1:10911");
  EXPECT_EQ(*slave.ext("haServerAddr"), "10.0.0.1:10912");

  auto req = request(RequestCode::kGetRouteinfoByTopic);
  req.ext_fields.set("topic", "T");
  auto route = call(req);
  ASSERT_EQ(route.code, code(ResponseCode::kSuccess));
  EXPECT_EQ(route.body.str(),
            R"({"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},)"
            R"("brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},)"
            R"("queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,)"
            R"("writeQueueNums":4}]})");
}

TEST_F(NamesrvProcessorTest, UnknownTopicIs17WithJavaRemark) {
  auto req = request(RequestCode::kGetRouteinfoByTopic);
  req.ext_fields.set("topic", "Nope");
  auto resp = call(req);
  EXPECT_EQ(resp.code, code(ResponseCode::kTopicNotExist));
  EXPECT_EQ(resp.remark, "No topic route info in name server for the topic: Nope");
  EXPECT_TRUE(resp.body.empty());
}

TEST_F(NamesrvProcessorTest, MissingAndMalformedHeadersAreSystemErrors) {
  auto no_name = register_request("broker-a", "a:1", 0, one_topic_body("T"));
  no_name.ext_fields.erase("brokerName");
  auto resp = call(no_name);
  EXPECT_EQ(resp.code, code(ResponseCode::kSystemError));
  EXPECT_EQ(resp.remark, "the custom field <brokerName> is null");

  auto bad_id = register_request("broker-a", "a:1", 0, one_topic_body("T"));
  bad_id.ext_fields.set("brokerId", "zero");
  resp = call(bad_id);
  EXPECT_EQ(resp.code, code(ResponseCode::kSystemError));
  EXPECT_EQ(resp.remark, "the custom field <brokerId> is not an integer: 'zero'");

  auto bad_term = register_request("broker-a", "a:1", 0, one_topic_body("T"));
  bad_term.ext_fields.set("raftTerm", "-1");
  EXPECT_EQ(call(bad_term).code, code(ResponseCode::kSystemError));

  auto bad_flag = register_request("broker-a", "a:1", 0, one_topic_body("T"));
  bad_flag.ext_fields.set("compressed", "yes");
  EXPECT_EQ(call(bad_flag).code, code(ResponseCode::kSystemError));

  auto route = request(RequestCode::kGetRouteinfoByTopic);
  EXPECT_EQ(call(route).remark, "the custom field <topic> is null");
  EXPECT_TRUE(routes_.live_broker_addrs().empty());
}

TEST_F(NamesrvProcessorTest, MalformedBodyIsRejectedAndNothingRegisters) {
  auto req = register_request("broker-a", "a:1", 0, one_topic_body("T"));
  req.body =
      common::Buffer(std::string_view(R"({"topicConfigSerializeWrapper":{"topicConfigTable":)"));
  auto resp = call(req);
  EXPECT_EQ(resp.code, code(ResponseCode::kSystemError));
  EXPECT_EQ(resp.remark.value_or("").rfind("Failed to decode RegisterBrokerBody: ", 0), 0u)
      << resp.remark.value_or("");
  EXPECT_TRUE(routes_.live_broker_addrs().empty());
}

TEST_F(NamesrvProcessorTest, CompressedBodyAndCrc) {
  auto req = register_request("broker-a", "a:1", 0, one_topic_body("Z"));
  req.body = encode_register_broker_body_compressed(one_topic_body("Z"));
  req.ext_fields.set("compressed", "true");
  const int64_t crc = common::crc32(req.body.view()) & 0x7FFFFFFF;
  req.ext_fields.set("bodyCrc32", crc);
  ASSERT_EQ(call(req).code, code(ResponseCode::kSuccess));
  EXPECT_EQ(routes_.all_topics(), (std::vector<std::string>{"Z"}));

  req.ext_fields.set("bodyCrc32", crc ^ 1);
  auto resp = call(req);
  EXPECT_EQ(resp.code, code(ResponseCode::kSystemError));
  EXPECT_EQ(resp.remark, "crc32 not match");
}

TEST_F(NamesrvProcessorTest, StaleRaftTermIsRefused) {
  auto leader2 = register_request("broker-a", "n2:1", 0, one_topic_body("T"));
  leader2.ext_fields.set("raftTerm", "5");
  ASSERT_EQ(call(leader2).code, code(ResponseCode::kSuccess));
  auto stale = register_request("broker-a", "n1:1", 0, one_topic_body("T"));
  stale.ext_fields.set("raftTerm", "4");
  auto resp = call(stale);
  EXPECT_EQ(resp.code, code(ResponseCode::kSystemError));
  EXPECT_NE(resp.remark.value_or("").find("stale raftTerm 4"), std::string::npos);
  EXPECT_EQ(routes_.cluster_info().broker_addr_table.at("broker-a").broker_addrs,
            (std::map<int64_t, std::string>{{0, "n2:1"}}));
}

TEST_F(NamesrvProcessorTest, UnregisterClusterInfoAndTopicLists) {
  ASSERT_EQ(call(register_request("broker-a", "a:1", 0, one_topic_body("T"))).code, 0);
  auto info = call(request(RequestCode::kGetBrokerClusterInfo));
  EXPECT_EQ(info.body.str(),
            R"({"brokerAddrTable":{"broker-a":{"brokerAddrs":{"0":"a:1"},"brokerName":"broker-a",)"
            R"("cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}})");
  EXPECT_EQ(call(request(RequestCode::kGetAllTopicListFromNameserver)).body.str(),
            R"({"topicList":["T"]})");
  auto by_cluster = request(RequestCode::kGetTopicsByCluster);
  by_cluster.ext_fields.set("cluster", "DefaultCluster");
  EXPECT_EQ(call(by_cluster).body.str(), R"({"topicList":["T"]})");

  auto unreg = request(RequestCode::kUnregisterBroker);
  unreg.ext_fields.set("brokerName", "broker-a");
  unreg.ext_fields.set("brokerAddr", "a:1");
  unreg.ext_fields.set("clusterName", "DefaultCluster");
  unreg.ext_fields.set("brokerId", "0");
  EXPECT_EQ(call(unreg).code, 0);
  EXPECT_EQ(call(request(RequestCode::kGetAllTopicListFromNameserver)).body.str(),
            R"({"topicList":[]})");
}

TEST_F(NamesrvProcessorTest, DeleteTopic) {
  ASSERT_EQ(call(register_request("broker-a", "a:1", 0, one_topic_body("T"))).code, 0);
  auto del = request(RequestCode::kDeleteTopicInNamesrv);
  del.ext_fields.set("topic", "T");
  del.ext_fields.set("clusterName", "Other");
  EXPECT_EQ(call(del).code, 0);
  EXPECT_EQ(routes_.all_topics().size(), 1u);
  del.ext_fields.erase("clusterName");
  EXPECT_EQ(call(del).code, 0);
  EXPECT_TRUE(routes_.all_topics().empty());
}

TEST_F(NamesrvProcessorTest, KvConfigRoundTrip) {
  auto put = request(RequestCode::kPutKvConfig);
  put.ext_fields.set("namespace", "NS");
  put.ext_fields.set("key", "k");
  put.ext_fields.set("value", "v");
  EXPECT_EQ(call(put).code, 0);

  auto get = request(RequestCode::kGetKvConfig);
  get.ext_fields.set("namespace", "NS");
  get.ext_fields.set("key", "k");
  auto got = call(get);
  ASSERT_EQ(got.code, 0);
  EXPECT_EQ(*got.ext("value"), "v");

  auto list = request(RequestCode::kGetKvlistByNamespace);
  list.ext_fields.set("namespace", "NS");
  EXPECT_EQ(call(list).body.str(), R"({"table":{"k":"v"}})");

  auto del = request(RequestCode::kDeleteKvConfig);
  del.ext_fields.set("namespace", "NS");
  del.ext_fields.set("key", "k");
  EXPECT_EQ(call(del).code, 0);
  auto missing = call(get);
  EXPECT_EQ(missing.code, code(ResponseCode::kQueryNotFound));
  EXPECT_EQ(missing.remark, "No config item, Namespace: NS Key: k");
  auto empty_list = call(list);
  EXPECT_EQ(empty_list.code, code(ResponseCode::kQueryNotFound));
  EXPECT_EQ(empty_list.remark, "No config item, Namespace: NS");

  put.ext_fields.erase("value");
  EXPECT_EQ(call(put).remark, "the custom field <value> is null");
}

TEST_F(NamesrvProcessorTest, OrderTopicConfFromKvWhenEnabled) {
  NamesrvProcessor ordered(routes_, kv_, NamesrvProcessorOptions{true});
  ASSERT_EQ(call(register_request("broker-a", "a:1", 0, one_topic_body("T"))).code, 0);
  kv_.put(kNamespaceOrderTopicConfig, "T", "broker-a:4");
  auto req = request(RequestCode::kGetRouteinfoByTopic);
  req.ext_fields.set("topic", "T");
  const std::string body(ordered.handle(req).body.str());
  EXPECT_NE(body.find(R"(,"orderTopicConf":"broker-a:4"})"), std::string::npos) << body;
  EXPECT_EQ(proc_.handle(req).body.str().find("orderTopicConf"), std::string::npos);
  // REGISTER_BROKER answers with the ORDER_TOPIC_CONFIG table, as Java does.
  auto resp = call(register_request("broker-a", "a:1", 0, one_topic_body("T")));
  EXPECT_EQ(resp.body.str(), R"({"table":{"T":"broker-a:4"}})");
}

TEST_F(NamesrvProcessorTest, UnhandledCodeIsNotSupported) {
  auto req = RemotingCommand::request(12345);
  auto resp = call(req);
  EXPECT_EQ(resp.code, code(ResponseCode::kRequestCodeNotSupported));
}

}  // namespace
}  // namespace rmq::namesrv
