// The broker end to end with our own remoting client against real processes on loopback: a
// raftmq-namesrv and a three-node DLedger group (tests/testutil/cluster.h). Produces and consumes
// with keys and tags, tag filtering, query by key and by msgId, long-polling wake-up, delay
// level 1, send-back to %RETRY% then %DLQ%, failover under a producer with retries (no
// acknowledged message lost, committed offsets and a new topic survive), and bad input.
#include "common/json.h"
#include "remoting/client.h"
#include "remoting/request_code.h"
#include "store/message.h"
#include "tests/testutil/cluster.h"
#include "tests/testutil/cluster_fixture.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"
#include "tests/testutil/wire.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <map>
#include <netinet/in.h>
#include <set>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace rmq {
namespace {

using namespace std::chrono_literals;
using remoting::RemotingCommand;
using remoting::RequestCode;
using testutil::PullResult;
using testutil::SendResult;

// QUERY_MESSAGE (12) by key over all time.
RemotingCommand query_by_key(const std::string& topic, const std::string& key) {
  auto req = RemotingCommand::request(RequestCode::kQueryMessage);
  req.ext_fields.set("topic", topic);
  req.ext_fields.set("key", key);
  req.ext_fields.set("maxNum", 32);
  req.ext_fields.set("beginTimestamp", 0);
  req.ext_fields.set("endTimestamp", INT64_MAX);
  return req;
}

class BrokerTest : public testutil::ClusterFixture<BrokerTest> {
 protected:
  remoting::Client& client() { return cluster_->client(); }

  SendResult send(const std::string& addr, const std::string& topic, const std::string& body,
                  const std::string& tags = "", const std::string& keys = "", int queue = 0,
                  const std::string& extra_props = "") {
    testutil::SendSpec m;
    m.topic = topic;
    m.body = body;
    m.tags = tags;
    m.keys = keys;
    m.queue = queue;
    m.properties = extra_props;
    m.max_reconsume_times = 16;
    return testutil::send_message(client(), addr, m);
  }

  // Every pull answer carries the offsets and the suggested broker, and its messages decode.
  static void check_pull_answer(const PullResult& r) {
    if (r.code == -1) return;  // no answer
    for (const char* field : {"nextBeginOffset", "minOffset", "maxOffset", "suggestWhichBrokerId"})
      EXPECT_TRUE(r.ext.contains(field)) << field;
    EXPECT_TRUE(r.decode_error.empty()) << r.decode_error;
  }

  PullResult pull(const std::string& addr, const std::string& group, const std::string& topic,
                  int queue, int64_t offset, const std::string& sub = "*", int64_t suspend_ms = 0) {
    testutil::PullSpec p{group, topic, queue, offset, sub};
    p.sys_flag = suspend_ms > 0 ? 2 | 4 : 4;
    p.suspend_ms = suspend_ms;
    PullResult r = testutil::pull_message(client(), addr, p);
    check_pull_answer(r);
    return r;
  }

  // Everything in (topic, queue) from `from` on, by pulling until caught up.
  PullResult drain(const std::string& addr, const std::string& group, const std::string& topic,
                   int queue, int64_t from = 0, const std::string& sub = "*") {
    return testutil::drain_queue(client(), addr, {group, topic, queue, from, sub}, 30s,
                                 check_pull_answer);
  }
};

TEST_F(BrokerTest, ProduceConsumeFilterQueryAndLongPolling) {
  ASSERT_TRUE(cluster_->create_topic("T1", 4).is_ok());
  const std::string addr = leader_addr();
  std::set<std::string> acked;
  std::map<std::string, std::string> id_of;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "k-" + std::to_string(i);
    SendResult s =
        send(addr, "T1", "body-" + std::to_string(i), i % 2 == 0 ? "TagA" : "TagB", key, i % 4);
    ASSERT_EQ(s.code, 0) << s.remark;
    EXPECT_EQ(s.ext["durability"], "majority-memory");
    EXPECT_FALSE(s.ext["raftTerm"].empty());
    EXPECT_FALSE(s.ext["raftIndex"].empty());
    acked.insert(key);
    id_of[key] = s.msg_id;
  }
  // A fresh group gets every message once, from every node (followers serve committed data).
  for (int node = 0; node < 3; ++node) {
    std::multiset<std::string> got;
    // Dispatch follows the commit asynchronously (and a follower learns the commit a beat later).
    EXPECT_TRUE(testutil::eventually(
        [&] {
          got.clear();
          for (int q = 0; q < 4; ++q) {
            for (const auto& m : drain(cluster_->broker_addr(node), "G-fresh", "T1", q).msgs)
              got.insert(m.keys);
          }
          return got.size() >= 1000;
        },
        10s));
    EXPECT_EQ(got.size(), 1000u) << "node " << node;
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), acked) << "node " << node;
  }
  // Tag filter: only TagA comes back.
  size_t tag_a = 0;
  for (int q = 0; q < 4; ++q) {
    PullResult p = drain(addr, "G-tag", "T1", q, 0, "TagA");
    for (const auto& m : p.msgs) EXPECT_EQ(m.tags, "TagA");
    tag_a += p.msgs.size();
  }
  EXPECT_EQ(tag_a, 500u);

  // Query by key (12) and by msgId (33).
  {
    auto r = client().invoke_sync(addr, query_by_key("T1", "k-77"), 5s);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->code, 0) << r->remark.value_or("");
    auto m = store::decode_message(common::ByteView(r->body.data(), r->body.size()), true);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(store::find_property(m->properties, "KEYS").value_or(""), "k-77");
    auto r2 = client().invoke_sync(addr, query_by_key("T1", "no-such-key"), 5s);
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2->code, 22);
  }
  {
    auto parsed = store::parse_msg_id(id_of["k-500"]);
    ASSERT_TRUE(parsed.has_value());
    auto req = RemotingCommand::request(RequestCode::kViewMessageById);
    req.ext_fields.set("offset", parsed->second);
    // Any node answers: the bytes at an offset are the same on every replica.
    auto r = client().invoke_sync(cluster_->broker_addr((leader_ + 1) % 3), std::move(req), 5s);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->code, 0);
    auto m = store::decode_message(common::ByteView(r->body.data(), r->body.size()), true);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(store::find_property(m->properties, "KEYS").value_or(""), "k-500");
  }

  // Long polling: a pull at the end of the queue is held and answered when a message arrives.
  const int64_t end = drain(addr, "G-lp", "T1", 2).next;
  std::atomic<int64_t> answered_at{0};
  PullResult held;
  std::thread t([&] {
    held = pull(addr, "G-lp", "T1", 2, end, "*", 15000);
    answered_at = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
  });
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(answered_at.load(), 0) << "the pull was not held";
  const auto sent_at = std::chrono::steady_clock::now();
  ASSERT_EQ(send(addr, "T1", "wake", "TagA", "k-wake", 2).code, 0);
  t.join();
  const double wake_ms = static_cast<double>(answered_at.load() -
                                             std::chrono::duration_cast<std::chrono::microseconds>(
                                                 sent_at.time_since_epoch())
                                                 .count()) /
                         1000.0;
  std::printf("long-poll wake-up %.2f ms after the send was issued\n", wake_ms);
  EXPECT_EQ(held.code, 0);
  ASSERT_EQ(held.msgs.size(), 1u);
  EXPECT_EQ(held.msgs[0].keys, "k-wake");
  EXPECT_LT(wake_ms, 1000.0);  // far below the 15 s hold; the figure is reported above
}

TEST_F(BrokerTest, DelayLevelRetryAndDlq) {
  ASSERT_TRUE(cluster_->create_topic("TD", 1).is_ok());
  const std::string addr = leader_addr();
  std::string props;
  store::append_property(props, "DELAY", "1");
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(send(addr, "TD", "delayed", "TagD", "k-delay", 0, props).code, 0);
  PullResult p;
  ASSERT_TRUE(testutil::eventually(
      [&] {
        p = pull(addr, "G-d", "TD", 0, 0);
        return !p.msgs.empty();
      },
      10s));
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 1s);
  std::printf("delay level 1 delivered after %lld ms\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()));
  EXPECT_EQ(p.msgs[0].keys, "k-delay");
  EXPECT_FALSE(store::find_property(p.msgs[0].properties, "REAL_TOPIC").has_value());

  // Send-back with a max of 2: two retries through %RETRY%G-r, then %DLQ%G-r.
  ASSERT_EQ(send(addr, "TD", "fails", "TagF", "k-fail", 0).code, 0);
  // Dispatch follows the commit asynchronously: the message is readable shortly after its ack.
  PullResult orig;
  ASSERT_TRUE(testutil::eventually(
      [&] {
        orig = drain(addr, "G-r", "TD", 0);
        return !orig.msgs.empty() && orig.msgs.back().keys == "k-fail";
      },
      10s));
  int64_t phys = orig.msgs.back().phys;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto back = RemotingCommand::request(RequestCode::kConsumerSendMsgBack);
    back.version = 121;
    back.ext_fields.set("offset", phys);
    back.ext_fields.set("group", "G-r");
    back.ext_fields.set("delayLevel", 1);  // 1 s, to keep the test short
    back.ext_fields.set("originMsgId", "ORIG");
    back.ext_fields.set("originTopic", "TD");
    back.ext_fields.set("unitMode", "false");
    back.ext_fields.set("maxReconsumeTimes", 2);
    auto r = client().invoke_sync(addr, std::move(back), 5s);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->code, 0) << r->remark.value_or("");
    if (attempt == 2) break;
    PullResult retry;
    ASSERT_TRUE(testutil::eventually(
        [&] {
          retry = drain(addr, "G-r", "%RETRY%G-r", 0);
          return retry.msgs.size() == static_cast<size_t>(attempt + 1);
        },
        15s))
        << "attempt " << attempt;
    const testutil::PulledMessage& last = retry.msgs.back();
    EXPECT_EQ(last.keys, "k-fail");
    EXPECT_EQ(last.reconsume_times, attempt + 1);
    EXPECT_EQ(store::find_property(last.properties, "RETRY_TOPIC").value_or(""), "TD");
    EXPECT_EQ(store::find_property(last.properties, "ORIGIN_MESSAGE_ID").value_or(""), "ORIG");
    phys = last.phys;
  }
  PullResult dlq;
  ASSERT_TRUE(testutil::eventually(
      [&] {
        dlq = drain(addr, "G-dlq-reader", "%DLQ%G-r", 0);
        return !dlq.msgs.empty();
      },
      10s));
  EXPECT_EQ(dlq.msgs[0].keys, "k-fail");
}

TEST_F(BrokerTest, FailoverKeepsAckedMessagesOffsetsAndTopics) {
  ASSERT_TRUE(cluster_->create_topic("TF", 2).is_ok());
  std::string addr = leader_addr();
  std::set<std::string> acked;
  for (int i = 0; i < 200; ++i) {
    SendResult s = send(addr, "TF", "b", "", "pre-" + std::to_string(i), i % 2);
    ASSERT_EQ(s.code, 0) << s.remark;
    acked.insert("pre-" + std::to_string(i));
  }
  // A committed consumer offset and a new topic, both acknowledged before the kill.
  auto ur = client().invoke_sync(addr, testutil::update_offset_request("G-f", "TF", 0, 57), 5s);
  ASSERT_TRUE(ur.ok());
  ASSERT_EQ(ur->code, 0);
  ASSERT_TRUE(cluster_->create_topic("TF-new", 3).is_ok());

  // A producer with retries keeps sending while the leader is killed.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::thread producer([&] {
    int i = 0;
    while (!stop.load()) {
      const std::string key = "during-" + std::to_string(i++);
      for (int attempt = 0; attempt < 50 && !stop.load(); ++attempt) {
        std::string target;
        {
          auto m = cluster_->namesrv_master_addr();
          target = m.value_or(addr);
        }
        SendResult s = send(target, "TF", "b", "", key, i % 2);
        if (s.code == 0) {
          std::lock_guard lock(mu);
          acked.insert(key);
          break;
        }
        std::this_thread::sleep_for(50ms);
      }
    }
  });
  auto acked_count = [&] {
    std::lock_guard lock(mu);
    return acked.size();
  };
  // The kill lands while the producer is sending.
  ASSERT_TRUE(testutil::eventually([&] { return acked_count() >= 220; }, 10s));
  const auto killed_at = std::chrono::steady_clock::now();
  cluster_->kill9(leader_);
  auto next = cluster_->wait_leader(30s);
  ASSERT_TRUE(next.has_value());
  ASSERT_NE(*next, leader_);
  std::printf("new leader n%d serving %lld ms after kill -9\n", *next + 1,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - killed_at)
                                         .count()));
  // The retrying producer goes on through the new leader.
  const size_t at_new_leader = acked_count();
  EXPECT_TRUE(testutil::eventually([&] { return acked_count() >= at_new_leader + 20; }, 15s));
  stop.store(true);
  producer.join();
  const std::string new_addr = cluster_->broker_addr(*next);

  std::set<std::string> got;
  std::lock_guard lock(mu);
  EXPECT_TRUE(testutil::eventually(
      [&] {
        got.clear();
        for (int q = 0; q < 2; ++q) {
          for (const auto& m : drain(new_addr, "G-after", "TF", q).msgs) got.insert(m.keys);
        }
        return std::includes(got.begin(), got.end(), acked.begin(), acked.end());
      },
      10s));
  for (const auto& k : acked) EXPECT_TRUE(got.contains(k)) << "acknowledged " << k << " lost";

  auto qr = client().invoke_sync(new_addr, testutil::query_offset_request("G-f", "TF", 0), 5s);
  ASSERT_TRUE(qr.ok());
  EXPECT_EQ(qr->code, 0);
  EXPECT_EQ(qr->ext("offset") ? *qr->ext("offset") : "", "57");
  auto route = cluster_->route("TF-new");
  ASSERT_TRUE(route.ok()) << route.status().to_string();
  EXPECT_EQ(send(new_addr, "TF-new", "x", "", "after", 2).code, 0);
}

TEST_F(BrokerTest, MetadataSurvivesRestartOfTheWholeGroup) {
  ASSERT_TRUE(cluster_->create_topic("TR", 2).is_ok());
  const std::string addr = leader_addr();
  ASSERT_EQ(send(addr, "TR", "x", "", "k-r", 1).code, 0);
  auto ur = client().invoke_sync(addr, testutil::update_offset_request("G-r", "TR", 1, 1), 5s);
  ASSERT_TRUE(ur.ok());
  ASSERT_EQ(ur->code, 0);
  // kill -9 every node: RocksDB is not synced in DLedger mode; the log replays what it lacks.
  for (int i = 0; i < 3; ++i) cluster_->kill9(i);
  for (int i = 0; i < 3; ++i) {
    auto st = cluster_->restart(i);
    ASSERT_TRUE(st.is_ok()) << st.to_string() << "\n" << cluster_->read_log(i);
  }
  auto l = cluster_->wait_leader(30s);
  ASSERT_TRUE(l.has_value());
  for (int node = 0; node < 3; ++node) {
    const auto q = testutil::query_offset_request("G-r", "TR", 1);
    std::string got;
    EXPECT_TRUE(testutil::eventually(
        [&] {
          auto r = client().invoke_sync(cluster_->broker_addr(node), q, 5s);
          got = r.ok() && r->ext("offset") ? *r->ext("offset") : "";
          return got == "1";
        },
        10s))
        << "node " << node << " offset '" << got << "'";
    // Dispatch on a follower follows the commit index it learns from the new leader.
    EXPECT_TRUE(testutil::eventually(
        [&] { return drain(cluster_->broker_addr(node), "G-any", "TR", 1).msgs.size() == 1; }, 10s))
        << "node " << node;
  }
  EXPECT_EQ(send(cluster_->broker_addr(*l), "TR", "y", "", "k-r2", 0).code, 0);
}

TEST_F(BrokerTest, RaftStatusAndLeadershipTransfer) {
  auto req = RemotingCommand::request(remoting::kRaftmqCodeBase + 10);  // RAFT_STATUS
  auto r = client().invoke_sync(leader_addr(), std::move(req), 5s);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->code, 0);
  auto j = common::Json::parse(
      std::string_view(reinterpret_cast<const char*>(r->body.data()), r->body.size()));
  ASSERT_TRUE(j.ok()) << j.status().to_string();
  EXPECT_EQ(j->get_string("role"), "leader");
  EXPECT_EQ(j->find("peers")->size(), 3u);
  EXPECT_FALSE(j->find("timeline")->items().empty());

  const int target = (leader_ + 1) % 3;
  auto t = RemotingCommand::request(remoting::kRaftmqCodeBase + 11);  // TRANSFER_LEADER
  t.ext_fields.set("target", "n" + std::to_string(target + 1));
  auto tr = client().invoke_sync(leader_addr(), std::move(t), 10s);
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->code, 0) << tr->remark.value_or("");
  EXPECT_TRUE(testutil::eventually([&] { return cluster_->wait_leader(1s) == target; }, 15s));
}

TEST_F(BrokerTest, BadInputGetsDocumentedErrors) {
  ASSERT_TRUE(cluster_->create_topic("TB", 1).is_ok());
  const std::string addr = leader_addr();
  SendResult ok = send(addr, "TB", "kept", "", "k-kept", 0);
  ASSERT_EQ(ok.code, 0);

  // Unknown topic whose default topic does not allow auto-creation.
  {
    auto req = RemotingCommand::request(RequestCode::kSendMessageV2);
    for (auto [k, v] : std::map<std::string, std::string>{{"a", "PG"},
                                                          {"b", "NoSuchTopic"},
                                                          {"c", "NoDefault"},
                                                          {"d", "4"},
                                                          {"e", "0"},
                                                          {"f", "0"},
                                                          {"g", "1"},
                                                          {"h", "0"},
                                                          {"i", ""}}) {
      req.ext_fields.set(k, v);
    }
    req.body = common::Buffer(std::string_view("x"));
    auto r = client().invoke_sync(addr, std::move(req), 5s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, 17);
    EXPECT_NE(r->remark.value_or("").find("not exist"), std::string::npos);
  }
  SendResult long_name = send(addr, std::string(200, 'a'), "x");
  EXPECT_EQ(long_name.code, 13);
  EXPECT_NE(long_name.remark.find("127"), std::string::npos) << long_name.remark;
  SendResult bad_chars = send(addr, "bad topic!", "x");
  EXPECT_EQ(bad_chars.code, 13);
  EXPECT_NE(bad_chars.remark.find("illegal"), std::string::npos) << bad_chars.remark;
  SendResult big = send(addr, "TB", std::string(4 * 1024 * 1024 + 1, 'x'));
  EXPECT_EQ(big.code, 13);
  EXPECT_NE(big.remark.find("body size"), std::string::npos) << big.remark;
  std::string huge_props;
  store::append_property(huge_props, "BIG", std::string(33 * 1024, 'p'));
  SendResult props = send(addr, "TB", "x", "", "", 0, huge_props);
  EXPECT_EQ(props.code, 13);
  EXPECT_NE(props.remark.find("properties"), std::string::npos) << props.remark;
  SendResult follower = send(cluster_->broker_addr((leader_ + 1) % 3), "TB", "x");
  EXPECT_EQ(follower.code, 14);
  EXPECT_NE(follower.remark.find("leader is n" + std::to_string(leader_ + 1)), std::string::npos)
      << follower.remark;
  PullResult illegal = pull(addr, "G-b", "TB", 0, 1000);
  EXPECT_EQ(illegal.code, 21);
  // A follower may just not have an offset yet: it never moves the consumer's offset back (found
  // by jepsen: a restarted node answered PULL_OFFSET_MOVED with nextBeginOffset 0).
  PullResult ahead = pull(cluster_->broker_addr((leader_ + 1) % 3), "G-b", "TB", 0, 1000);
  EXPECT_EQ(ahead.code, 19) << ahead.remark;
  EXPECT_EQ(ahead.next, 1000);
  PullResult bad_queue = pull(addr, "G-b", "TB", 7, 0);
  EXPECT_EQ(bad_queue.code, 1);
  auto unknown = RemotingCommand::request(9999);
  auto ur = client().invoke_sync(addr, std::move(unknown), 5s);
  ASSERT_TRUE(ur.ok());
  EXPECT_EQ(ur->code, 3);

  // Nothing acknowledged was affected.
  PullResult all = drain(addr, "G-b", "TB", 0);
  ASSERT_EQ(all.msgs.size(), 1u);
  EXPECT_EQ(all.msgs[0].keys, "k-kept");
}

}  // namespace
}  // namespace rmq

namespace rmq {
namespace {

// A broker whose Raft port is taken exits 3 with one line naming the port, instead of serving
// clients without a Raft node; a bad config exits 2.
TEST(BrokerProcess, PortInUseAndBadConfigExitWithReasons) {
  testutil::TempDir dir;
  const auto ports = testutil::free_ports(3);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(ports[1]);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  const std::string peers = "n1-127.0.0.1:" + std::to_string(ports[1]) +
                            ";n2-127.0.0.1:" + std::to_string(ports[2]) + ";n3-127.0.0.1:1";
  const std::string log = (dir.path() / "b.log").string();
  pid_t pid = testutil::spawn({RMQ_BROKER_BIN, "--listenPort=" + std::to_string(ports[0]),
                               "--storePathRootDir=" + (dir.path() / "s").string(),
                               "--dLegerSelfId=n1", "--dLegerPeers=" + peers, "--log_level=off"},
                              log);
  auto st = testutil::wait_exit(pid, std::chrono::seconds(20));
  ::close(fd);
  ASSERT_TRUE(st.has_value());
  ASSERT_TRUE(WIFEXITED(*st));
  EXPECT_EQ(WEXITSTATUS(*st), 3);
  const std::string text = testutil::read_file(log);
  EXPECT_NE(text.find("Address already in use"), std::string::npos) << text;

  pid = testutil::spawn({RMQ_BROKER_BIN, "--dLegerSelfId=n9", "--dLegerPeers=" + peers,
                         "--storePathRootDir=" + (dir.path() / "s2").string()},
                        log);
  st = testutil::wait_exit(pid, std::chrono::seconds(20));
  ASSERT_TRUE(st.has_value());
  ASSERT_TRUE(WIFEXITED(*st));
  EXPECT_EQ(WEXITSTATUS(*st), 2);
}

}  // namespace
}  // namespace rmq
