#include "namesrv/route_info_manager.h"

#include "common/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace rmq::namesrv {
namespace {

using namespace std::chrono_literals;
using common::Code;
using common::Term;
using Strings = std::vector<std::string>;

TopicConfig topic(std::string name, int32_t queues = 4, int32_t perm = 6) {
  TopicConfig tc;
  tc.topic_name = std::move(name);
  tc.read_queue_nums = queues;
  tc.write_queue_nums = queues;
  tc.perm = perm;
  return tc;
}

RegisterBrokerRequest reg(std::string name, std::string addr, int64_t id,
                          std::vector<TopicConfig> topics = {}, int64_t counter = 1,
                          uint64_t term = 0, std::string cluster = "C") {
  RegisterBrokerRequest r;
  r.cluster_name = std::move(cluster);
  r.broker_name = std::move(name);
  r.broker_addr = std::move(addr);
  r.broker_id = id;
  r.ha_server_addr = r.broker_addr + "-ha";
  r.body.topic_configs = std::move(topics);
  r.body.data_version = DataVersion{1000, counter};
  r.raft_term = Term(term);
  return r;
}

class RouteInfoManagerTest : public ::testing::Test {
 protected:
  void ok(const RegisterBrokerRequest& r) {
    auto res = mgr_.register_broker(r);
    ASSERT_TRUE(res.ok()) << res.status();
  }
  std::map<int64_t, std::string> addrs(const std::string& name) {
    const ClusterInfo info = mgr_.cluster_info();
    const auto it = info.broker_addr_table.find(name);
    return it == info.broker_addr_table.end() ? std::map<int64_t, std::string>{}
                                              : it->second.broker_addrs;
  }

  common::ManualClock clock_;
  RouteInfoManager mgr_{clock_};
};

TEST_F(RouteInfoManagerTest, RegisterPublishesRouteAndClusterInfo) {
  ok(reg("broker-a", "10.0.0.1:10911", 0, {topic("T1"), topic("T2", 8, 4)}));
  auto route = mgr_.topic_route("T2");
  ASSERT_TRUE(route.ok()) << route.status();
  ASSERT_EQ(route->broker_datas.size(), 1u);
  EXPECT_EQ(route->broker_datas[0].cluster, "C");
  EXPECT_EQ(route->broker_datas[0].broker_addrs,
            (std::map<int64_t, std::string>{{0, "10.0.0.1:10911"}}));
  ASSERT_EQ(route->queue_datas.size(), 1u);
  EXPECT_EQ(route->queue_datas[0], (QueueData{"broker-a", 8, 8, 4, 0}));
  EXPECT_FALSE(route->order_topic_conf.has_value());

  const ClusterInfo info = mgr_.cluster_info();
  EXPECT_EQ(info.cluster_addr_table.at("C"), (std::set<std::string>{"broker-a"}));
  EXPECT_EQ(mgr_.all_topics(), (Strings{"T1", "T2"}));
  EXPECT_EQ(mgr_.live_broker_addrs(), (Strings{"10.0.0.1:10911"}));
}

TEST_F(RouteInfoManagerTest, UnknownTopicIsNotFound) {
  EXPECT_EQ(mgr_.topic_route("nope").status().code(), Code::kNotFound);
}

TEST_F(RouteInfoManagerTest, RejectsEmptyNamesAndNegativeIds) {
  EXPECT_EQ(mgr_.register_broker(reg("", "a:1", 0)).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(mgr_.register_broker(reg("b", "", 0)).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(mgr_.register_broker(reg("b", "a:1", 0, {}, 1, 0, "")).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(mgr_.register_broker(reg("b", "a:1", -1)).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(mgr_.cluster_info().broker_addr_table.empty());
}

TEST_F(RouteInfoManagerTest, RoutesAreSortedByBrokerName) {
  ok(reg("broker-c", "c:1", 0, {topic("T")}));
  ok(reg("broker-a", "a:1", 0, {topic("T")}));
  ok(reg("broker-b", "b:1", 0, {topic("T")}));
  auto route = mgr_.topic_route("T");
  ASSERT_TRUE(route.ok());
  Strings brokers, queues;
  for (const auto& bd : route->broker_datas) brokers.push_back(bd.broker_name);
  for (const auto& qd : route->queue_datas) queues.push_back(qd.broker_name);
  EXPECT_EQ(brokers, (Strings{"broker-a", "broker-b", "broker-c"}));
  EXPECT_EQ(queues, brokers);
}

TEST_F(RouteInfoManagerTest, SlaveLearnsMasterAndOnlyMasterPublishesTopics) {
  ok(reg("broker-a", "m:1", 0, {topic("T")}));
  auto res = mgr_.register_broker(reg("broker-a", "s:1", 1, {topic("OnlyOnSlave")}));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->master_addr, "m:1");
  EXPECT_EQ(res->ha_server_addr, "m:1-ha");
  EXPECT_EQ(mgr_.all_topics(), (Strings{"T"}));
  EXPECT_EQ(addrs("broker-a"), (std::map<int64_t, std::string>{{0, "m:1"}, {1, "s:1"}}));

  auto master = mgr_.register_broker(reg("broker-a", "m:1", 0, {topic("T")}));
  ASSERT_TRUE(master.ok());
  EXPECT_TRUE(master->master_addr.empty());  // a master learns nothing
}

TEST_F(RouteInfoManagerTest, SlaveWithoutLiveMasterLearnsNothing) {
  auto res = mgr_.register_broker(reg("broker-a", "s:1", 1));
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->master_addr.empty());
  EXPECT_TRUE(res->ha_server_addr.empty());
}

TEST_F(RouteInfoManagerTest, TopicsAreReReadOnlyWhenTheDataVersionChanges) {
  ok(reg("broker-a", "m:1", 0, {topic("T", 4)}, /*counter=*/1));
  ok(reg("broker-a", "m:1", 0, {topic("T", 8)}, /*counter=*/1));  // same version: ignored
  EXPECT_EQ(mgr_.topic_route("T")->queue_datas[0].write_queue_nums, 4);
  ok(reg("broker-a", "m:1", 0, {topic("T", 8), topic("U")}, /*counter=*/2));
  EXPECT_EQ(mgr_.topic_route("T")->queue_datas[0].write_queue_nums, 8);
  EXPECT_EQ(mgr_.all_topics(), (Strings{"T", "U"}));
}

// PROTOCOL.md §4: exactly one brokerId-0 address per brokerName, the current leader.
TEST_F(RouteInfoManagerTest, NewLeaderReplacesTheOldIdZeroAddress) {
  ok(reg("broker-a", "n1:1", 0, {topic("T")}, 1, /*term=*/1));
  ok(reg("broker-a", "n2:1", 1, {}, 1, 1));
  ok(reg("broker-a", "n3:1", 2, {}, 1, 1));
  // n2 wins term 2 and registers as 0 at once: n1's address leaves brokerAddrs, n2's id 1 goes.
  ok(reg("broker-a", "n2:1", 0, {topic("T")}, 1, /*term=*/2));
  EXPECT_EQ(addrs("broker-a"), (std::map<int64_t, std::string>{{0, "n2:1"}, {2, "n3:1"}}));
  EXPECT_EQ(mgr_.raft_term("broker-a"), Term(2));
  // The deposed leader comes back as a follower under another id.
  ok(reg("broker-a", "n1:1", 1, {}, 1, 2));
  EXPECT_EQ(addrs("broker-a"),
            (std::map<int64_t, std::string>{{0, "n2:1"}, {1, "n1:1"}, {2, "n3:1"}}));
  auto route = mgr_.topic_route("T");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->broker_datas[0].broker_addrs.count(0), 1u);
}

TEST_F(RouteInfoManagerTest, StaleTermRegistrationIsRefused) {
  ok(reg("broker-a", "n1:1", 0, {topic("T")}, 1, /*term=*/3));
  ok(reg("broker-a", "n2:1", 0, {topic("T")}, 1, /*term=*/4));
  // n1's late registration from term 3 must not take id 0 back.
  auto stale = mgr_.register_broker(reg("broker-a", "n1:1", 0, {topic("T")}, 1, /*term=*/3));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), Code::kAborted);
  EXPECT_NE(stale.status().message().find("stale raftTerm 3"), std::string_view::npos);
  EXPECT_EQ(addrs("broker-a"), (std::map<int64_t, std::string>{{0, "n2:1"}}));
  EXPECT_EQ(mgr_.raft_term("broker-a"), Term(4));
  // Without a term (a Java broker) the registration is accepted, Java-style.
  ok(reg("broker-a", "n1:1", 0, {topic("T")}, 1, /*term=*/0));
  EXPECT_EQ(addrs("broker-a"), (std::map<int64_t, std::string>{{0, "n1:1"}}));
  EXPECT_EQ(mgr_.raft_term("broker-a"), Term(4));
  // The same term is accepted (a leader re-registering every 30 s).
  ok(reg("broker-a", "n2:1", 0, {topic("T")}, 1, /*term=*/4));
}

TEST_F(RouteInfoManagerTest, TermsAreKeptPerBrokerName) {
  ok(reg("broker-a", "a:1", 0, {}, 1, 9));
  ok(reg("broker-b", "b:1", 0, {}, 1, 2));
  EXPECT_EQ(mgr_.raft_term("broker-a"), Term(9));
  EXPECT_EQ(mgr_.raft_term("broker-b"), Term(2));
  EXPECT_EQ(mgr_.raft_term("broker-x"), Term(0));
}

TEST_F(RouteInfoManagerTest, UnregisterRemovesAddressAndLastOneRemovesTheGroup) {
  ok(reg("broker-a", "m:1", 0, {topic("T")}));
  ok(reg("broker-a", "s:1", 1));
  ok(reg("broker-b", "b:1", 0, {topic("T"), topic("OnlyA")}));
  EXPECT_TRUE(mgr_.unregister_broker("C", "s:1", "broker-a", 1));
  EXPECT_EQ(addrs("broker-a"), (std::map<int64_t, std::string>{{0, "m:1"}}));
  EXPECT_TRUE(mgr_.unregister_broker("C", "b:1", "broker-b", 0));
  EXPECT_TRUE(addrs("broker-b").empty());
  EXPECT_EQ(mgr_.all_topics(), (Strings{"T"}));  // OnlyA had queue data on broker-b only
  EXPECT_EQ(mgr_.topic_route("T")->queue_datas.size(), 1u);
  EXPECT_EQ(mgr_.cluster_info().cluster_addr_table.at("C"), (std::set<std::string>{"broker-a"}));
  EXPECT_EQ(mgr_.live_broker_addrs(), (Strings{"m:1"}));
  EXPECT_FALSE(mgr_.unregister_broker("C", "b:1", "broker-b", 0));
}

TEST_F(RouteInfoManagerTest, DeposedLeaderUnregisteringAsZeroKeepsTheNewLeader) {
  ok(reg("broker-a", "n1:1", 0, {topic("T")}, 1, 1));
  ok(reg("broker-a", "n2:1", 0, {topic("T")}, 1, 2));
  EXPECT_FALSE(mgr_.unregister_broker("C", "n1:1", "broker-a", 0));
  EXPECT_EQ(addrs("broker-a"), (std::map<int64_t, std::string>{{0, "n2:1"}}));
}

TEST_F(RouteInfoManagerTest, LastAddressGoneRemovesClusterAndTopics) {
  ok(reg("broker-a", "m:1", 0, {topic("T")}));
  mgr_.unregister_broker("C", "m:1", "broker-a", 0);
  EXPECT_TRUE(mgr_.cluster_info().cluster_addr_table.empty());
  EXPECT_TRUE(mgr_.all_topics().empty());
  EXPECT_EQ(mgr_.topic_route("T").status().code(), Code::kNotFound);
}

TEST_F(RouteInfoManagerTest, ScanExpiresSilentBrokersByTheInjectedClock) {
  ok(reg("broker-a", "m:1", 0, {topic("T")}));
  ok(reg("broker-a", "s:1", 1));
  ok(reg("broker-b", "b:1", 0, {topic("U")}));
  clock_.advance(100s);
  ok(reg("broker-a", "m:1", 0, {topic("T")}));  // m:1 keeps registering, the others go quiet
  clock_.advance(20s);
  EXPECT_TRUE(mgr_.scan_not_active_brokers().empty());  // exactly 120 s: not yet expired
  clock_.advance(1ms);
  EXPECT_EQ(mgr_.scan_not_active_brokers(), (Strings{"b:1", "s:1"}));
  EXPECT_EQ(mgr_.live_broker_addrs(), (Strings{"m:1"}));
  EXPECT_EQ(addrs("broker-a"), (std::map<int64_t, std::string>{{0, "m:1"}}));
  EXPECT_TRUE(addrs("broker-b").empty());
  EXPECT_EQ(mgr_.all_topics(), (Strings{"T"}));  // U had no queue data left
  clock_.advance(121s);
  EXPECT_EQ(mgr_.scan_not_active_brokers(), (Strings{"m:1"}));
  EXPECT_TRUE(mgr_.all_topics().empty());
  EXPECT_TRUE(mgr_.cluster_info().broker_addr_table.empty());
}

TEST_F(RouteInfoManagerTest, ExpiryIsConfigurable) {
  RouteInfoManager short_expiry(clock_, RouteInfoOptions{10s});
  ASSERT_TRUE(short_expiry.register_broker(reg("broker-a", "m:1", 0)).ok());
  clock_.advance(11s);
  EXPECT_EQ(short_expiry.scan_not_active_brokers(), (Strings{"m:1"}));
}

TEST_F(RouteInfoManagerTest, ExpiredLeaderKeepsQueueDataWhileFollowersLive) {
  ok(reg("broker-a", "n1:1", 0, {topic("T")}));
  clock_.advance(60s);
  ok(reg("broker-a", "n2:1", 1));
  clock_.advance(61s);
  EXPECT_EQ(mgr_.scan_not_active_brokers(), (Strings{"n1:1"}));
  // No id 0 now (producers skip the group) but the queues stay until the group is gone.
  EXPECT_EQ(addrs("broker-a"), (std::map<int64_t, std::string>{{1, "n2:1"}}));
  EXPECT_EQ(mgr_.all_topics(), (Strings{"T"}));
}

TEST_F(RouteInfoManagerTest, TopicsByCluster) {
  ok(reg("broker-a", "a:1", 0, {topic("T"), topic("A")}, 1, 0, "C1"));
  ok(reg("broker-b", "b:1", 0, {topic("T"), topic("B")}, 1, 0, "C2"));
  EXPECT_EQ(mgr_.topics_by_cluster("C1"), (Strings{"A", "T"}));
  EXPECT_EQ(mgr_.topics_by_cluster("C2"), (Strings{"B", "T"}));
  EXPECT_TRUE(mgr_.topics_by_cluster("nope").empty());
}

TEST_F(RouteInfoManagerTest, DeleteTopicEverywhereOrInOneCluster) {
  ok(reg("broker-a", "a:1", 0, {topic("T"), topic("A")}, 1, 0, "C1"));
  ok(reg("broker-b", "b:1", 0, {topic("T")}, 1, 0, "C2"));
  EXPECT_TRUE(mgr_.delete_topic("T", "C1"));
  auto route = mgr_.topic_route("T");
  ASSERT_TRUE(route.ok());
  ASSERT_EQ(route->queue_datas.size(), 1u);
  EXPECT_EQ(route->queue_datas[0].broker_name, "broker-b");
  EXPECT_FALSE(mgr_.delete_topic("A", "C2"));
  EXPECT_FALSE(mgr_.delete_topic("A", "nope"));
  EXPECT_TRUE(mgr_.delete_topic("T", "C2"));  // last queue data: the topic goes
  EXPECT_EQ(mgr_.all_topics(), (Strings{"A"}));
  EXPECT_TRUE(mgr_.delete_topic("A"));
  EXPECT_FALSE(mgr_.delete_topic("A"));
  EXPECT_TRUE(mgr_.all_topics().empty());
}

TEST_F(RouteInfoManagerTest, DeletedTopicComesBackWithTheNextVersion) {
  ok(reg("broker-a", "a:1", 0, {topic("T")}, 1));
  EXPECT_TRUE(mgr_.delete_topic("T"));
  ok(reg("broker-a", "a:1", 0, {topic("T")}, 1));  // same version: not re-read (Java)
  EXPECT_TRUE(mgr_.all_topics().empty());
  ok(reg("broker-a", "a:1", 0, {topic("T")}, 2));
  EXPECT_EQ(mgr_.all_topics(), (Strings{"T"}));
}

// RocketMQ's onChannelDestroy: the brokers whose latest registration came over a connection that
// closed leave the routes; a broker that re-registered over another connection stays.
TEST_F(RouteInfoManagerTest, ClosedConnectionRemovesTheBrokersItRegistered) {
  auto a = reg("broker-a", "a0:1", 0, {topic("T")});
  a.connection_id = 7;
  ok(a);
  auto a1 = reg("broker-a", "a1:1", 1);
  a1.connection_id = 8;
  ok(a1);
  auto b = reg("broker-b", "b0:1", 0, {topic("T")});
  b.connection_id = 7;
  ok(b);
  b.connection_id = 9;  // b refreshed over a new connection
  ok(b);
  auto unknown = reg("broker-c", "c0:1", 0, {topic("T")});  // connection_id 0: unknown origin
  ok(unknown);

  EXPECT_TRUE(mgr_.on_connection_closed(0).empty()) << "0 never matches";
  EXPECT_EQ(mgr_.on_connection_closed(7), (Strings{"a0:1"}));
  EXPECT_EQ(addrs("broker-a"), (std::map<int64_t, std::string>{{1, "a1:1"}}));
  EXPECT_EQ(addrs("broker-b").size(), 1u);
  EXPECT_EQ(addrs("broker-c").size(), 1u);
  EXPECT_EQ(mgr_.live_broker_addrs(), (Strings{"a1:1", "b0:1", "c0:1"}));

  EXPECT_EQ(mgr_.on_connection_closed(8), (Strings{"a1:1"}));
  EXPECT_TRUE(addrs("broker-a").empty()) << "the group went with its last address";
  EXPECT_TRUE(mgr_.on_connection_closed(8).empty());
}

}  // namespace
}  // namespace rmq::namesrv
