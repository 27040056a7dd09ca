// The NameServer over real TCP on 127.0.0.1: a NamesrvController in-process driven by a remoting
// Client (registration, routes, cluster info, topic lists, KV config, malformed input, Raft-term
// fencing, expiry by the scan thread), and the raftmq-namesrv binary as a process (clean SIGTERM
// stop, config errors, port in use). Waits are for conditions (bounded), never fixed sleeps.
#include "common/clock.h"
#include "namesrv/namesrv_controller.h"
#include "remoting/client.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <csignal>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rmq::namesrv {
namespace {

using namespace std::chrono_literals;
using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;
using testutil::read_file;

constexpr int32_t kOk = 0;

// What a Java 4.9 broker sends in REGISTER_BROKER (fastjson; TBW102 is the auto-create topic).
std::string java_body(const std::string& topic, int64_t counter) {
  return R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":)" +
         std::to_string(counter) +
         R"(,"timestamp":1700000000123},"topicConfigTable":{"TBW102":{"order":false,"perm":7,)"
         R"("readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"TBW102","topicSysFlag":0,)"
         R"("writeQueueNums":8},")" +
         topic +
         R"(":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",)"
         R"("topicName":")" +
         topic + R"(","topicSysFlag":0,"writeQueueNums":4}}}})";
}

RemotingCommand register_request(const std::string& name, const std::string& addr, int64_t id,
                                 const std::string& body, int64_t term = 0) {
  auto req = RemotingCommand::request(RequestCode::kRegisterBroker);
  req.ext_fields.set("brokerName", name);
  req.ext_fields.set("brokerAddr", addr);
  req.ext_fields.set("clusterName", "DefaultCluster");
  req.ext_fields.set("haServerAddr", addr + "-ha");
  req.ext_fields.set("brokerId", id);
  req.ext_fields.set("compressed", "false");
  if (term > 0) req.ext_fields.set("raftTerm", term);
  req.body = common::Buffer(std::string_view(body));
  return req;
}

class NamesrvTest : public ::testing::Test {
 protected:
  void SetUp() override { client_.start(); }
  void TearDown() override {
    client_.stop();
    if (controller_) controller_->stop();
  }

  void start(common::Clock& clock, NamesrvConfig config = {}) {
    config.bind_address = "127.0.0.1";
    config.listen_port = 0;
    config.server_worker_threads = 2;
    config.server_selector_threads = 1;
    controller_ = std::make_unique<NamesrvController>(config, clock);
    ASSERT_TRUE(controller_->start().is_ok());
    addr_ = "127.0.0.1:" + std::to_string(controller_->port());
  }

  RemotingCommand call(RemotingCommand req) {
    auto resp = client_.invoke_sync(addr_, std::move(req), 5s);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? std::move(resp).value() : RemotingCommand{};
  }
  RemotingCommand route(const std::string& topic) {
    auto req = RemotingCommand::request(RequestCode::kGetRouteinfoByTopic);
    req.ext_fields.set("topic", topic);
    return call(std::move(req));
  }
  std::string topic_list() {
    return std::string(
        call(RemotingCommand::request(RequestCode::kGetAllTopicListFromNameserver)).body.str());
  }

  remoting::Client client_{remoting::ClientOptions{}, common::SteadyClock::instance()};
  common::ManualClock manual_clock_;  // declared before the controller: destroyed after it
  std::unique_ptr<NamesrvController> controller_;
  std::string addr_;
};

TEST_F(NamesrvTest, RegisterRouteClusterInfoTopicsKvAndUnregister) {
  start(common::SteadyClock::instance());
  auto a = call(register_request("broker-a", "10.0.0.1:10911", 0, java_body("TopicTest", 1)));
  ASSERT_EQ(a.code, kOk) << a.remark.value_or("");
  auto b = call(register_request("broker-b", "10.0.0.2:10911", 0, java_body("TopicTest", 1)));
  ASSERT_EQ(b.code, kOk) << b.remark.value_or("");

  auto r = route("TopicTest");
  ASSERT_EQ(r.code, kOk);
  EXPECT_EQ(
      r.body.str(),
      R"({"brokerDatas":[)"
      R"({"brokerAddrs":{"0":"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"},)"
      R"({"brokerAddrs":{"0":"10.0.0.2:10911"},"brokerName":"broker-b","cluster":"DefaultCluster"}],)"
      R"("filterServerTable":{},"queueDatas":[)"
      R"({"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4},)"
      R"({"brokerName":"broker-b","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]})");

  auto info = call(RemotingCommand::request(RequestCode::kGetBrokerClusterInfo));
  ASSERT_EQ(info.code, kOk);
  EXPECT_EQ(
      info.body.str(),
      R"({"brokerAddrTable":{)"
      R"("broker-a":{"brokerAddrs":{"0":"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"},)"
      R"("broker-b":{"brokerAddrs":{"0":"10.0.0.2:10911"},"brokerName":"broker-b","cluster":"DefaultCluster"}},)"
      R"("clusterAddrTable":{"DefaultCluster":["broker-a","broker-b"]}})");
  EXPECT_EQ(topic_list(), R"({"topicList":["TBW102","TopicTest"]})");
  auto by_cluster = RemotingCommand::request(RequestCode::kGetTopicsByCluster);
  by_cluster.ext_fields.set("cluster", "DefaultCluster");
  EXPECT_EQ(call(by_cluster).body.str(), R"({"topicList":["TBW102","TopicTest"]})");

  auto missing = route("NoSuchTopic");
  EXPECT_EQ(missing.code, static_cast<int32_t>(ResponseCode::kTopicNotExist));
  EXPECT_EQ(missing.remark, "No topic route info in name server for the topic: NoSuchTopic");

  auto put = RemotingCommand::request(RequestCode::kPutKvConfig);
  put.ext_fields.set("namespace", "ORDER_TOPIC_CONFIG");
  put.ext_fields.set("key", "TopicTest");
  put.ext_fields.set("value", "broker-a:4;broker-b:4");
  EXPECT_EQ(call(put).code, kOk);
  auto get = RemotingCommand::request(RequestCode::kGetKvConfig);
  get.ext_fields.set("namespace", "ORDER_TOPIC_CONFIG");
  get.ext_fields.set("key", "TopicTest");
  auto got = call(get);
  ASSERT_EQ(got.code, kOk);
  ASSERT_NE(got.ext("value"), nullptr);
  EXPECT_EQ(*got.ext("value"), "broker-a:4;broker-b:4");
  auto list = RemotingCommand::request(RequestCode::kGetKvlistByNamespace);
  list.ext_fields.set("namespace", "ORDER_TOPIC_CONFIG");
  EXPECT_EQ(call(list).body.str(), R"({"table":{"TopicTest":"broker-a:4;broker-b:4"}})");
  auto del = RemotingCommand::request(RequestCode::kDeleteKvConfig);
  del.ext_fields.set("namespace", "ORDER_TOPIC_CONFIG");
  del.ext_fields.set("key", "TopicTest");
  EXPECT_EQ(call(del).code, kOk);
  auto gone = call(get);
  EXPECT_EQ(gone.code, static_cast<int32_t>(ResponseCode::kQueryNotFound));
  EXPECT_EQ(gone.remark, "No config item, Namespace: ORDER_TOPIC_CONFIG Key: TopicTest");

  auto unreg = RemotingCommand::request(RequestCode::kUnregisterBroker);
  unreg.ext_fields.set("brokerName", "broker-b");
  unreg.ext_fields.set("brokerAddr", "10.0.0.2:10911");
  unreg.ext_fields.set("clusterName", "DefaultCluster");
  unreg.ext_fields.set("brokerId", "0");
  EXPECT_EQ(call(unreg).code, kOk);
  EXPECT_EQ(route("TopicTest").body.str(),
            R"({"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911"},"brokerName":"broker-a",)"
            R"("cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":)"
            R"("broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]})");
}

TEST_F(NamesrvTest, MalformedRequestsGetErrorsAndTheServerKeepsServing) {
  start(common::SteadyClock::instance());
  auto bad = call(register_request("broker-a", "10.0.0.1:10911", 0, R"({"topicConfigSerial)"));
  EXPECT_EQ(bad.code, static_cast<int32_t>(ResponseCode::kSystemError));
  EXPECT_NE(bad.remark.value_or("").find("Failed to decode RegisterBrokerBody"), std::string::npos);
  auto no_header = RemotingCommand::request(RequestCode::kRegisterBroker);
  EXPECT_EQ(call(no_header).remark, "the custom field <brokerName> is null");
  auto unknown = call(RemotingCommand::request(99999));
  EXPECT_EQ(unknown.code, static_cast<int32_t>(ResponseCode::kRequestCodeNotSupported));
  EXPECT_EQ(topic_list(), R"({"topicList":[]})");
  ASSERT_EQ(call(register_request("broker-a", "10.0.0.1:10911", 0, java_body("T", 1))).code, kOk);
  EXPECT_EQ(route("T").code, kOk);
}

TEST_F(NamesrvTest, NewLeaderTakesIdZeroAndStaleTermIsRefused) {
  start(common::SteadyClock::instance());
  ASSERT_EQ(call(register_request("broker-a", "n1:1", 0, java_body("T", 1), 1)).code, kOk);
  ASSERT_EQ(call(register_request("broker-a", "n2:1", 1, java_body("T", 1), 1)).code, kOk);
  ASSERT_EQ(call(register_request("broker-a", "n2:1", 0, java_body("T", 1), 2)).code, kOk);
  auto stale = call(register_request("broker-a", "n1:1", 0, java_body("T", 1), 1));
  EXPECT_EQ(stale.code, static_cast<int32_t>(ResponseCode::kSystemError));
  EXPECT_NE(stale.remark.value_or("").find("stale raftTerm 1"), std::string::npos);
  const std::string body(route("T").body.str());
  EXPECT_NE(body.find(R"("brokerAddrs":{"0":"n2:1"})"), std::string::npos) << body;
}

// A broker's registration connection closing (the process died) removes it at once, not after
// the 120 s expiry; a registration refreshed over a new connection is not removed by the old one.
TEST_F(NamesrvTest, BrokerWhoseConnectionClosesLeavesTheRoutesAtOnce) {
  start(common::SteadyClock::instance());
  auto broker_conn = std::make_unique<remoting::Client>(remoting::ClientOptions{},
                                                        common::SteadyClock::instance());
  broker_conn->start();
  auto reg = broker_conn->invoke_sync(
      addr_, register_request("broker-a", "10.0.0.1:10911", 0, java_body("T", 1)), 5s);
  ASSERT_TRUE(reg.ok()) << reg.status();
  ASSERT_EQ(reg->code, kOk);
  ASSERT_EQ(call(register_request("broker-b", "10.0.0.2:10911", 0, java_body("T", 1))).code, kOk);
  EXPECT_NE(route("T").body.str().find("10.0.0.1:10911"), std::string::npos);

  broker_conn->stop();  // closes its connection, as a kill -9 of the broker would
  EXPECT_TRUE(testutil::eventually(
      [&] { return route("T").body.str().find("10.0.0.1:10911") == std::string::npos; }, 10s));
  const std::string body(route("T").body.str());
  EXPECT_NE(body.find("10.0.0.2:10911"), std::string::npos) << "the other broker stays: " << body;
}

TEST_F(NamesrvTest, ScanThreadExpiresSilentBrokersByTheInjectedClock) {
  common::ManualClock& clock = manual_clock_;  // outlives the controller (TearDown stops it)
  NamesrvConfig config;
  config.scan_not_active_broker_interval = 10ms;
  start(clock, config);
  ASSERT_EQ(call(register_request("broker-a", "10.0.0.1:10911", 0, java_body("T", 1))).code, kOk);
  EXPECT_EQ(route("T").code, kOk);
  clock.advance(121s);
  EXPECT_TRUE(testutil::eventually([&] { return topic_list() == R"({"topicList":[]})"; }, 10s));
  EXPECT_EQ(route("T").code, static_cast<int32_t>(ResponseCode::kTopicNotExist));
}

// --- the raftmq-namesrv binary ---------------------------------------------------------------

class NamesrvProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { client_.start(); }
  void TearDown() override { client_.stop(); }

  pid_t spawn(std::vector<std::string> args) {
    args.insert(args.begin(), RMQ_NAMESRV_BIN);
    return testutil::spawn(args, log_);
  }
  // The exit status of `pid`, or -1 when it did not exit in time (then it is killed).
  int exit_code(pid_t pid, std::chrono::milliseconds limit = 10s) {
    auto st = testutil::wait_exit(pid, limit);
    if (!st) {
      ::kill(pid, SIGKILL);
      testutil::wait_exit(pid, 5s);
      return -1;
    }
    return WIFEXITED(*st) ? WEXITSTATUS(*st) : 128 + WTERMSIG(*st);
  }

  testutil::TempDir dir_;
  const std::string log_ = dir_.file("namesrv.log");
  remoting::Client client_{remoting::ClientOptions{}, common::SteadyClock::instance()};
};

TEST_F(NamesrvProcessTest, ServesUntilSigtermThenExitsCleanly) {
  const uint16_t port = testutil::free_port();
  const pid_t pid = spawn({"--listenPort=" + std::to_string(port), "--bindAddress=127.0.0.1"});
  ASSERT_GT(pid, 0);
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  const bool up = testutil::eventually(
      [&] {
        auto resp = client_.invoke_sync(
            addr, RemotingCommand::request(RequestCode::kGetAllTopicListFromNameserver), 1s);
        return resp.ok() && resp->code == kOk && resp->body.str() == R"({"topicList":[]})";
      },
      20s);
  EXPECT_TRUE(up) << read_file(log_);
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_EQ(exit_code(pid), 0) << read_file(log_);
  const std::string log = read_file(log_);
  EXPECT_NE(log.find("raftmq-namesrv listening on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("brokerExpirySeconds=120"), std::string::npos) << log;  // effective config
}

TEST_F(NamesrvProcessTest, UnknownConfigKeyExitsWithCode2NamingTheKey) {
  const std::string conf = dir_.file("namesrv.conf");
  std::ofstream(conf) << "listenPort=" << testutil::free_port()
                      << "\nrocketmqHome=/opt/rocketmq\nnoSuchNamesrvKey=1\n";
  const pid_t pid = spawn({"--config=" + conf});
  ASSERT_GT(pid, 0);
  EXPECT_EQ(exit_code(pid), 2) << read_file(log_);
  const std::string log = read_file(log_);
  EXPECT_NE(log.find("noSuchNamesrvKey"), std::string::npos) << log;
  EXPECT_NE(log.find("namesrv.conf:3"), std::string::npos) << log;
  EXPECT_EQ(log.find("rocketmqHome"), std::string::npos) << log;  // accepted and ignored
}

TEST_F(NamesrvProcessTest, BadValueOnTheCommandLineExitsWithCode2) {
  const pid_t pid = spawn({"--set=serverWorkerThreads=0"});
  ASSERT_GT(pid, 0);
  EXPECT_EQ(exit_code(pid), 2) << read_file(log_);
  EXPECT_NE(read_file(log_).find("serverWorkerThreads"), std::string::npos) << read_file(log_);
}

TEST_F(NamesrvProcessTest, PortInUseExitsWithCode3) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof(sa);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  const uint16_t port = ntohs(sa.sin_port);
  const pid_t pid = spawn({"--listenPort=" + std::to_string(port), "--bindAddress=127.0.0.1"});
  ASSERT_GT(pid, 0);
  EXPECT_EQ(exit_code(pid), 3) << read_file(log_);
  ::close(fd);
  const std::string log = read_file(log_);
  EXPECT_NE(log.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << log;
}

}  // namespace
}  // namespace rmq::namesrv
