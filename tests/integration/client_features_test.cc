// Client features end to end against raftmq-namesrv + one-node DLedger broker groups as processes:
// batch sends (SEND_BATCH_MESSAGE) read back exactly once by the PullConsumer (keys, tags,
// msgIds, consecutive offsets, tag filter, offsets committed and fetched, illegal offsets, long
// polling); latency fault avoidance across two broker groups (a killed group is skipped after one
// failure, while without it every other send needs a retry); async sends chained from callbacks
// across route refreshes; `raftmq bench` in consume mode and with --batch / --queues; and routes
// when a leader or the NameServer stops answering (ClientRouteTest).
#include "client/producer.h"
#include "client/pull_consumer.h"
#include "client/route.h"
#include "common/clock.h"
#include "tests/testutil/cluster.h"
#include "tests/testutil/cluster_fixture.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <vector>

namespace rmq::client {
namespace {

using namespace std::chrono_literals;
using common::Status;

// A namesrv and a one-node DLedger group `broker_name`.
testutil::LocalClusterOptions one_node_group(const std::string& broker_name) {
  testutil::LocalClusterOptions o = testutil::built_cluster_options();
  o.brokers = 1;
  o.broker_name = broker_name;
  return o;
}

// one_node_group(broker_name) under `base`, started.
std::unique_ptr<testutil::LocalCluster> start_cluster(const std::filesystem::path& base,
                                                      const std::string& broker_name,
                                                      common::Status* status) {
  testutil::LocalClusterOptions o = one_node_group(broker_name);
  o.base_dir = base;
  return testutil::start_cluster(o, status);
}

// The value of "name=" in a summary line ("" when absent).
std::string field(const std::string& line, const std::string& name) {
  size_t p = line.find(" " + name + "=");
  if (p == std::string::npos) return "";
  p += name.size() + 2;
  return line.substr(p, line.find(' ', p) - p);
}

struct CliRun {
  int code = -1;
  std::string output;   // stdout and stderr
  std::string summary;  // the "bench: " line
};

class ClientFeaturesTest : public testutil::SharedClusterFixture<ClientFeaturesTest> {
 public:
  static testutil::LocalClusterOptions cluster_options() { return one_node_group("broker-a"); }

 protected:
  ProducerOptions producer_options() const {
    ProducerOptions po;
    po.namesrv = cluster_->namesrv_addr();
    return po;
  }
  PullConsumerOptions consumer_options(const std::string& group) const {
    PullConsumerOptions o;
    o.namesrv = cluster_->namesrv_addr();
    o.group = group;
    return o;
  }

  // Sum of max offsets over the topic's queues (-1 on error).
  int64_t total_max_offset(PullConsumer& c, const std::string& topic) {
    auto qs = c.fetch_queues(topic);
    if (!qs.ok()) return -1;
    int64_t total = 0;
    for (const auto& q : *qs) {
      auto m = c.max_offset(q);
      if (!m.ok()) return -1;
      total += *m;
    }
    return total;
  }

  // Reads every queue of `topic` from 0 until NO_NEW_MSG.
  std::vector<MessageExt> read_all(PullConsumer& c, const std::string& topic,
                                   const std::string& expression = "*") {
    std::vector<MessageExt> out;
    auto qs = c.fetch_queues(topic);
    EXPECT_TRUE(qs.ok()) << qs.status().to_string();
    if (!qs.ok()) return out;
    for (const auto& q : *qs) {
      int64_t offset = 0;
      for (int guard = 0; guard < 1000; ++guard) {
        auto r = c.pull(q, offset, 7, expression);
        EXPECT_TRUE(r.ok()) << r.status().to_string();
        if (!r.ok() || r->status == PullStatus::kNoNewMsg) break;
        EXPECT_NE(r->status, PullStatus::kOffsetIllegal) << offset;
        EXPECT_GT(r->next_begin_offset, offset);
        for (auto& m : r->messages) out.push_back(std::move(m));
        offset = r->next_begin_offset;
      }
    }
    return out;
  }

  // Starts the raftmq CLI (with --namesrv of the cluster); its output goes to *log.
  pid_t start_cli(std::vector<std::string> args, std::string* log) {
    args.insert(args.begin(), RMQ_CLI_BIN);
    args.push_back("--namesrv=" + cluster_->namesrv_addr());
    *log = dir_->file("cli-" + std::to_string(++runs_) + ".log");
    return testutil::spawn(args, *log);
  }
  // Waits for a CLI started by start_cli().
  static CliRun finish_cli(pid_t pid, const std::string& log,
                           std::chrono::milliseconds limit = 60s) {
    CliRun run;
    if (pid < 0) return run;
    auto status = testutil::wait_exit(pid, limit);
    if (status && WIFEXITED(*status)) run.code = WEXITSTATUS(*status);
    if (!status) ::kill(pid, SIGKILL);
    run.output = testutil::read_file(log);
    std::istringstream in(run.output);
    for (std::string l; std::getline(in, l);) {
      if (l.rfind("bench: ", 0) == 0) run.summary = l;
    }
    return run;
  }
  CliRun cli(std::vector<std::string> args) {
    std::string log;
    const pid_t pid = start_cli(std::move(args), &log);
    return finish_cli(pid, log);
  }

  int runs_ = 0;
};

TEST_F(ClientFeaturesTest, BatchSendIsReadBackOnceByThePullConsumer) {
  const std::string topic = "CfBatch";
  ASSERT_TRUE(cluster_->create_topic(topic, 4).is_ok());
  Producer producer(producer_options(), common::SteadyClock::instance());
  producer.start();
  std::vector<SendResult> results;
  std::map<std::string, Message> sent;  // uniq key -> message
  for (int b = 0; b < 3; ++b) {
    std::vector<Message> batch;
    for (int i = 0; i < 10; ++i) {
      Message m;
      m.topic = topic;
      m.keys = "k-" + std::to_string(b) + "-" + std::to_string(i);
      m.tags = i % 2 == 0 ? "TagA" : "TagB";
      m.body = "batch " + std::to_string(b) + " message " + std::to_string(i);
      batch.push_back(m);
    }
    common::Result<SendResult> r = Status::internal("not sent");
    if (b == 1) {
      // One batch through the async path.
      std::promise<common::Result<SendResult>> done;
      producer.send_batch_async(
          batch, [&](common::Result<SendResult> res) { done.set_value(std::move(res)); });
      r = done.get_future().get();
    } else {
      r = producer.send_batch(batch);
    }
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ(r->msg_ids.size(), 10u) << r->msg_id;
    ASSERT_EQ(r->uniq_keys.size(), 10u);
    EXPECT_GE(r->queue_offset, 0);
    EXPECT_GT(r->raft_index, 0);
    EXPECT_EQ(r->broker_name, "broker-a");
    for (size_t i = 0; i < 10; ++i) sent[r->uniq_keys[i]] = batch[i];
    results.push_back(*r);
  }
  // A bad batch is refused before anything is sent.
  std::vector<Message> mixed(2);
  mixed[0].topic = topic;
  mixed[1].topic = "Other";
  EXPECT_FALSE(producer.send_batch(mixed).ok());
  producer.shutdown();

  PullConsumer consumer(consumer_options("cf_batch_group"), common::SteadyClock::instance());
  consumer.start();
  ASSERT_TRUE(testutil::eventually([&] { return total_max_offset(consumer, topic) >= 30; }, 10s));
  const auto all = read_all(consumer, topic);
  ASSERT_EQ(all.size(), 30u);
  std::map<std::string, int> seen;
  for (const auto& m : all) {
    ++seen[m.uniq_key()];
    auto it = sent.find(m.uniq_key());
    ASSERT_NE(it, sent.end()) << m.uniq_key();
    EXPECT_EQ(m.keys(), it->second.keys);
    EXPECT_EQ(m.tags(), it->second.tags);
    EXPECT_EQ(m.body, it->second.body);
    EXPECT_EQ(m.topic, topic);
  }
  for (const auto& [k, n] : seen) EXPECT_EQ(n, 1) << k;
  EXPECT_EQ(seen.size(), 30u);
  // Each batch is in one queue at consecutive offsets from queue_offset, with the msgIds given.
  for (const auto& r : results) {
    for (size_t i = 0; i < 10; ++i) {
      const MessageExt* found = nullptr;
      for (const auto& m : all) {
        if (m.uniq_key() == r.uniq_keys[i]) found = &m;
      }
      ASSERT_NE(found, nullptr);
      EXPECT_EQ(found->queue_id, r.queue_id);
      EXPECT_EQ(found->queue_offset, r.queue_offset + static_cast<int64_t>(i));
      EXPECT_EQ(found->msg_id, r.msg_ids[i]);
    }
  }
  // The tag expression: only TagA comes back.
  const auto tag_a = read_all(consumer, topic, "TagA");
  EXPECT_EQ(tag_a.size(), 15u);
  for (const auto& m : tag_a) EXPECT_EQ(m.tags(), "TagA");
  consumer.shutdown();
}

TEST_F(ClientFeaturesTest, PullConsumerOffsetsStatusesAndLongPolling) {
  const std::string topic = "CfPull";
  ASSERT_TRUE(cluster_->create_topic(topic, 1).is_ok());
  Producer producer(producer_options(), common::SteadyClock::instance());
  producer.start();
  for (int i = 0; i < 5; ++i) {
    Message m;
    m.topic = topic;
    m.tags = "T";
    m.body = "p" + std::to_string(i);
    ASSERT_TRUE(producer.send(m).ok());
  }
  PullConsumer c(consumer_options("cf_pull_group"), common::SteadyClock::instance());
  c.start();
  auto qs = c.fetch_queues(topic);
  ASSERT_TRUE(qs.ok()) << qs.status().to_string();
  ASSERT_EQ(qs->size(), 1u);
  const QueueRef q = qs->front();
  ASSERT_TRUE(testutil::eventually([&] { return c.max_offset(q).value_or(0) == 5; }, 10s));
  EXPECT_EQ(c.min_offset(q).value_or(-1), 0);

  auto r = c.pull(q, 0, 3);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->status, PullStatus::kFound);
  ASSERT_EQ(r->messages.size(), 3u);
  EXPECT_EQ(r->messages[0].body, "p0");
  EXPECT_EQ(r->next_begin_offset, 3);
  EXPECT_EQ(r->max_offset, 5);
  r = c.pull(q, 5, 32);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, PullStatus::kNoNewMsg);
  EXPECT_EQ(r->next_begin_offset, 5);
  r = c.pull(q, 1000, 32);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, PullStatus::kOffsetIllegal);
  // Java's broker: past the end goes back to min when min is 0, else to max.
  EXPECT_TRUE(r->next_begin_offset == 0 || r->next_begin_offset == 5) << r->next_begin_offset;
  r = c.pull(q, 0, 32, "NoSuchTag");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->status == PullStatus::kNoMatchedMsg ||
              (r->status == PullStatus::kFound && r->messages.empty()))
      << to_string(r->status);

  // Offsets: none yet, then committed and read back by another consumer of the group.
  EXPECT_EQ(c.fetch_offset(q).value_or(-2), -1);
  c.update_offset(q, 3);
  EXPECT_EQ(c.local_offset(q), 3);
  ASSERT_TRUE(c.commit().is_ok());
  {
    PullConsumer other(consumer_options("cf_pull_group"), common::SteadyClock::instance());
    other.start();
    EXPECT_EQ(other.fetch_offset(q).value_or(-2), 3);
    other.shutdown();
  }

  // Long polling: a pull at the end is held until a message arrives.
  std::promise<common::Result<PullResult>> held;
  const auto t0 = std::chrono::steady_clock::now();
  c.pull_async(q, 5, 32, "*", /*block=*/true,
               [&](common::Result<PullResult> res) { held.set_value(std::move(res)); });
  auto fut = held.get_future();
  EXPECT_EQ(fut.wait_for(500ms), std::future_status::timeout) << "answered without a message";
  Message m;
  m.topic = topic;
  m.body = "late";
  ASSERT_TRUE(producer.send(m).ok());
  ASSERT_EQ(fut.wait_for(10s), std::future_status::ready);
  auto got = fut.get();
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(got->status, PullStatus::kFound);
  ASSERT_EQ(got->messages.size(), 1u);
  EXPECT_EQ(got->messages[0].body, "late");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  c.shutdown();
  producer.shutdown();
}

TEST_F(ClientFeaturesTest, SendsKeepWorkingWithFaultAvoidanceOn) {
  const std::string topic = "CfFault";
  ASSERT_TRUE(cluster_->create_topic(topic, 4).is_ok());
  auto po = producer_options();
  po.send_latency_fault_enable = true;
  Producer producer(po, common::SteadyClock::instance());
  producer.start();
  std::set<int32_t> queues;
  for (int i = 0; i < 20; ++i) {
    Message m;
    m.topic = topic;
    m.body = "f" + std::to_string(i);
    auto r = producer.send(m);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->attempts, 1);
    queues.insert(r->queue_id);
  }
  EXPECT_EQ(queues.size(), 4u);  // still round robin over the queues
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < 20; ++i) {
    Message m;
    m.topic = topic;
    m.body = "fa" + std::to_string(i);
    producer.send_async(m, [&](common::Result<SendResult> r) { ++(r.ok() ? ok : failed); });
  }
  ASSERT_TRUE(testutil::eventually([&] { return ok + failed == 20; }, 20s));
  EXPECT_EQ(ok.load(), 20);
  // The broker answered fast: it is in the table and available.
  const auto items = producer.fault_tolerance().items();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].broker, "broker-a");
  EXPECT_TRUE(producer.fault_tolerance().available("broker-a"));
  producer.shutdown();
}

// Async sends issued from the previous send's callback (on the producer's only I/O thread, as
// the bench does) while the route goes stale every 200 ms: the refresh must not block that thread.
TEST_F(ClientFeaturesTest, ChainedAsyncSendsSurviveRouteRefreshes) {
  const std::string topic = "CfChain";
  ASSERT_TRUE(cluster_->create_topic(topic, 2).is_ok());
  auto po = producer_options();
  po.io_threads = 1;
  po.route_max_age = 200ms;
  Producer producer(po, common::SteadyClock::instance());
  producer.start();
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::atomic<bool> done{false};
  std::string first_error;
  std::mutex mu;
  const auto until = std::chrono::steady_clock::now() + 1500ms;
  Message m;
  m.topic = topic;
  m.body = "chained";
  std::function<void()> next = [&] {
    producer.send_async(m, [&](common::Result<SendResult> r) {
      if (r.ok()) {
        ++ok;
      } else {
        ++failed;
        std::lock_guard lock(mu);
        if (first_error.empty()) first_error = r.status().to_string();
      }
      if (std::chrono::steady_clock::now() < until) return next();
      done = true;
    });
  };
  const auto t0 = std::chrono::steady_clock::now();
  next();
  ASSERT_TRUE(testutil::eventually([&] { return done.load(); }, 30s));
  EXPECT_EQ(failed.load(), 0) << first_error;
  EXPECT_GT(ok.load(), 20);
  // A blocked I/O thread would stall for a whole request timeout (3 s) per refresh.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  producer.shutdown();
}

TEST_F(ClientFeaturesTest, BenchConsumeReadsEveryMessageOnce) {
  const std::string topic = "CfBenchConsume";
  ASSERT_TRUE(cluster_->create_topic(topic, 4).is_ok());
  Producer producer(producer_options(), common::SteadyClock::instance());
  producer.start();
  for (int b = 0; b < 30; ++b) {
    std::vector<Message> batch(10);
    for (auto& m : batch) {
      m.topic = topic;
      m.body = std::string(100, 'c');
    }
    ASSERT_TRUE(producer.send_batch(batch).ok());
  }
  {
    PullConsumer c(consumer_options("cf_probe"), common::SteadyClock::instance());
    c.start();
    ASSERT_TRUE(testutil::eventually([&] { return total_max_offset(c, topic) >= 300; }, 10s));
    c.shutdown();
  }
  auto run = cli({"bench", "--mode=consume", "--topic=" + topic, "--duration=2", "--warmup=0",
                  "--from=first"});
  ASSERT_EQ(run.code, 0) << run.output;
  ASSERT_EQ(run.summary.rfind("bench: mode=consume", 0), 0u) << run.output;
  EXPECT_EQ(field(run.summary, "topic"), topic) << run.summary;
  EXPECT_EQ(field(run.summary, "msgs"), "300") << run.output;
  EXPECT_EQ(field(run.summary, "size"), "100") << run.summary;
  EXPECT_EQ(field(run.summary, "queues"), "4") << run.summary;
  EXPECT_EQ(field(run.summary, "errors"), "0") << run.summary;
  EXPECT_GT(std::stod(field(run.summary, "msgs/s")), 0.0) << run.summary;
  EXPECT_FALSE(field(run.summary, "p999_us").empty()) << run.summary;
  EXPECT_NE(run.output.find("[  1s] msgs/s="), std::string::npos) << run.output;

  // From the end, while this test produces: only the new messages, with end-to-end latency
  // (store to receive) instead of the backlog's age. The sends start once the bench measures.
  std::string log;
  const pid_t pid = start_cli(
      {"bench", "--mode=consume", "--topic=" + topic, "--duration=4", "--warmup=0", "--from=last"},
      &log);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(testutil::eventually(
      [&] { return testutil::read_file(log).find("[  1s] msgs/s=") != std::string::npos; }, 20s))
      << testutil::read_file(log);
  for (int i = 0; i < 50; ++i) {
    Message m;
    m.topic = topic;
    m.body = std::string(100, 'n');
    ASSERT_TRUE(producer.send(m).ok());
  }
  run = finish_cli(pid, log);
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(field(run.summary, "msgs"), "50") << run.output;
  EXPECT_LT(std::stoll(field(run.summary, "p99_us")), 2'000'000) << run.output;
  producer.shutdown();

  // Nothing to read: exit 1; bad usage: exit 2.
  run = cli(
      {"bench", "--mode=consume", "--topic=" + topic, "--duration=1", "--warmup=0", "--from=last"});
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_EQ(field(run.summary, "msgs"), "0") << run.summary;
  EXPECT_EQ(cli({"bench", "--mode=sideways", "--topic=" + topic}).code, 2);
  EXPECT_EQ(cli({"bench", "--mode=consume", "--fresh", "--topic=" + topic}).code, 2);
}

TEST_F(ClientFeaturesTest, BenchProduceWithBatchAndQueues) {
  auto run = cli({"bench", "--topic=CfBenchBatch", "--fresh", "--queues=3", "--batch=4",
                  "--duration=1", "--warmup=0", "--inflight=4", "--size=64"});
  ASSERT_EQ(run.code, 0) << run.output;
  ASSERT_EQ(run.summary.rfind("bench: mode=produce", 0), 0u) << run.output;
  EXPECT_EQ(field(run.summary, "batch"), "4") << run.summary;
  EXPECT_EQ(field(run.summary, "errors"), "0") << run.summary;
  EXPECT_GT(std::stod(field(run.summary, "msgs/s")), 0.0) << run.summary;
  const std::string topic = field(run.summary, "topic");
  ASSERT_EQ(topic.rfind("CfBenchBatch-", 0), 0u) << run.summary;

  PullConsumer c(consumer_options("cf_probe"), common::SteadyClock::instance());
  c.start();
  auto qs = c.fetch_queues(topic);
  ASSERT_TRUE(qs.ok()) << qs.status().to_string();
  EXPECT_EQ(qs->size(), 3u);
  // Every request carried 4 messages into one queue.
  int64_t total = 0;
  for (const auto& q : *qs) {
    const int64_t n = c.max_offset(q).value_or(-1);
    EXPECT_EQ(n % 4, 0) << "queue " << q.queue_id << " has " << n;
    total += n;
  }
  EXPECT_GT(total, 0);
  c.shutdown();

  // --queues on an existing topic changes its queue count.
  run = cli({"bench", "--topic=" + topic, "--queues=5", "--duration=1", "--warmup=0",
             "--inflight=2", "--size=16"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(field(run.summary, "batch"), "") << run.summary;  // the default line is unchanged
  PullConsumer c2(consumer_options("cf_probe"), common::SteadyClock::instance());
  c2.start();
  EXPECT_EQ(c2.fetch_queues(topic).value_or(std::vector<QueueRef>{}).size(), 5u);
  c2.shutdown();
}

// Two broker groups behind one NameServer: broker-b's broker also registers with broker-a's
// NameServer. After broker-b is killed, a producer with fault avoidance has one failed attempt
// and then sends only to broker-a. The NameServer drops broker-b as soon as its registration
// connection closes (well before the 120 s expiry), so a producer without fault avoidance stops
// hitting it after its first failed send refreshed the route.
TEST(ClientFaultAvoidanceTest, SkipsABrokerGroupThatFailed) {
  testutil::TempDir dir;
  common::Status st;
  auto a = start_cluster(dir.path() / "a", "broker-a", &st);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  auto b = start_cluster(dir.path() / "b", "broker-b", &st);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  ASSERT_TRUE(b->stop(0).is_ok());
  {
    std::ofstream conf(b->conf_path(0), std::ios::app);
    conf << "namesrvAddr=" << b->namesrv_addr() << ";" << a->namesrv_addr() << "\n";
  }
  ASSERT_TRUE(b->restart(0).is_ok()) << b->read_log(0);
  ASSERT_TRUE(b->wait_leader(30s).has_value()) << b->read_log(0);
  const std::string topic = "CfTwoGroups";
  ASSERT_TRUE(a->create_topic(topic, 2).is_ok());
  ASSERT_TRUE(b->create_topic(topic, 2).is_ok());
  // How many groups broker-a's NameServer routes the topic to (-1: no route).
  const auto routed_groups = [&] {
    auto r = a->route(topic);
    const common::Json* qd = r.ok() ? r->find("queueDatas") : nullptr;
    return qd != nullptr && qd->is_array() ? static_cast<int>(qd->size()) : -1;
  };
  const auto route_text = [&] { return a->route(topic).ok() ? a->route(topic)->dump() : "none"; };
  ASSERT_TRUE(testutil::eventually([&] { return routed_groups() == 2; }, 30s)) << route_text();

  ProducerOptions po;
  po.namesrv = a->namesrv_addr();
  po.timeout = 2s;
  po.send_latency_fault_enable = true;
  ProducerOptions plain = po;
  plain.send_latency_fault_enable = false;
  Producer with(po, common::SteadyClock::instance());
  Producer without(plain, common::SteadyClock::instance());
  with.start();
  without.start();
  Message m;
  m.topic = topic;
  m.body = "two groups";
  std::set<std::string> used;
  for (int i = 0; i < 8; ++i) {
    auto r = with.send(m);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    used.insert(r->broker_name);
    ASSERT_TRUE(without.send(m).ok());
  }
  EXPECT_EQ(used, (std::set<std::string>{"broker-a", "broker-b"}));

  b->kill9(0);
  int retried = 0;
  std::map<std::string, int> by_broker;
  for (int i = 0; i < 40; ++i) {
    auto r = with.send(m);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    if (r->attempts > 1) ++retried;
    ++by_broker[r->broker_name];
  }
  EXPECT_LE(retried, 1);
  EXPECT_EQ(by_broker["broker-a"], 40);
  EXPECT_FALSE(with.fault_tolerance().available("broker-b"));
  EXPECT_TRUE(with.fault_tolerance().available("broker-a"));

  // The NameServer noticed the death through the closed connection.
  EXPECT_TRUE(testutil::eventually([&] { return routed_groups() == 1; }, 5s)) << route_text();
  int plain_retried = 0;
  for (int i = 0; i < 40; ++i) {
    auto r = without.send(m);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->broker_name, "broker-a");  // a failed attempt on broker-b is retried on broker-a
    if (r->attempts > 1) ++plain_retried;
  }
  EXPECT_LE(plain_retried, 2) << "the refreshed route no longer lists broker-b";
  with.shutdown();
  without.shutdown();
  (void)b->stop_all();
  (void)a->stop_all();
}

// Routes when a broker or the NameServer stops answering: a three-node group and its NameServer.
class ClientRouteTest : public testutil::ClusterFixture<ClientRouteTest> {
 protected:
  void TearDown() override {
    // Never leave a stopped process behind for the fixture's shutdown.
    if (cluster_ == nullptr) return;
    for (int i = 0; i < cluster_->size(); ++i) {
      if (cluster_->running(i)) ::kill(cluster_->pid(i), SIGCONT);
    }
    ::kill(cluster_->namesrv_pid(), SIGCONT);
    ClusterFixture::TearDown();
  }
};

// A producer without retries whose send to a paused leader timed out asks the NameServer again
// for the next send, so it finds the new leader within seconds instead of after the 30 s route
// refresh (jepsen's pause-leader: the first acknowledgement came 3.2 or 6.3 s after the pause).
TEST_F(ClientRouteTest, AFailedSendWithoutRetriesSendsTheNextToTheNewLeader) {
  const std::string topic = "RouteAfterPause";
  ASSERT_TRUE(cluster_->create_topic(topic, 4).is_ok());
  ProducerOptions po;
  po.namesrv = cluster_->namesrv_addr();
  po.retries = 0;
  po.timeout = 1s;
  Producer producer(po, common::SteadyClock::instance());
  producer.start();
  Message m;
  m.topic = topic;
  m.body = "before the pause";
  auto first = producer.send(m);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  const std::string paused_addr = first->broker_addr;
  int paused = -1;
  for (int i = 0; i < cluster_->size(); ++i) {
    if (cluster_->broker_addr(i) == paused_addr) paused = i;
  }
  ASSERT_GE(paused, 0) << paused_addr;
  ASSERT_TRUE(testutil::pause_process(cluster_->pid(paused)));

  m.body = "during the pause";
  EXPECT_FALSE(producer.send(m).ok());  // to the paused leader: times out
  std::optional<SendResult> sent;
  const auto deadline = std::chrono::steady_clock::now() + 15s;  // well under the 30 s refresh
  while (!sent && std::chrono::steady_clock::now() < deadline) {
    auto r = producer.send(m);
    if (r.ok()) sent = *r;
  }
  ::kill(cluster_->pid(paused), SIGCONT);
  ASSERT_TRUE(sent.has_value()) << "no send reached the new leader within 15 s";
  EXPECT_NE(sent->broker_addr, paused_addr);
  producer.shutdown();
}

// With every NameServer silent, a route whose age ran out is still used (RocketMQ keeps its
// route table): the brokers may be fine. The NameServer is asked again a second later.
TEST_F(ClientRouteTest, ARouteIsKeptWhenNoNameServerAnswers) {
  const std::string topic = "RouteWithoutNamesrv";
  ASSERT_TRUE(cluster_->create_topic(topic, 4).is_ok());
  remoting::Client client(remoting::ClientOptions{}, common::SteadyClock::instance());
  client.start();
  common::ManualClock clock;  // route ages; the remoting client keeps real time
  RouteCache routes(client, cluster_->namesrv_addr(), clock, /*max_age=*/50ms);
  auto fresh = routes.get(topic);
  ASSERT_TRUE(fresh.ok()) << fresh.status().to_string();
  ASSERT_FALSE(fresh.value()->brokers.empty());

  ASSERT_TRUE(testutil::pause_process(cluster_->namesrv_pid()));
  clock.advance(100ms);           // the route is now older than max_age
  auto kept = routes.get(topic);  // the NameServer times out, the route stays
  ASSERT_TRUE(kept.ok()) << kept.status().to_string();
  EXPECT_EQ(kept.value()->brokers.size(), fresh.value()->brokers.size());
  EXPECT_FALSE(routes.get("NeverCreated").ok());  // no route to keep: the error
  ::kill(cluster_->namesrv_pid(), SIGCONT);
  client.stop();
}

}  // namespace
}  // namespace rmq::client
