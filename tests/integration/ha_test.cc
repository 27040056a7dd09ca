// Classic master/slave HA end to end (broker/ha/): a raftmq-namesrv, a master and a slave as real
// processes on loopback (tests/testutil/cluster.h, classic_master_role). SYNC_MASTER + SYNC_FLUSH:
// every acknowledged message is readable from the slave after kill -9 of the master, the
// restarted master resumes and the slave catches up; with the slave down a SYNC_MASTER answers
// SLAVE_NOT_AVAILABLE (11) and with a paused slave FLUSH_SLAVE_TIMEOUT (12), storing the message
// either way; the slave copies topics and offsets; ASYNC_MASTER acknowledges at once and reports
// the lag it may lose (haStatus, also through the CLI); a slave that holds bytes the master lost
// (unclean master restart, then new writes at the same offsets) is truncated to the master's log.
#include "common/json.h"
#include "remoting/client.h"
#include "remoting/request_code.h"
#include "tests/testutil/cluster.h"
#include "tests/testutil/cluster_fixture.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"
#include "tests/testutil/wire.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace rmq {
namespace {

using namespace std::chrono_literals;
using common::Json;
using remoting::RemotingCommand;
using remoting::RequestCode;
using testutil::SendResult;

constexpr int kQueues = 4;

class HaTest : public ::testing::Test {
 protected:
  void start(const std::string& role, const std::string& flush, int brokers = 2) {
    testutil::LocalClusterOptions o = testutil::built_cluster_options();
    o.base_dir = dir_.path();
    o.brokers = brokers;
    o.classic_master_role = role;
    o.extra_broker_config = {"flushDiskType=" + flush, "mappedFileSizeCommitLog=1048576",
                             "syncFlushTimeout=3000"};
    common::Status st;
    cluster_ = testutil::start_cluster(o, &st);
    ASSERT_TRUE(st.is_ok()) << st.to_string();
    ASSERT_TRUE(cluster_->create_topic("HaT", kQueues).is_ok());
    ASSERT_TRUE(wait_streaming(brokers - 1)) << master_status().dump();
  }
  void TearDown() override {
    if (cluster_) {
      for (int i = 0; i < cluster_->size(); ++i) {
        if (cluster_->pid(i) > 0) ::kill(cluster_->pid(i), SIGCONT);
      }
      (void)cluster_->stop_all();
    }
  }

  remoting::Client& client() { return cluster_->client(); }
  std::string master() { return cluster_->broker_addr(0); }
  std::string slave(int i = 1) { return cluster_->broker_addr(i); }

  SendResult send(const std::string& addr, const std::string& body, int queue) {
    testutil::SendSpec m;
    m.topic = "HaT";
    m.body = body;
    m.queue = queue;
    m.default_topic_queues = kQueues;
    return testutil::send_message(client(), addr, m, 10s);
  }

  // Every body of (HaT, queue) at `addr` by queue offset; the last pull's code.
  std::map<int64_t, std::string> drain(const std::string& addr, int queue,
                                       int32_t* code = nullptr) {
    testutil::PullSpec p{"HaG", "HaT", queue};
    p.sys_flag = 0;
    const testutil::PullResult all = testutil::drain_queue(client(), addr, p, 10s);
    if (code != nullptr) *code = all.code;
    std::map<int64_t, std::string> out;
    for (const auto& m : all.msgs) out[m.queue_offset] = m.body;
    if (!all.decode_error.empty())
      ADD_FAILURE() << "undecodable pull body from " << addr << ": " << all.decode_error;
    return out;
  }

  // drain() that waits for the slave to know the topic (its metadata sync) first.
  std::map<int64_t, std::string> drain_when_known(const std::string& addr, int queue) {
    int32_t code = -1;
    std::map<int64_t, std::string> out;
    testutil::eventually(
        [&] {
          out = drain(addr, queue, &code);
          return code != 17;  // TOPIC_NOT_EXIST until the slave copied the topic
        },
        30s);
    return out;
  }

  Json master_status() { return cluster_->ha_status(0); }
  bool wait_streaming(int n, std::chrono::milliseconds limit = 30s) {
    return testutil::eventually(
        [&] { return testutil::streaming_slaves(master_status()) == size_t(n); }, limit);
  }
  bool caught_up(int s, std::chrono::milliseconds limit = 30s) {
    return testutil::eventually([&] { return cluster_->slave_caught_up(s); }, limit);
  }

  testutil::TempDir dir_;
  std::unique_ptr<testutil::LocalCluster> cluster_;
};

TEST_F(HaTest, SyncMasterKill9LosesNoAcknowledgedMessageAndSlaveCatchesUpAfterRestart) {
  start("SYNC_MASTER", "SYNC_FLUSH");
  // The route names the slave as brokerId 1; the slave refuses sends.
  auto route = cluster_->route("HaT");
  ASSERT_TRUE(route.ok());
  EXPECT_NE(route->dump().find(slave()), std::string::npos) << route->dump();
  const SendResult refused = send(slave(), "to-slave", 0);
  EXPECT_EQ(refused.code, 14) << refused.remark;
  EXPECT_NE(refused.remark.find("slave"), std::string::npos) << refused.remark;

  std::map<std::pair<int, int64_t>, std::string> acked;
  for (int i = 0; i < 300; ++i) {
    const std::string body = "m-" + std::to_string(i);
    const SendResult s = send(master(), body, i % kQueues);
    ASSERT_EQ(s.code, 0) << i << ": " << s.remark << "\n" << cluster_->read_log(0, 4096);
    EXPECT_EQ(s.ext_value("durability"), "slave-fsync");
    acked[{s.queue, s.queue_offset}] = body;
  }
  cluster_->kill9(0);
  // Every acknowledged message is on the slave, at its queue offset.
  std::map<std::pair<int, int64_t>, std::string> on_slave;
  for (int q = 0; q < kQueues; ++q) {
    for (const auto& [off, body] : drain_when_known(slave(), q)) on_slave[{q, off}] = body;
  }
  for (const auto& [key, body] : acked) {
    auto it = on_slave.find(key);
    ASSERT_NE(it, on_slave.end()) << "acknowledged " << body << " is missing on the slave";
    EXPECT_EQ(it->second, body);
  }
  const Json slave_view = cluster_->ha_status(1);
  EXPECT_EQ(slave_view.get_string("role"), "SLAVE") << slave_view.dump();

  // The master comes back (abnormal recovery), the slave reconnects and follows new sends.
  ASSERT_TRUE(cluster_->restart(0).is_ok()) << cluster_->read_log(0);
  ASSERT_TRUE(wait_streaming(1)) << master_status().dump() << cluster_->read_log(1, 4096);
  for (int i = 300; i < 400; ++i) {
    const SendResult s = send(master(), "m-" + std::to_string(i), i % kQueues);
    ASSERT_EQ(s.code, 0) << i << ": " << s.remark;
    acked[{s.queue, s.queue_offset}] = "m-" + std::to_string(i);
  }
  ASSERT_TRUE(caught_up(1)) << master_status().dump();
  for (int q = 0; q < kQueues; ++q) {
    const auto m = drain(master(), q);
    EXPECT_EQ(drain(slave(), q), m) << "queue " << q;
    EXPECT_EQ(m.size(), 100u);
  }
  const Json st = master_status();
  ASSERT_EQ(testutil::streaming_slaves(st), 1u) << st.dump();
  EXPECT_EQ(st.find("slaves")->items()[0].get_int("lagBytes"), 0) << st.dump();
  EXPECT_EQ(st.find("slaves")->items()[0].get_int("brokerId"), 1) << st.dump();
}

TEST_F(HaTest, SyncMasterWithoutSlaveAnswersSlaveNotAvailableButStores) {
  start("SYNC_MASTER", "ASYNC_FLUSH");
  ASSERT_EQ(send(master(), "before", 0).code, 0);
  // Metadata reaches the slave (its periodic sync): the topic and a committed offset.
  auto committed =
      client().invoke_sync(master(), testutil::update_offset_request("HaG", "HaT", 0, 1), 5s);
  ASSERT_TRUE(committed.ok() && committed->code == 0);
  std::string last;
  EXPECT_TRUE(testutil::eventually(
      [&] {
        auto r = client().invoke_sync(slave(), testutil::query_offset_request("HaG", "HaT", 0), 5s);
        auto topics = client().invoke_sync(
            slave(), RemotingCommand::request(RequestCode::kGetAllTopicConfig), 5s);
        last = (r.ok() ? std::to_string(r->code) + " " + (r->ext("offset") ? *r->ext("offset") : "")
                       : "-") +
               " " + (topics.ok() ? std::string(topics->body.str()) : "-");
        return r.ok() && r->code == 0 && r->ext_int("offset") == 1 && topics.ok() &&
               topics->body.str().find("\"HaT\"") != std::string_view::npos;
      },
      30s))
      << last;
  // A paused slave (connected, silent): the wait times out with FLUSH_SLAVE_TIMEOUT (12) after
  // syncFlushTimeout (3 s here); the message is stored all the same.
  ASSERT_EQ(::kill(cluster_->pid(1), SIGSTOP), 0);
  // kill() returns before every thread has stopped: a running HA thread could still ack.
  ASSERT_TRUE(
      testutil::eventually([&] { return testutil::process_state(cluster_->pid(1)) == 'T'; }, 5s));
  const auto t0 = std::chrono::steady_clock::now();
  const SendResult timed_out = send(master(), "paused", 3);
  EXPECT_EQ(timed_out.code, 12) << timed_out.remark;
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 2500ms);
  EXPECT_GE(timed_out.queue_offset, 0);
  ASSERT_EQ(::kill(cluster_->pid(1), SIGCONT), 0);
  cluster_->kill9(1);
  ASSERT_TRUE(wait_streaming(0));
  const SendResult s = send(master(), "while-down", 1);
  EXPECT_EQ(s.code, 11) << s.remark;  // SLAVE_NOT_AVAILABLE: stored, not replicated
  EXPECT_GE(s.queue_offset, 0) << "the degraded answer still carries the message's offsets";
  // The slave comes back, copies what it missed, and sends are plain SUCCESS again.
  ASSERT_TRUE(cluster_->restart(1).is_ok());
  ASSERT_TRUE(wait_streaming(1)) << master_status().dump();
  const SendResult after = send(master(), "after", 2);
  EXPECT_EQ(after.code, 0) << after.remark;
  ASSERT_TRUE(caught_up(1));
  const auto q1 = drain_when_known(slave(), 1);
  ASSERT_EQ(q1.count(s.queue_offset), 1u);
  EXPECT_EQ(q1.at(s.queue_offset), "while-down");
}

TEST_F(HaTest, AsyncMasterAcksAtOnceAndReportsTheLagItMayLose) {
  start("ASYNC_MASTER", "ASYNC_FLUSH");
  // A paused slave: its connection stays up, its acknowledged offset does not move.
  ASSERT_EQ(::kill(cluster_->pid(1), SIGSTOP), 0);
  // kill() returns before every thread has stopped: a running HA thread could still ack.
  ASSERT_TRUE(
      testutil::eventually([&] { return testutil::process_state(cluster_->pid(1)) == 'T'; }, 5s));
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 300; ++i) {
    const SendResult s = send(master(), std::string(500, 'a') + std::to_string(i), i % kQueues);
    ASSERT_EQ(s.code, 0) << s.remark;
    EXPECT_EQ(s.ext_value("durability"), "local-memory");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s) << "ASYNC_MASTER acks do not wait";
  Json st;
  ASSERT_TRUE(testutil::eventually([&] {
    st = master_status();
    return testutil::streaming_slaves(st) == 1 &&
           st.find("slaves")->items()[0].get_int("lagBytes") > 100'000;
  })) << st.dump();
  // The CLI shows the same (table form).
  const std::string out_path = (dir_.path() / "hastatus.out").string();
  const pid_t cli =
      testutil::spawn({RMQ_CLI_BIN, "haStatus", "--namesrv=" + cluster_->namesrv_addr(),
                       "--broker_addr=" + master()},
                      out_path);
  ASSERT_GT(cli, 0);
  auto ended = testutil::wait_exit(cli, 30s);
  ASSERT_TRUE(ended.has_value());
  const std::string text = testutil::read_file(out_path);
  EXPECT_EQ(*ended, 0) << text;
  EXPECT_NE(text.find("ASYNC_MASTER"), std::string::npos) << text;
  EXPECT_NE(text.find("1 slave(s) streaming"), std::string::npos) << text;
  // Resumed, the slave catches up and the lag goes to 0.
  ASSERT_EQ(::kill(cluster_->pid(1), SIGCONT), 0);
  ASSERT_TRUE(caught_up(1));
  ASSERT_TRUE(testutil::eventually([&] {
    st = master_status();
    return testutil::streaming_slaves(st) == 1 &&
           st.find("slaves")->items()[0].get_int("lagBytes") == 0;
  })) << st.dump();
}

TEST_F(HaTest, SlaveHoldingBytesTheMasterLostIsTruncatedToTheMaster) {
  start("SYNC_MASTER", "ASYNC_FLUSH");
  std::vector<SendResult> sent;
  for (int i = 0; i < 1500; ++i) {
    const SendResult s =
        send(master(), "old-" + std::to_string(i) + std::string(300, 'o'), i % kQueues);
    ASSERT_EQ(s.code, 0) << s.remark;
    sent.push_back(s);
  }
  ASSERT_TRUE(caught_up(1));
  const int64_t old_end = cluster_->runtime_int(0, "commitLogMaxOffset");
  // The slave sleeps; the master dies and comes back without its last 300 messages (an unclean
  // restart that lost a tail: here the tail is zeroed on disk).
  ASSERT_EQ(::kill(cluster_->pid(1), SIGSTOP), 0);
  ASSERT_TRUE(
      testutil::eventually([&] { return testutil::process_state(cluster_->pid(1)) == 'T'; }, 5s));
  cluster_->kill9(0);
  const int64_t cut = sent[1200].phys();
  {
    const auto seg = cluster_->store_dir(0) / "commitlog" / "00000000000000000000";
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good()) << seg;
    f.seekp(cut);
    const std::string zeros(static_cast<size_t>(old_end - cut), '\0');
    f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }
  ASSERT_TRUE(cluster_->restart(0).is_ok()) << cluster_->read_log(0);
  ASSERT_EQ(cluster_->runtime_int(0, "commitLogMaxOffset"), cut) << cluster_->read_log(0, 4096);
  // New writes at the offsets the slave holds other bytes for (no slave: answered 11, stored).
  for (int i = 0; i < 100; ++i) {
    const SendResult s = send(master(), "new-" + std::to_string(i), i % kQueues);
    ASSERT_EQ(s.code, 11) << s.remark;
  }
  ASSERT_EQ(::kill(cluster_->pid(1), SIGCONT), 0);
  ASSERT_TRUE(wait_streaming(1)) << master_status().dump() << cluster_->read_log(1, 4096);
  ASSERT_TRUE(caught_up(1)) << master_status().dump();
  const Json sv = cluster_->ha_status(1);
  EXPECT_GE(sv.get_int("truncations"), 1) << sv.dump();
  for (int q = 0; q < kQueues; ++q) {
    const auto m = drain(master(), q);
    const auto s = drain_when_known(slave(), q);
    EXPECT_EQ(s, m) << "queue " << q;
    EXPECT_EQ(m.size(), 1200u / kQueues + 100u / kQueues);
  }
  const SendResult after = send(master(), "after", 0);
  EXPECT_EQ(after.code, 0) << after.remark;
}

}  // namespace
}  // namespace rmq
