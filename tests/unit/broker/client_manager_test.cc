#include "broker/client/client_manager.h"

#include "broker/client/rebalance_lock.h"
#include "common/clock.h"
#include "remoting/connection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

namespace rmq::broker {
namespace {

using std::chrono::seconds;
using Ids = std::vector<std::string>;

ClientChannel channel(uint64_t id, std::string language = "JAVA", int32_t version = 121) {
  ClientChannel ch;
  ch.connection_id = id;
  ch.remote_address = "10.0.0." + std::to_string(id) + ":5" + std::to_string(id);
  ch.language = std::move(language);
  ch.version = version;
  return ch;
}

ConsumerData consumer(const std::string& group,
                      std::vector<std::pair<std::string, std::string>> subs,
                      int64_t sub_version = 1) {
  ConsumerData cd;
  cd.group = group;
  cd.consume_from_where = ConsumeFromWhere::kConsumeFromFirstOffset;
  for (const auto& [topic, expr] : subs) {
    SubscriptionData sd = remoting::protocol::parse_subscription(topic, expr);
    sd.sub_version = sub_version;
    cd.subscriptions.push_back(sd);
  }
  return cd;
}

HeartbeatData heartbeat(const std::string& client_id, std::vector<ConsumerData> consumers,
                        std::vector<std::string> producers = {}) {
  HeartbeatData hb;
  hb.client_id = client_id;
  hb.consumers = std::move(consumers);
  hb.producer_groups = std::move(producers);
  return hb;
}

class ClientManagerTest : public ::testing::Test {
 protected:
  common::ManualClock clock_;
  ClientManager mgr_{clock_};
};

TEST_F(ClientManagerTest, RegisterReportsNewMembersAndSubscriptionChanges) {
  const ConsumerData g = consumer("G", {{"T", "*"}});
  EXPECT_TRUE(mgr_.register_consumer(g, "c1", channel(1)));
  EXPECT_FALSE(mgr_.register_consumer(g, "c1", channel(1)));  // plain refresh
  EXPECT_TRUE(mgr_.register_consumer(g, "c2", channel(2)));
  EXPECT_EQ(mgr_.consumer_ids("G"), (Ids{"c1", "c2"}));

  // A higher subVersion with the same expression is not a change...
  EXPECT_FALSE(mgr_.register_consumer(consumer("G", {{"T", "*"}}, 5), "c1", channel(1)));
  // ...a new expression is, and so is a new topic.
  EXPECT_TRUE(mgr_.register_consumer(consumer("G", {{"T", "TagA"}}, 6), "c1", channel(1)));
  EXPECT_TRUE(
      mgr_.register_consumer(consumer("G", {{"T", "TagA"}, {"U", "*"}}, 7), "c1", channel(1)));
  auto sub = mgr_.find_subscription("G", "T");
  ASSERT_TRUE(sub.has_value());
  EXPECT_EQ(sub->sub_string, "TagA");
  EXPECT_EQ(sub->sub_version, 7);
  EXPECT_TRUE(mgr_.find_subscription("G", "U").has_value());
  EXPECT_FALSE(mgr_.find_subscription("G", "V").has_value());
  EXPECT_FALSE(mgr_.find_subscription("H", "T").has_value());
  EXPECT_TRUE(mgr_.consumer_ids("H").empty());
}

TEST_F(ClientManagerTest, HeartbeatRegistersProducersAndConsumers) {
  auto changed = mgr_.register_heartbeat(
      heartbeat("10.0.0.5@1", {consumer("B", {{"T", "*"}}), consumer("A", {{"T", "*"}})},
                {"PG", "CLIENT_INNER_PRODUCER"}),
      channel(1));
  EXPECT_EQ(changed, (Ids{"A", "B"}));
  EXPECT_EQ(mgr_.all_consumer_groups(), (Ids{"A", "B"}));
  EXPECT_EQ(mgr_.producer_groups(), (Ids{"CLIENT_INNER_PRODUCER", "PG"}));
  EXPECT_TRUE(
      mgr_.register_heartbeat(heartbeat("10.0.0.5@1", {consumer("A", {{"T", "*"}})}), channel(1))
          .empty());
}

TEST_F(ClientManagerTest, GroupInfoCarriesConnectionIdentity) {
  ConsumerData cd = consumer("G", {{"T", "TagA || TagB"}});
  cd.consume_type = ConsumeType::kConsumeActively;
  cd.message_model = MessageModel::kBroadcasting;
  ASSERT_TRUE(mgr_.register_consumer(cd, "10.0.0.6@7#x", channel(6, "CPP", 333)));
  ASSERT_TRUE(mgr_.register_consumer(cd, "10.0.0.5@9", channel(5)));
  auto info = mgr_.consumer_group_info("G");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->group, "G");
  EXPECT_EQ(info->consume_type, ConsumeType::kConsumeActively);
  EXPECT_EQ(info->message_model, MessageModel::kBroadcasting);
  EXPECT_EQ(info->consume_from_where, ConsumeFromWhere::kConsumeFromFirstOffset);
  ASSERT_EQ(info->connections.size(), 2u);
  EXPECT_EQ(info->connections[0].client_id, "10.0.0.5@9");
  EXPECT_EQ(info->connections[0].client_addr, "10.0.0.5:55");
  EXPECT_EQ(info->connections[0].language, "JAVA");
  EXPECT_EQ(info->connections[0].version, 121);
  EXPECT_EQ(info->connections[1].client_id, "10.0.0.6@7#x");
  EXPECT_EQ(info->connections[1].language, "CPP");
  EXPECT_EQ(info->connections[1].version, 333);
  EXPECT_EQ(info->connections[1].connection_id, 6u);
  ASSERT_EQ(info->subscriptions.size(), 1u);
  EXPECT_EQ(info->subscriptions.at("T").tags, (std::set<std::string>{"TagA", "TagB"}));
  EXPECT_FALSE(mgr_.consumer_group_info("nope").has_value());
}

TEST_F(ClientManagerTest, ConnectionCloseRemovesOnlyClientsStillOnIt) {
  mgr_.register_heartbeat(heartbeat("c1", {consumer("G", {{"T", "*"}})}, {"PG"}), channel(1));
  mgr_.register_heartbeat(heartbeat("c2", {consumer("G", {{"T", "*"}}), consumer("H", {})}),
                          channel(2));
  // c1 reconnects on connection 3: same member, no change.
  EXPECT_TRUE(
      mgr_.register_heartbeat(heartbeat("c1", {consumer("G", {{"T", "*"}})}), channel(3)).empty());
  EXPECT_TRUE(mgr_.on_connection_closed(1).empty());  // the old connection
  EXPECT_EQ(mgr_.consumer_ids("G"), (Ids{"c1", "c2"}));
  EXPECT_EQ(mgr_.producer_groups(), (Ids{}));  // PG was only on connection 1

  EXPECT_EQ(mgr_.on_connection_closed(2), (Ids{"G", "H"}));
  EXPECT_EQ(mgr_.consumer_ids("G"), (Ids{"c1"}));
  EXPECT_EQ(mgr_.all_consumer_groups(), (Ids{"G"}));  // H is gone with its last member
  EXPECT_TRUE(mgr_.on_connection_closed(99).empty());
}

TEST_F(ClientManagerTest, UnregisterRemovesTheNamedGroupsOnly) {
  mgr_.register_heartbeat(heartbeat("c1", {consumer("G", {}), consumer("H", {})}, {"PG"}),
                          channel(1));
  mgr_.register_heartbeat(heartbeat("c2", {consumer("G", {})}), channel(2));
  EXPECT_TRUE(mgr_.unregister("c1", "", "G"));
  EXPECT_FALSE(mgr_.unregister("c1", "", "G"));  // already gone
  EXPECT_FALSE(mgr_.unregister("c9", "PG", "H"));
  EXPECT_EQ(mgr_.consumer_ids("G"), (Ids{"c2"}));
  EXPECT_EQ(mgr_.consumer_ids("H"), (Ids{"c1"}));
  EXPECT_EQ(mgr_.producer_groups(), (Ids{"PG"}));
  EXPECT_FALSE(mgr_.unregister("c1", "PG", ""));
  EXPECT_TRUE(mgr_.producer_groups().empty());
}

TEST_F(ClientManagerTest, ExpiresClientsWithoutHeartbeatByTheClock) {
  mgr_.register_heartbeat(heartbeat("c1", {consumer("G", {})}, {"PG"}), channel(1));
  mgr_.register_heartbeat(heartbeat("c2", {consumer("G", {})}), channel(2));
  clock_.advance(seconds(100));
  mgr_.register_heartbeat(heartbeat("c2", {consumer("G", {})}), channel(2));  // c2 stays fresh
  clock_.advance(seconds(20));  // c1 is exactly 120 s old: not yet expired
  EXPECT_TRUE(mgr_.scan_expired().empty());
  clock_.advance(seconds(1));
  EXPECT_EQ(mgr_.scan_expired(), (Ids{"G"}));
  EXPECT_EQ(mgr_.consumer_ids("G"), (Ids{"c2"}));
  EXPECT_TRUE(mgr_.producer_groups().empty());
  // A shorter timeout expires c2 (21 s old) too.
  EXPECT_EQ(mgr_.scan_expired(seconds(20)), (Ids{"G"}));
  EXPECT_TRUE(mgr_.all_consumer_groups().empty());
}

class NullHandler : public remoting::ConnectionHandler {
 public:
  void on_command(const remoting::ConnectionPtr&, remoting::RemotingCommand) override {}
  void on_close(const remoting::ConnectionPtr&, const common::Status&) override {}
};

TEST_F(ClientManagerTest, ConnectionsOfGivesTheMembersConnections) {
  boost::asio::io_context io;
  NullHandler handler;
  auto conn = std::make_shared<remoting::Connection>(io, "127.0.0.1:1", handler,
                                                     remoting::ConnectionOptions{}, clock_);
  ClientChannel ch = channel(conn->id());
  ch.connection = conn;
  mgr_.register_consumer(consumer("G", {}), "c1", ch);
  mgr_.register_consumer(consumer("G", {}), "c2", channel(1000000));
  auto conns = mgr_.connections_of("G");
  ASSERT_EQ(conns.size(), 2u);
  EXPECT_EQ(conns[0].lock(), conn);     // c1
  EXPECT_EQ(conns[1].lock(), nullptr);  // c2 registered without a live connection
  EXPECT_TRUE(mgr_.connections_of("H").empty());
}

TEST_F(ClientManagerTest, ConcurrentHeartbeatsAreSafe) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string id = std::to_string(t * 100 + i % 10).insert(0, 1, 'c');
        mgr_.register_heartbeat(heartbeat(id, {consumer("G", {{"T", "*"}})}),
                                channel(static_cast<uint64_t>(t + 1)));
        (void)mgr_.consumer_ids("G");
        if (i % 50 == 49) mgr_.on_connection_closed(static_cast<uint64_t>(t + 1));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const std::string& id : mgr_.consumer_ids("G")) EXPECT_EQ(id[0], 'c');
}

// ---- RebalanceLockManager ----

std::set<MessageQueue> mqs(std::initializer_list<int> ids) {
  std::set<MessageQueue> out;
  for (int id : ids) out.insert(MessageQueue{"T", "broker-a", id});
  return out;
}

TEST(RebalanceLockTest, OneHolderPerQueue) {
  common::ManualClock clock;
  RebalanceLockManager locks(clock);
  EXPECT_EQ(locks.try_lock_batch("G", mqs({0, 1}), "A"), mqs({0, 1}));
  EXPECT_EQ(locks.try_lock_batch("G", mqs({1, 2}), "B"), mqs({2}));
  EXPECT_EQ(locks.try_lock_batch("G", mqs({0, 1, 2}), "A"), mqs({0, 1}));
  // Another group is independent.
  EXPECT_EQ(locks.try_lock_batch("H", mqs({0, 1}), "B"), mqs({0, 1}));
  EXPECT_TRUE(locks.is_locked("G", MessageQueue{"T", "broker-a", 0}, "A"));
  EXPECT_FALSE(locks.is_locked("G", MessageQueue{"T", "broker-a", 0}, "B"));
  EXPECT_FALSE(locks.is_locked("G", MessageQueue{"T", "broker-b", 0}, "A"));
  EXPECT_TRUE(locks.try_lock_batch("G", {}, "A").empty());
}

TEST(RebalanceLockTest, LockExpiresWithoutRenewal) {
  common::ManualClock clock;
  RebalanceLockManager locks(clock);
  ASSERT_EQ(locks.try_lock_batch("G", mqs({0, 1}), "A"), mqs({0, 1}));
  clock.advance(seconds(40));
  ASSERT_EQ(locks.try_lock_batch("G", mqs({0}), "A"), mqs({0}));  // renews queue 0 only
  clock.advance(seconds(20));  // queue 1: exactly 60 s old, still held
  EXPECT_TRUE(locks.try_lock_batch("G", mqs({0, 1}), "B").empty());
  clock.advance(seconds(1));  // queue 1: 61 s; queue 0: 21 s
  EXPECT_FALSE(locks.is_locked("G", MessageQueue{"T", "broker-a", 1}, "A"));
  EXPECT_EQ(locks.try_lock_batch("G", mqs({0, 1}), "B"), mqs({1}));
  EXPECT_TRUE(locks.is_locked("G", MessageQueue{"T", "broker-a", 1}, "B"));
  clock.advance(seconds(40));  // queue 0: 61 s since A's renewal
  EXPECT_EQ(locks.try_lock_batch("G", mqs({0}), "B"), mqs({0}));
  EXPECT_TRUE(locks.try_lock_batch("G", mqs({0, 1}), "A").empty());
}

TEST(RebalanceLockTest, UnlockReleasesOnlyTheCallersQueues) {
  common::ManualClock clock;
  RebalanceLockManager locks(clock);
  ASSERT_EQ(locks.try_lock_batch("G", mqs({0}), "A"), mqs({0}));
  ASSERT_EQ(locks.try_lock_batch("G", mqs({1}), "B"), mqs({1}));
  locks.unlock_batch("G", mqs({0, 1}), "B");  // B does not hold 0
  EXPECT_TRUE(locks.try_lock_batch("G", mqs({0}), "C").empty());
  EXPECT_EQ(locks.try_lock_batch("G", mqs({1}), "C"), mqs({1}));
  locks.unlock_batch("G", mqs({0}), "A");
  EXPECT_EQ(locks.try_lock_batch("G", mqs({0}), "C"), mqs({0}));
  locks.unlock_batch("nope", mqs({0}), "A");  // unknown group: no-op
}

}  // namespace
}  // namespace rmq::broker
