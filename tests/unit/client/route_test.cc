// RouteCache's read-broker choice (RocketMQ's findBrokerAddressInSubscribe with
// onlyThisBroker=false): the suggested brokerId, else the master, else the lowest slave; addresses
// marked unreachable are passed over while another is listed, and the marks expire.
#include "client/route.h"

#include "common/clock.h"
#include "remoting/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

namespace rmq::client {
namespace {

using namespace std::chrono_literals;

BrokerRoute group(std::map<int64_t, std::string> addrs) {
  return BrokerRoute{.cluster = std::string("C"),
                     .broker_name = std::string("b"),
                     .addrs = std::move(addrs),
                     .read_queues = 4,
                     .write_queues = 4,
                     .perm = 6};
}

TEST(FindBrokerForRead, SuggestedThenMasterThenLowestSlave) {
  const BrokerRoute b = group({{0, "m:1"}, {1, "s1:1"}, {2, "s2:1"}});
  EXPECT_EQ(b.find_for_read(0).addr, "m:1");
  EXPECT_TRUE(b.find_for_read(0).master());
  EXPECT_EQ(b.find_for_read(1).addr, "s1:1");
  EXPECT_EQ(b.find_for_read(1).id, 1);
  EXPECT_FALSE(b.find_for_read(1).master());
  EXPECT_EQ(b.find_for_read(2).addr, "s2:1");
  // A suggested broker the route does not list: the master.
  EXPECT_EQ(b.find_for_read(7).addr, "m:1");
  EXPECT_EQ(b.find_for_read(7).id, 0);

  // The master is gone from the route (expired at the NameServer): the lowest slave.
  const BrokerRoute no_master = group({{2, "s2:1"}, {1, "s1:1"}});
  EXPECT_EQ(no_master.find_for_read(0).addr, "s1:1");
  EXPECT_EQ(no_master.find_for_read(0).id, 1);
  EXPECT_EQ(no_master.find_for_read(2).addr, "s2:1");
  EXPECT_EQ(no_master.find_for_read(9).addr, "s1:1");

  const BrokerRoute empty = group({});
  EXPECT_FALSE(empty.find_for_read(0).found());
  EXPECT_EQ(empty.find_for_read(0).id, -1);
}

TEST(FindBrokerForRead, PassesOverUnusableAddressesWhileAnotherIsListed) {
  const BrokerRoute b = group({{0, "m:1"}, {1, "s1:1"}, {2, "s2:1"}});
  auto without = [](std::set<std::string> bad) {
    return [bad](const std::string& a) { return !bad.contains(a); };
  };
  // The suggested slave is down: the master.
  EXPECT_EQ(b.find_for_read(2, without({"s2:1"})).addr, "m:1");
  // The master is down: the lowest usable slave.
  EXPECT_EQ(b.find_for_read(0, without({"m:1"})).addr, "s1:1");
  EXPECT_EQ(b.find_for_read(0, without({"m:1", "s1:1"})).addr, "s2:1");
  EXPECT_EQ(b.find_for_read(0, without({"m:1", "s1:1"})).id, 2);
  // Every address is down: the same order over all of them (something is always tried).
  EXPECT_EQ(b.find_for_read(2, without({"m:1", "s1:1", "s2:1"})).addr, "s2:1");
  EXPECT_EQ(b.find_for_read(0, without({"m:1", "s1:1", "s2:1"})).addr, "m:1");
}

TEST(FindBrokerForRead, DLedgerRouteListsTheLeaderAsZeroAndFollowersByNodeId) {
  // n1 leads (brokerId 0), n2 and n3 follow under their node ids.
  const std::string body =
      R"({"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","2":"10.0.0.2:10911",)"
      R"("3":"10.0.0.3:10911"},"brokerName":"g","cluster":"C"}],)"
      R"("queueDatas":[{"brokerName":"g","perm":6,"readQueueNums":4,"topicSysFlag":0,)"
      R"("writeQueueNums":4}]})";
  auto route = parse_topic_route("T", body);
  ASSERT_TRUE(route.ok()) << route.status().to_string();
  EXPECT_EQ(route->find_broker_for_read("g", 0).addr, "10.0.0.1:10911");
  EXPECT_EQ(route->find_broker_for_read("g", 3).addr, "10.0.0.3:10911");
  EXPECT_EQ(route->find_broker_for_read("g", 3).id, 3);
  // brokerId 1 was the old leader's own id: not listed now, so the leader.
  EXPECT_EQ(route->find_broker_for_read("g", 1).addr, "10.0.0.1:10911");
  EXPECT_FALSE(route->find_broker_for_read("other", 0).found());
  EXPECT_EQ(route->subscribe_queues().size(), 4u);
}

TEST(RouteCacheReachability, MarksSteerReadsAndExpire) {
  common::ManualClock clock;
  remoting::Client client(remoting::ClientOptions{}, clock);  // not started: never called here
  RouteCache cache(client, "127.0.0.1:1", clock, 30s, 10s);
  TopicRoute route;
  route.topic = "T";
  route.brokers.push_back(group({{0, "m:1"}, {1, "s1:1"}}));

  EXPECT_TRUE(cache.reachable("m:1"));
  EXPECT_EQ(cache.find_broker_for_read(route, "b", 0).addr, "m:1");
  EXPECT_EQ(cache.reachable_master(route, "b"), "m:1");

  cache.mark_unreachable("m:1");
  EXPECT_FALSE(cache.reachable("m:1"));
  EXPECT_EQ(cache.find_broker_for_read(route, "b", 0).addr, "s1:1");
  EXPECT_EQ(cache.reachable_master(route, "b"), "");  // commits wait for the master
  // The slave suggested itself: still the slave; suggested the master: the slave meanwhile.
  EXPECT_EQ(cache.find_broker_for_read(route, "b", 1).addr, "s1:1");

  clock.advance(9s);
  EXPECT_FALSE(cache.reachable("m:1"));
  clock.advance(1s);
  EXPECT_TRUE(cache.reachable("m:1"));  // tried again after unreachable_for
  EXPECT_EQ(cache.find_broker_for_read(route, "b", 0).addr, "m:1");

  // An answer clears a mark at once.
  cache.mark_unreachable("s1:1");
  EXPECT_EQ(cache.find_broker_for_read(route, "b", 1).addr, "m:1");
  cache.mark_reachable("s1:1");
  EXPECT_EQ(cache.find_broker_for_read(route, "b", 1).addr, "s1:1");

  // Both down: the suggested one is still tried.
  cache.mark_unreachable("m:1");
  cache.mark_unreachable("s1:1");
  EXPECT_EQ(cache.find_broker_for_read(route, "b", 1).addr, "s1:1");
  EXPECT_EQ(cache.find_broker_for_read(route, "b", 0).addr, "m:1");
}

}  // namespace
}  // namespace rmq::client
