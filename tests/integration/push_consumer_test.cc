// PushConsumer end to end against raftmq-namesrv + a one-node DLedger broker group as processes:
// a group splits the queues, RECONSUME_LATER comes back through %RETRY%<group> with
// reconsumeTimes 1, a stopped member's queues move to the other on NOTIFY_CONSUMER_IDS_CHANGED
// without losing messages, and broadcasting gives every member every message.
#include "client/push_consumer.h"

#include "client/producer.h"
#include "common/clock.h"
#include "tests/testutil/cluster.h"
#include "tests/testutil/cluster_fixture.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace rmq::client {
namespace {

using namespace std::chrono_literals;

// Every delivery a listener saw.
struct Recorder {
  mutable std::mutex mu;
  std::map<std::string, int> count;  // body -> deliveries
  std::vector<MessageExt> all;

  void add(const std::vector<MessageExt>& msgs) {
    std::lock_guard lock(mu);
    for (const auto& m : msgs) {
      ++count[m.body];
      all.push_back(m);
    }
  }
  size_t distinct() const {
    std::lock_guard lock(mu);
    return count.size();
  }
  size_t deliveries() const {
    std::lock_guard lock(mu);
    return all.size();
  }
  std::map<std::string, int> counts() const {
    std::lock_guard lock(mu);
    return count;
  }
};

class PushConsumerTest : public testutil::SharedClusterFixture<PushConsumerTest> {
 public:
  static testutil::LocalClusterOptions cluster_options() {
    testutil::LocalClusterOptions o = testutil::built_cluster_options();
    o.brokers = 1;
    // Every delay level is 1 s, so a send-back (level 3 + reconsumeTimes) returns quickly.
    std::string levels;
    for (int i = 0; i < 18; ++i) levels += i == 0 ? "1s" : " 1s";
    o.extra_broker_config.push_back("messageDelayLevel=" + levels);
    return o;
  }

 protected:
  PushConsumerOptions options(const std::string& group, const std::string& topic,
                              Recorder& rec) const {
    PushConsumerOptions o;
    o.namesrv = cluster_->namesrv_addr();
    o.group = group;
    o.subscriptions[topic] = "*";
    o.consume_from = ConsumeFromWhere::kFirstOffset;
    o.consume_threads = 2;
    o.concurrent_listener = [&rec](const std::vector<MessageExt>& msgs) {
      rec.add(msgs);
      return ConsumeResult::kConsumeSuccess;
    };
    return o;
  }

  void produce(const std::string& topic, int from, int to) {
    ProducerOptions po;
    po.namesrv = cluster_->namesrv_addr();
    Producer producer(po, common::SteadyClock::instance());
    producer.start();
    for (int i = from; i < to; ++i) {
      Message m;
      m.topic = topic;
      m.tags = "TagA";
      m.keys = "k" + std::to_string(i);
      m.body = "m-" + std::to_string(i);
      auto r = producer.send(m);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
    }
    producer.shutdown();
  }

  static std::set<QueueRef> owned(const PushConsumer& c) {
    std::set<QueueRef> out;
    for (const auto& q : c.owned_queues()) {
      if (q.queue.topic.rfind("%RETRY%", 0) != 0) out.insert(q.queue);
    }
    return out;
  }

  // Waits until a and b own disjoint halves of the topic's 4 queues.
  static bool split_evenly(const PushConsumer& a, const PushConsumer& b) {
    return testutil::eventually(
        [&] {
          auto qa = owned(a);
          auto qb = owned(b);
          std::set<QueueRef> all = qa;
          all.insert(qb.begin(), qb.end());
          return qa.size() == 2 && qb.size() == 2 && all.size() == 4;
        },
        20s);
  }
};

TEST_F(PushConsumerTest, TwoMembersSplitTheQueuesAndReceiveEveryMessageOnce) {
  ASSERT_TRUE(cluster_->create_topic("PcSplit", 4).is_ok());
  Recorder ra;
  Recorder rb;
  PushConsumer a(options("g_split", "PcSplit", ra), common::SteadyClock::instance());
  PushConsumer b(options("g_split", "PcSplit", rb), common::SteadyClock::instance());
  ASSERT_TRUE(a.start().is_ok());
  ASSERT_TRUE(b.start().is_ok());
  ASSERT_TRUE(split_evenly(a, b)) << "a owns " << owned(a).size() << ", b owns " << owned(b).size();

  produce("PcSplit", 0, 200);
  ASSERT_TRUE(testutil::eventually([&] { return ra.distinct() + rb.distinct() >= 200; }, 30s))
      << "a got " << ra.distinct() << ", b got " << rb.distinct();
  std::this_thread::sleep_for(300ms);  // a duplicate would show up now
  std::map<std::string, int> total = ra.counts();
  for (const auto& [body, n] : rb.counts()) total[body] += n;
  EXPECT_EQ(total.size(), 200u);
  for (const auto& [body, n] : total) EXPECT_EQ(n, 1) << body << " delivered " << n << " times";
  EXPECT_GT(ra.distinct(), 0u);
  EXPECT_GT(rb.distinct(), 0u);
  // Each member got exactly the messages of its own queues.
  const auto qa = owned(a);
  for (const auto& m : ra.all) {
    EXPECT_TRUE(qa.contains(QueueRef{"PcSplit", "broker-a", m.queue_id})) << m.body;
  }
  a.shutdown();
  b.shutdown();
}

TEST_F(PushConsumerTest, ReconsumeLaterComesBackWithReconsumeTimesOne) {
  ASSERT_TRUE(cluster_->create_topic("PcRetry", 2).is_ok());
  Recorder rec;
  auto o = options("g_retry", "PcRetry", rec);
  o.concurrent_listener = [&rec](const std::vector<MessageExt>& msgs) {
    rec.add(msgs);
    for (const auto& m : msgs) {
      if (m.body == "m-3" && m.reconsume_times == 0) return ConsumeResult::kReconsumeLater;
    }
    return ConsumeResult::kConsumeSuccess;
  };
  PushConsumer c(o, common::SteadyClock::instance());
  ASSERT_TRUE(c.start().is_ok());
  ASSERT_TRUE(testutil::eventually([&] { return owned(c).size() == 2; }, 20s));
  produce("PcRetry", 0, 10);

  auto retried = [&]() -> std::optional<MessageExt> {
    std::lock_guard lock(rec.mu);
    for (const auto& m : rec.all) {
      if (m.body == "m-3" && m.reconsume_times == 1) return m;
    }
    return std::nullopt;
  };
  ASSERT_TRUE(testutil::eventually([&] { return retried().has_value(); }, 30s))
      << "deliveries: " << rec.deliveries();
  const MessageExt again = *retried();
  EXPECT_EQ(again.topic, "PcRetry");  // taken from RETRY_TOPIC, not %RETRY%g_retry
  EXPECT_EQ(again.tags(), "TagA");
  EXPECT_EQ(again.keys(), "k3");
  EXPECT_EQ(again.property("RETRY_TOPIC"), "PcRetry");
  EXPECT_FALSE(again.property("ORIGIN_MESSAGE_ID").empty());
  EXPECT_EQ(rec.distinct(), 10u);
  const auto counts = rec.counts();
  EXPECT_EQ(counts.at("m-3"), 2);
  for (const auto& [body, n] : counts) {
    if (body != "m-3") {
      EXPECT_EQ(n, 1) << body;
    }
  }
  c.shutdown();
}

TEST_F(PushConsumerTest, StoppedMembersQueuesMoveToTheOtherWithoutLoss) {
  ASSERT_TRUE(cluster_->create_topic("PcMove", 4).is_ok());
  Recorder ra;
  Recorder rb;
  PushConsumer a(options("g_move", "PcMove", ra), common::SteadyClock::instance());
  auto b = std::make_unique<PushConsumer>(options("g_move", "PcMove", rb),
                                          common::SteadyClock::instance());
  ASSERT_TRUE(a.start().is_ok());
  ASSERT_TRUE(b->start().is_ok());
  ASSERT_TRUE(split_evenly(a, *b));
  produce("PcMove", 0, 100);
  ASSERT_TRUE(testutil::eventually([&] { return ra.distinct() + rb.distinct() >= 100; }, 30s));
  ASSERT_GT(rb.distinct(), 0u);

  b->shutdown();  // commits, unregisters: the broker notifies a, which rebalances at once
  const size_t b_before = rb.deliveries();
  // Well below the 20 s rebalance period: only the notification can move the queues this fast.
  ASSERT_TRUE(testutil::eventually([&] { return owned(a).size() == 4; }, 10s))
      << "a owns " << owned(a).size();
  produce("PcMove", 100, 200);
  auto union_size = [&] {
    std::set<std::string> all;
    for (const auto& [body, n] : ra.counts()) all.insert(body);
    for (const auto& [body, n] : rb.counts()) all.insert(body);
    return all.size();
  };
  ASSERT_TRUE(testutil::eventually([&] { return union_size() >= 200; }, 30s))
      << "received " << union_size() << " of 200";
  EXPECT_EQ(rb.deliveries(), b_before) << "b consumed after shutdown";
  // Every message after the move went to a exactly once; b committed what it consumed, so a
  // does not read b's messages again.
  for (int i = 100; i < 200; ++i) {
    EXPECT_EQ(ra.counts()["m-" + std::to_string(i)], 1) << i;
  }
  for (const auto& [body, n] : rb.counts()) {
    EXPECT_EQ(ra.counts().count(body), 0u) << body << " consumed by both";
  }
  a.shutdown();
}

TEST_F(PushConsumerTest, BroadcastingGivesEveryMemberEveryMessage) {
  ASSERT_TRUE(cluster_->create_topic("PcBcast", 4).is_ok());
  Recorder ra;
  Recorder rb;
  auto oa = options("g_bcast", "PcBcast", ra);
  oa.model = MessageModel::kBroadcasting;
  oa.offset_file = dir_->file("bcast_offsets.json");
  auto ob = options("g_bcast", "PcBcast", rb);
  ob.model = MessageModel::kBroadcasting;
  PushConsumer a(oa, common::SteadyClock::instance());
  PushConsumer b(ob, common::SteadyClock::instance());
  ASSERT_TRUE(a.start().is_ok());
  ASSERT_TRUE(b.start().is_ok());
  ASSERT_TRUE(testutil::eventually(
      [&] { return a.owned_queues().size() == 4 && b.owned_queues().size() == 4; }, 20s));
  produce("PcBcast", 0, 50);
  ASSERT_TRUE(testutil::eventually([&] { return ra.distinct() >= 50 && rb.distinct() >= 50; }, 30s))
      << "a got " << ra.distinct() << ", b got " << rb.distinct();
  EXPECT_EQ(ra.deliveries(), 50u);
  EXPECT_EQ(rb.deliveries(), 50u);
  a.shutdown();
  b.shutdown();
  // Offsets stayed local: the file holds all 50 as consumed.
  int64_t sum = 0;
  for (const auto& [q, off] : a.local_offsets()) sum += off;
  EXPECT_EQ(sum, 50);
  const std::string text = testutil::read_file(oa.offset_file);
  auto parsed = parse_offset_table(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string() << "\n" << text;
  EXPECT_EQ(*parsed, a.local_offsets());
}

TEST_F(PushConsumerTest, OrderlyListenerSeesEachQueueInOffsetOrderUnderALock) {
  ASSERT_TRUE(cluster_->create_topic("PcOrder", 2).is_ok());
  Recorder rec;
  auto o = options("g_order", "PcOrder", rec);
  o.concurrent_listener = nullptr;
  std::vector<std::chrono::steady_clock::time_point> m5_times;  // under rec.mu
  o.orderly_listener = [&rec, &m5_times](const std::vector<MessageExt>& msgs) {
    rec.add(msgs);
    for (const auto& m : msgs) {
      if (m.body != "m-5") continue;
      {
        std::lock_guard lock(rec.mu);
        m5_times.push_back(std::chrono::steady_clock::now());
      }
      if (m.reconsume_times == 0) return ConsumeResult::kReconsumeLater;
    }
    return ConsumeResult::kConsumeSuccess;
  };
  o.orderly_suspend = 200ms;
  PushConsumer c(o, common::SteadyClock::instance());
  ASSERT_TRUE(c.start().is_ok());
  ASSERT_TRUE(testutil::eventually([&] { return owned(c).size() == 2; }, 20s));
  for (const auto& q : c.owned_queues()) {
    if (q.queue.topic == "PcOrder") {
      EXPECT_TRUE(q.locked) << q.queue.queue_id;
    }
  }
  produce("PcOrder", 0, 40);
  ASSERT_TRUE(testutil::eventually([&] { return rec.distinct() >= 40; }, 30s))
      << "got " << rec.distinct();
  std::lock_guard lock(rec.mu);
  std::map<int32_t, int64_t> last;  // queue -> last offset delivered
  int m5 = 0;
  for (const auto& m : rec.all) {
    auto it = last.find(m.queue_id);
    if (m.body == "m-5" && m.reconsume_times == 1) {
      // Delivered again in place: nothing of its queue came in between.
      EXPECT_EQ(it->second, m.queue_offset);
    } else if (it != last.end()) {
      EXPECT_EQ(m.queue_offset, it->second + 1) << m.body;
    }
    if (m.body == "m-5") ++m5;
    last[m.queue_id] = m.queue_offset;
  }
  EXPECT_EQ(m5, 2);
  EXPECT_EQ(rec.all.size(), 41u);
  ASSERT_EQ(m5_times.size(), 2u);
  EXPECT_GE(m5_times[1] - m5_times[0], 190ms) << "the queue was not suspended";
}

}  // namespace
}  // namespace rmq::client
