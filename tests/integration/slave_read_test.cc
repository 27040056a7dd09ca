// Consumers reading from slaves and followers (client/route.h find_broker_for_read, the pull
// answers' suggestWhichBrokerId), end to end against raftmq-namesrv + brokers as processes.
// Classic SYNC_MASTER + one slave (slaveReadEnable=false, RocketMQ's default: the slave sends
// consumers back to the master): after kill -9 of the master, which the NameServer keeps listing
// for a while, a PullConsumer and a fresh PushConsumer group read every message from the slave;
// commits fail and stay pending meanwhile; the restarted master gets the offsets and the reads
// again, and messages sent after the restart all arrive. DLedger: a PullConsumer told to read a
// follower reads committed messages there (the follower suggests itself), and the leader when the
// follower is killed.
#include "client/producer.h"
#include "client/pull_consumer.h"
#include "client/push_consumer.h"
#include "common/clock.h"
#include "remoting/client.h"
#include "remoting/request_code.h"
#include "tests/testutil/cluster.h"
#include "tests/testutil/cluster_fixture.h"
#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace rmq::client {
namespace {

using namespace std::chrono_literals;
using remoting::RemotingCommand;
using remoting::RequestCode;

// Polls `pred` every `step` until it holds or `limit` of wall time passed.
template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit, std::chrono::milliseconds step = 50ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

struct Recorder {
  mutable std::mutex mu;
  std::map<std::string, int> count;  // body -> deliveries
  void add(const std::vector<MessageExt>& msgs) {
    std::lock_guard lock(mu);
    for (const auto& m : msgs) ++count[m.body];
  }
  std::map<std::string, int> counts() const {
    std::lock_guard lock(mu);
    return count;
  }
  bool has_all(const std::string& prefix, int n) const {
    std::lock_guard lock(mu);
    for (int i = 0; i < n; ++i) {
      if (!count.contains(prefix + std::to_string(i))) return false;
    }
    return true;
  }
};

class SlaveReadTest : public ::testing::Test {
 protected:
  void start(const std::string& classic_role, int brokers, std::vector<std::string> extra) {
    testutil::LocalClusterOptions o = testutil::built_cluster_options();
    o.base_dir = dir_.path();
    o.brokers = brokers;
    o.classic_master_role = classic_role;
    o.extra_broker_config = std::move(extra);
    common::Status st;
    cluster_ = testutil::start_cluster(o, &st);
    ASSERT_TRUE(st.is_ok()) << st.to_string();
  }
  void TearDown() override {
    if (cluster_) (void)cluster_->stop_all();
  }

  size_t streaming_slaves() { return testutil::streaming_slaves(cluster_->ha_status(0)); }
  bool slave_caught_up() {
    return wait_until([&] { return cluster_->slave_caught_up(1); }, 30s, 100ms);
  }

  void produce(const std::string& topic, const std::string& prefix, int n) {
    ProducerOptions po;
    po.namesrv = cluster_->namesrv_addr();
    Producer producer(po, common::SteadyClock::instance());
    producer.start();
    for (int i = 0; i < n; ++i) {
      Message m;
      m.topic = topic;
      m.tags = "TagA";
      m.body = prefix + std::to_string(i);
      auto r = producer.send(m);
      ASSERT_TRUE(r.ok()) << i << ": " << r.status().to_string();
    }
    producer.shutdown();
  }

  // QUERY_CONSUMER_OFFSET (14) / GET_MAX_OFFSET (30) at one broker; -1 when not answered.
  int64_t broker_offset(const std::string& addr, const std::string& group, const QueueRef& q) {
    auto req = RemotingCommand::request(group.empty() ? RequestCode::kGetMaxOffset
                                                      : RequestCode::kQueryConsumerOffset);
    if (!group.empty()) req.ext_fields.set("consumerGroup", group);
    req.ext_fields.set("topic", q.topic);
    req.ext_fields.set("queueId", q.queue_id);
    auto r = cluster_->client().invoke_sync(addr, std::move(req), 3s);
    if (!r.ok() || r->code != 0) return -1;
    return r->ext_int("offset").value_or(-1);
  }

  testutil::TempDir dir_;
  std::unique_ptr<testutil::LocalCluster> cluster_;
};

TEST_F(SlaveReadTest, ClassicMasterKilledConsumersReadFromSlaveAndCommitWhenItIsBack) {
  constexpr int kBefore = 200;
  constexpr int kAfter = 100;
  start("SYNC_MASTER", 2, {"slaveReadEnable=false", "mappedFileSizeCommitLog=1048576"});
  const std::string topic = "SrT";
  ASSERT_TRUE(cluster_->create_topic(topic, 4).is_ok());
  ASSERT_TRUE(wait_until([&] { return streaming_slaves() == 1; }, 30s, 100ms));
  produce(topic, "a-", kBefore);
  ASSERT_TRUE(slave_caught_up());
  const std::string master = cluster_->broker_addr(0);
  const std::string slave = cluster_->broker_addr(1);
  cluster_->kill9(0);  // the NameServer keeps listing it as brokerId 0 (120 s expiry)

  // A PullConsumer: the pulls meet a dead master, are retried on the slave, and stay there.
  PullConsumerOptions pco;
  pco.namesrv = cluster_->namesrv_addr();
  pco.group = "SrPull";
  PullConsumer pc(pco, common::SteadyClock::instance());
  pc.start();
  auto queues = pc.fetch_queues(topic);
  ASSERT_TRUE(queues.ok()) << queues.status().to_string();
  ASSERT_EQ(queues->size(), 4u);
  std::map<std::string, int> pulled;
  for (const QueueRef& q : *queues) {
    int64_t offset = 0;
    for (int i = 0; i < 100; ++i) {
      auto r = pc.pull(q, offset, 32);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      if (r->status != PullStatus::kFound) break;
      EXPECT_EQ(r->broker_addr, slave);
      EXPECT_EQ(r->broker_id, 1);
      EXPECT_EQ(r->suggest_which_broker_id, 0) << "slaveReadEnable=false: back to the master";
      for (const auto& m : r->messages) ++pulled[m.body];
      offset = r->next_begin_offset;
    }
    pc.update_offset(q, offset);
  }
  for (int i = 0; i < kBefore; ++i) {
    EXPECT_EQ(pulled["a-" + std::to_string(i)], 1) << "a-" << i;
  }
  // Commits only go to the master: they fail now and stay pending, nothing moves back.
  const common::Status down_commit = pc.commit();
  EXPECT_FALSE(down_commit.is_ok());
  int64_t pulled_total = 0;
  for (const QueueRef& q : *queues) pulled_total += pc.local_offset(q);
  EXPECT_EQ(pulled_total, kBefore);

  // A fresh PushConsumer group starting while the master is down: consumer list, start offsets
  // and every pull come from the slave.
  Recorder rec;
  PushConsumerOptions o;
  o.namesrv = cluster_->namesrv_addr();
  o.group = "SrPush";
  o.subscriptions[topic] = "*";
  o.consume_from = ConsumeFromWhere::kFirstOffset;
  o.consume_threads = 2;
  o.persist_interval = 1s;
  o.heartbeat_interval = 2s;
  o.concurrent_listener = [&rec](const std::vector<MessageExt>& msgs) {
    rec.add(msgs);
    return ConsumeResult::kConsumeSuccess;
  };
  PushConsumer consumer(o, common::SteadyClock::instance());
  ASSERT_TRUE(consumer.start().is_ok());
  ASSERT_TRUE(wait_until([&] { return rec.has_all("a-", kBefore); }, 60s))
      << rec.counts().size() << " of " << kBefore << " from the slave";
  for (const auto& oq : consumer.owned_queues()) {
    if (oq.queue.topic != topic) continue;
    EXPECT_EQ(oq.pull_addr, slave) << oq.queue.queue_id;
    EXPECT_EQ(oq.pull_broker_id, 1);
  }

  // The master comes back: sends resume, the consumer reads on (back at the master, which it
  // is sent to by the slave's suggestion once the master answers again) and commits there.
  ASSERT_TRUE(cluster_->restart(0).is_ok()) << cluster_->read_log(0, 4096);
  ASSERT_TRUE(wait_until([&] { return streaming_slaves() == 1; }, 30s, 100ms));
  produce(topic, "b-", kAfter);
  ASSERT_TRUE(wait_until([&] { return rec.has_all("b-", kAfter); }, 60s))
      << "messages sent after the master's restart";
  EXPECT_TRUE(wait_until(
      [&] {
        for (const auto& oq : consumer.owned_queues()) {
          if (oq.queue.topic == topic && oq.pull_broker_id != 0) return false;
        }
        return true;
      },
      40s, 100ms))
      << "the consumer did not go back to the master";
  // No message missing; duplicates only around the switch (at-least-once). Sent after the
  // restart: exactly once.
  const auto counts = rec.counts();
  int duplicates = 0;
  for (int i = 0; i < kBefore; ++i) {
    auto it = counts.find("a-" + std::to_string(i));
    ASSERT_NE(it, counts.end()) << "a-" << i << " missing";
    duplicates += it->second - 1;
  }
  for (int i = 0; i < kAfter; ++i) {
    auto it = counts.find("b-" + std::to_string(i));
    ASSERT_NE(it, counts.end()) << "b-" << i << " missing";
    EXPECT_EQ(it->second, 1) << "b-" << i;
  }
  std::printf("[slave-read] push consumer: %d duplicate deliveries of %d before the restart\n",
              duplicates, kBefore);
  // The offsets kept while the master was down reach it: every queue's committed offset is its
  // end, at the master.
  EXPECT_TRUE(wait_until(
      [&] {
        for (const QueueRef& q : *queues) {
          const int64_t end = broker_offset(master, "", q);
          if (end <= 0 || broker_offset(master, "SrPush", q) != end) return false;
        }
        return true;
      },
      40s, 200ms))
      << "the push consumer's offsets did not reach the restarted master";
  // The PullConsumer's pending commit goes through now (once the master is tried again).
  common::Status up_commit;
  EXPECT_TRUE(wait_until(
      [&] {
        up_commit = pc.commit();
        return up_commit.is_ok();
      },
      30s, 500ms))
      << up_commit.to_string();
  for (const QueueRef& q : *queues) {
    auto committed = pc.fetch_offset(q);
    ASSERT_TRUE(committed.ok()) << committed.status().to_string();
    EXPECT_EQ(*committed, pc.local_offset(q));
    EXPECT_EQ(broker_offset(master, "SrPull", q), pc.local_offset(q));
  }
  consumer.shutdown();
  pc.shutdown();
}

TEST_F(SlaveReadTest, DLedgerFollowerServesSuggestedReadsAndLeaderTakesOverWhenItDies) {
  constexpr int kMessages = 60;
  start("", 3, {});
  ASSERT_TRUE(cluster_->wait_leader(30s).has_value());
  const std::string topic = "SrD";
  ASSERT_TRUE(cluster_->create_topic(topic, 2).is_ok());
  produce(topic, "d-", kMessages);

  PullConsumerOptions pco;
  pco.namesrv = cluster_->namesrv_addr();
  pco.group = "SrDPull";
  PullConsumer pc(pco, common::SteadyClock::instance());
  pc.start();
  auto queues = pc.fetch_queues(topic);
  ASSERT_TRUE(queues.ok()) << queues.status().to_string();
  ASSERT_EQ(queues->size(), 2u);
  auto route = pc.routes().get(topic);
  ASSERT_TRUE(route.ok());
  ASSERT_EQ((*route)->brokers.size(), 1u);
  const auto& addrs = (*route)->brokers[0].addrs;
  ASSERT_EQ(addrs.size(), 3u) << "leader as 0, two followers by node id";
  ASSERT_TRUE(addrs.contains(0));
  int64_t follower_id = -1;
  for (const auto& [id, a] : addrs) {
    if (id != 0) follower_id = id;
  }
  const std::string follower = addrs.at(follower_id);
  const std::string leader = addrs.at(0);
  int follower_node = -1;
  for (int i = 0; i < cluster_->size(); ++i) {
    if (cluster_->broker_addr(i) == follower) follower_node = i;
  }
  ASSERT_GE(follower_node, 0);

  // Reads a queue from offset 0 to its end; the brokers that answered FOUND.
  auto read_all = [&](const QueueRef& q, std::map<std::string, int>& got) {
    std::set<std::string> from;
    int64_t offset = 0;
    for (int i = 0; i < 100; ++i) {
      auto r = pc.pull(q, offset, 16);
      EXPECT_TRUE(r.ok()) << r.status().to_string();
      if (!r.ok() || r->status != PullStatus::kFound) break;
      from.insert(r->broker_addr);
      for (const auto& m : r->messages) ++got[m.body];
      offset = r->next_begin_offset;
    }
    return from;
  };
  // The follower's commit index may trail the leader's answer by a moment.
  std::map<std::string, int> got;
  std::set<std::string> answered;
  ASSERT_TRUE(wait_until(
      [&] {
        got.clear();
        for (const QueueRef& q : *queues) {
          pc.set_suggested_broker(q, follower_id);
          for (const auto& a : read_all(q, got)) answered.insert(a);
        }
        return got.size() == static_cast<size_t>(kMessages);
      },
      20s, 200ms))
      << got.size();
  EXPECT_EQ(answered.count(follower), 1u) << "the follower served the suggested pulls";
  for (const auto& [body, n] : got) EXPECT_EQ(n, 1) << body;
  // A consumer that is not far behind is sent back to the leader (RocketMQ: the master unless the
  // consumer is slow), so consumers do not stay on followers after a failover.
  for (const QueueRef& q : *queues) EXPECT_EQ(pc.suggested_broker(q), 0);

  // The follower dies (still in the route): the pull goes to the leader at once.
  cluster_->kill9(follower_node);
  got.clear();
  for (const QueueRef& q : *queues) {
    const auto from = read_all(q, got);
    EXPECT_EQ(from, std::set<std::string>{leader}) << "queue " << q.queue_id;
  }
  EXPECT_EQ(got.size(), static_cast<size_t>(kMessages));
  pc.shutdown();
}

}  // namespace
}  // namespace rmq::client
