// End to end with the real RocketMQ client ali-ons (npm, pure JavaScript; PROTOCOL.md §9):
// a LocalCluster (raftmq-namesrv + a three-node DLedger raftmq-broker group, real processes on
// 127.0.0.1) and the node scripts in tests/compat/alions, which print one JSON line per send ack
// and per delivery. Checks: every acked message is consumed exactly once by a fresh group, a tag
// subscription gets only its tags (filtered by the broker), a failing handler sees the message
// again through %RETRY%<group> with reconsumeTimes > 0, after maxReconsumeTimes the message lands
// in %DLQ%<group>, and acked messages survive kill -9 of the leader and its restart. node_modules
// comes from the ctest fixture alions_npm_install.
#include "common/json.h"
#include "remoting/remoting_command.h"
#include "tests/testutil/cluster.h"
#include "tests/testutil/cluster_fixture.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace rmq::testutil {
namespace {

using namespace std::chrono_literals;
using common::Json;
using remoting::RemotingCommand;
using remoting::RequestCode;

// Level n waits n seconds, so a first retry (delay level 0 → 3 + reconsumeTimes) takes 3 s instead
// of the default 10 s, and its delay is still told apart from levels 1 and 2.
const std::string kShortDelayLevels =
    "messageDelayLevel=1s 2s 3s 4s 5s 6s 7s 8s 9s 10s 11s 12s 13s 14s 15s 16s 17s 18s";
const std::string kScriptDir = RMQ_ALIONS_DIR;
const std::string kNode = RMQ_NODE_BIN;

// The JSON lines a script appended to `path` (whole lines only).
std::vector<Json> read_events(const std::string& path) {
  std::vector<Json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no '\n' yet: still being written
    auto j = Json::parse(line);
    if (j.ok()) out.push_back(std::move(j).value());
  }
  return out;
}

std::vector<Json> events_of(const std::vector<Json>& all, const std::string& kind) {
  std::vector<Json> out;
  for (const auto& e : all) {
    if (e.get_string("event") == kind) out.push_back(e);
  }
  return out;
}

// One run of a node script: stdout JSON lines go to `out`, stderr (ali-ons' log) to `log`.
struct Script {
  pid_t pid = -1;
  std::string out;
  std::string log;
  std::optional<int> status;  // wait status once it ended

  std::vector<Json> events() const { return read_events(out); }
  // Waits for the exit; on timeout sends SIGTERM (the consumer then closes cleanly) and waits.
  int wait(std::chrono::milliseconds limit) {
    if (!status) status = wait_exit(pid, limit);
    if (!status) {
      ::kill(pid, SIGTERM);
      status = wait_exit(pid, 20s);
    }
    if (!status) {
      ::kill(pid, SIGKILL);
      status = wait_exit(pid, 5s);
      return -1;
    }
    return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
  }
  std::string describe() const {
    return "--- " + out + " ---\n" + read_tail(out, 8 * 1024) + "\n--- " + log + " ---\n" +
           read_tail(log, 16 * 1024);
  }
};

class AliOnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kNode))
        << "node not found (" << kNode << "): run scripts/install-deps";
    ASSERT_TRUE(std::filesystem::exists(kScriptDir + "/node_modules/ali-ons/package.json"))
        << "ali-ons is not installed: run " << kScriptDir
        << "/install.sh (ctest runs it as the alions_npm_install fixture)";
  }

  // Starts the namesrv and the three brokers, each broker.conf extended by `extra` lines.
  void start_cluster(std::vector<std::string> extra = {}) {
    LocalClusterOptions o = built_cluster_options();
    o.base_dir = dir_.path() / "cluster";
    o.extra_broker_config = std::move(extra);
    cluster_ = std::make_unique<LocalCluster>(o);
    const auto st = cluster_->start();
    ASSERT_TRUE(st.is_ok()) << st.to_string();  // TearDown prints the logs
  }

  void TearDown() override {
    for (auto& s : scripts_) {
      if (!s->status) s->wait(0ms);
    }
    if (cluster_) {
      const auto st = cluster_->stop_all();
      EXPECT_TRUE(st.is_ok()) << "brokers must exit 0 on SIGTERM: " << st.to_string();
    }
    if (HasFailure()) {
      std::cerr << cluster_logs();
      for (const auto& s : scripts_) std::cerr << s->describe() << "\n";
    }
  }

  std::string cluster_logs() const {
    if (!cluster_) return {};
    std::string out = "--- namesrv ---\n" + cluster_->read_log(-1, 4 * 1024) + "\n--- " +
                      cluster_->conf_path(0) + " ---\n" + read_file(cluster_->conf_path(0));
    for (int i = 0; i < cluster_->size(); ++i) {
      out += "\n--- " + cluster_->log_path(i) + " ---\n" + cluster_->read_log(i, 12 * 1024);
    }
    return out;
  }

  Script* run(const std::string& script, std::vector<std::string> args) {
    auto s = std::make_unique<Script>();
    const std::string name = script + "-" + std::to_string(scripts_.size());
    s->out = dir_.file(name + ".jsonl");
    s->log = dir_.file(name + ".log");
    args.insert(args.begin(), {kNode, kScriptDir + "/" + script + ".js",
                               "--namesrv=" + cluster_->namesrv_addr(), "--out=" + s->out});
    s->pid = spawn(args, s->log);
    scripts_.push_back(std::move(s));
    return scripts_.back().get();
  }

  // Produces `count` messages with keys "<prefix>-<i>" and tags cycling through `tags`; every send
  // must be acked. The acks, in the order they arrived.
  std::vector<Json> produce(const std::string& topic, int count, const std::string& tags,
                            const std::string& prefix) {
    Script* p = run("producer", {"--topic=" + topic, "--count=" + std::to_string(count),
                                 "--tags=" + tags, "--key-prefix=" + prefix});
    const int code = p->wait(180s);
    EXPECT_EQ(code, 0) << p->describe();
    auto acks = events_of(p->events(), "ack");
    EXPECT_EQ(acks.size(), static_cast<size_t>(count)) << p->describe();
    return acks;
  }

  // GET_MAX_OFFSET (30) of topic/queue on the current leader.
  std::optional<int64_t> max_offset(const std::string& topic, int queue) {
    auto leader = cluster_->leader();
    if (!leader) return std::nullopt;
    auto req = RemotingCommand::request(RequestCode::kGetMaxOffset);
    req.ext_fields.set("topic", topic);
    req.ext_fields.set("queueId", int64_t{queue});
    auto resp = cluster_->client().invoke_sync(cluster_->broker_addr(*leader), std::move(req), 2s);
    if (!resp.ok() || resp->code != 0) return std::nullopt;
    return resp->ext_int("offset");
  }

  TempDir dir_;
  std::unique_ptr<LocalCluster> cluster_;
  std::vector<std::unique_ptr<Script>> scripts_;
};

TEST_F(AliOnsTest, EveryAckedMessageIsConsumedOnceAndTagSubscriptionsGetOnlyTheirTags) {
  constexpr int kCount = 1000;
  constexpr int kQueues = 4;
  const std::string topic = "AliOnsTopic";
  ASSERT_NO_FATAL_FAILURE(start_cluster());
  const auto created = cluster_->create_topic(topic, kQueues);
  ASSERT_TRUE(created.is_ok()) << created.to_string();

  const auto acks = produce(topic, kCount, "TagA,TagB,TagC", "k");
  ASSERT_EQ(acks.size(), static_cast<size_t>(kCount));
  // Each ack names a distinct msgId and a distinct (queue, offset); per queue the offsets are
  // exactly 0..n-1 (a fresh topic, nothing lost or doubled).
  std::map<std::string, Json> by_msg_id;
  std::map<int64_t, std::set<int64_t>> offsets;
  int tag_a_or_c = 0;
  for (const auto& a : acks) {
    EXPECT_EQ(a.get_string("status"), "SEND_OK");
    EXPECT_EQ(a.get_string("topic"), topic);
    EXPECT_EQ(a.get_string("msgId").size(), 32u) << a.dump();
    EXPECT_TRUE(by_msg_id.emplace(a.get_string("msgId"), a).second) << "duplicate " << a.dump();
    EXPECT_TRUE(offsets[a.get_int("queue")].insert(a.get_int("offset")).second) << a.dump();
    if (a.get_string("tag") != "TagB") ++tag_a_or_c;
  }
  EXPECT_EQ(offsets.size(), static_cast<size_t>(kQueues));
  for (const auto& [queue, set] : offsets) {
    ASSERT_FALSE(set.empty());
    EXPECT_EQ(*set.begin(), 0) << "queue " << queue;
    EXPECT_EQ(*set.rbegin(), static_cast<int64_t>(set.size()) - 1) << "queue " << queue;
    EXPECT_EQ(max_offset(topic, static_cast<int>(queue)), static_cast<int64_t>(set.size()));
  }

  // A fresh group from the first offset, and a tag subscription in another group, at once.
  Script* all = run("consumer", {"--topic=" + topic, "--group=GID_alions_all",
                                 "--exit-after=" + std::to_string(kCount), "--linger-ms=3000",
                                 "--timeout-ms=150000"});
  Script* tagged =
      run("consumer", {"--topic=" + topic, "--group=GID_alions_tags", "--subscription=TagA || TagC",
                       "--report-pulled", "--exit-after=" + std::to_string(tag_a_or_c),
                       "--linger-ms=3000", "--timeout-ms=150000"});
  ASSERT_EQ(all->wait(180s), 0) << all->describe();
  ASSERT_EQ(tagged->wait(60s), 0) << tagged->describe();

  // Exactly once, by msgId and by key, with the acked queue, offset and tag.
  std::map<std::string, int> seen_ids;
  std::set<std::string> seen_keys;
  for (const auto& m : events_of(all->events(), "msg")) {
    EXPECT_EQ(m.get_string("result"), "ok");
    EXPECT_EQ(m.get_string("queueTopic"), topic) << m.dump();
    EXPECT_EQ(m.get_int("reconsumeTimes"), 0) << m.dump();
    const std::string id = m.get_string("msgId");
    ++seen_ids[id];
    auto it = by_msg_id.find(id);
    if (it == by_msg_id.end()) {
      ADD_FAILURE() << "consumed a message that was never acked: " << m.dump();
      continue;
    }
    EXPECT_EQ(m.get_string("key"), it->second.get_string("key")) << m.dump();
    EXPECT_EQ(m.get_string("tags"), it->second.get_string("tag")) << m.dump();
    EXPECT_EQ(m.get_int("queue"), it->second.get_int("queue")) << m.dump();
    EXPECT_EQ(m.get_int("offset"), it->second.get_int("offset")) << m.dump();
    EXPECT_TRUE(seen_keys.insert(m.get_string("key")).second) << "key twice: " << m.dump();
  }
  int missing = 0;
  for (const auto& [id, ack] : by_msg_id) {
    auto it = seen_ids.find(id);
    if (it == seen_ids.end()) {
      if (++missing <= 5) ADD_FAILURE() << "acked but never consumed: " << ack.dump();
    } else {
      EXPECT_EQ(it->second, 1) << "consumed " << it->second << " times: " << ack.dump();
    }
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(seen_keys.size(), static_cast<size_t>(kCount));

  // The tag subscription: only TagA/TagC reach the handler, each once, and the broker already
  // filtered: no pulled message carries TagB (ali-ons would drop it silently otherwise).
  std::set<std::string> tagged_ids;
  for (const auto& m : events_of(tagged->events(), "msg")) {
    EXPECT_NE(m.get_string("tags"), "TagB") << m.dump();
    EXPECT_TRUE(tagged_ids.insert(m.get_string("msgId")).second) << "twice: " << m.dump();
    EXPECT_TRUE(by_msg_id.count(m.get_string("msgId"))) << m.dump();
  }
  EXPECT_EQ(tagged_ids.size(), static_cast<size_t>(tag_a_or_c));
  int pulled_tag_b = 0;
  for (const auto& m : events_of(tagged->events(), "pulled")) {
    if (m.get_string("tags") == "TagB" && ++pulled_tag_b <= 3) {
      ADD_FAILURE() << "broker returned a TagB message to a 'TagA || TagC' pull: " << m.dump();
    }
  }
  EXPECT_EQ(pulled_tag_b, 0);
}

TEST_F(AliOnsTest, FailedMessageComesBackThroughRetryTopicWithReconsumeTimes) {
  constexpr int kCount = 20;
  const std::string topic = "AliOnsRetryTopic";
  const std::string group = "GID_alions_retry";
  ASSERT_NO_FATAL_FAILURE(start_cluster({kShortDelayLevels}));
  const auto created = cluster_->create_topic(topic, 2);
  ASSERT_TRUE(created.is_ok()) << created.to_string();
  const auto acks = produce(topic, kCount, "TagR", "r");
  ASSERT_EQ(acks.size(), static_cast<size_t>(kCount));
  std::map<std::string, std::string> id_of_key;
  for (const auto& a : acks) id_of_key[a.get_string("key")] = a.get_string("msgId");

  // The handler fails every first delivery; the retry (delay level 3: 3 s here) succeeds.
  Script* c = run("consumer", {"--topic=" + topic, "--group=" + group, "--fail-times=1",
                               "--exit-after=" + std::to_string(kCount), "--linger-ms=3000",
                               "--timeout-ms=120000"});
  ASSERT_EQ(c->wait(150s), 0) << c->describe();

  std::map<std::string, std::vector<Json>> by_key;
  for (const auto& m : events_of(c->events(), "msg")) by_key[m.get_string("key")].push_back(m);
  ASSERT_EQ(by_key.size(), static_cast<size_t>(kCount)) << c->describe();
  for (const auto& [key, deliveries] : by_key) {
    ASSERT_EQ(deliveries.size(), 2u) << key << ": " << c->describe();
    const Json& first = deliveries[0];
    const Json& retry = deliveries[1];
    EXPECT_EQ(first.get_string("result"), "fail");
    EXPECT_EQ(first.get_int("reconsumeTimes"), 0);
    EXPECT_EQ(first.get_string("queueTopic"), topic);
    EXPECT_EQ(first.get_string("msgId"), id_of_key[key]);

    EXPECT_EQ(retry.get_string("result"), "ok") << retry.dump();
    EXPECT_EQ(retry.get_int("reconsumeTimes"), 1) << retry.dump();
    EXPECT_EQ(retry.get_string("queueTopic"), "%RETRY%" + group) << retry.dump();
    EXPECT_EQ(retry.get_string("topic"), topic) << "RETRY_TOPIC property: " << retry.dump();
    EXPECT_EQ(retry.get_string("originMsgId"), id_of_key[key]) << retry.dump();
    EXPECT_NE(retry.get_string("msgId"), id_of_key[key]) << "a retry is a new stored copy";
    EXPECT_EQ(retry.get_string("tags"), "TagR") << retry.dump();
    // Not before delay level 3 (3 s after the send-back, which follows the failed delivery).
    EXPECT_GE(retry.get_int("at") - first.get_int("at"), 2500) << first.dump() << retry.dump();
  }
}

TEST_F(AliOnsTest, MessageFailingMaxReconsumeTimesGoesToDeadLetterQueue) {
  constexpr int kCount = 10;
  const std::string topic = "AliOnsDlqTopic";
  const std::string group = "GID_alions_dlq";
  ASSERT_NO_FATAL_FAILURE(start_cluster({kShortDelayLevels}));
  const auto created = cluster_->create_topic(topic, 2);
  ASSERT_TRUE(created.is_ok()) << created.to_string();
  const auto acks = produce(topic, kCount, "TagD", "d");
  ASSERT_EQ(acks.size(), static_cast<size_t>(kCount));

  // maxReconsumeTimes=1 (ali-ons sends it with CONSUMER_SEND_MSG_BACK, version 121): the first
  // failure goes to %RETRY% with reconsumeTimes 1, the second to %DLQ%.
  Script* c = run("consumer", {"--topic=" + topic, "--group=" + group, "--fail-times=100",
                               "--max-reconsume=1", "--timeout-ms=120000"});
  const std::string dlq = "%DLQ%" + group;
  std::map<std::string, std::vector<int64_t>> attempts;  // key -> reconsumeTimes seen
  const bool both_seen = eventually(
      [&] {
        attempts.clear();
        for (const auto& m : events_of(c->events(), "msg")) {
          attempts[m.get_string("key")].push_back(m.get_int("reconsumeTimes"));
        }
        if (attempts.size() != static_cast<size_t>(kCount)) return false;
        for (const auto& [key, rts] : attempts) {
          if (rts.size() < 2) return false;
        }
        return true;
      },
      100s);
  ASSERT_TRUE(both_seen) << c->describe();
  const bool in_dlq = eventually([&] { return max_offset(dlq, 0) == kCount; }, 20s);
  EXPECT_TRUE(in_dlq) << dlq << " max offset " << max_offset(dlq, 0).value_or(-1);
  // Registered with the namesrv right away, like %RETRY% (Java registers a topic it creates in
  // the send-back path at once, not at the next periodic registration 30 s later).
  std::string route_error;
  const bool routed = eventually(
      [&] {
        auto r = cluster_->route(dlq);
        if (!r.ok()) route_error = r.status().to_string();
        return r.ok();
      },
      5s);
  EXPECT_TRUE(routed) << "the DLQ topic is not registered with the namesrv: " << route_error;

  // Each key was delivered twice so far, first as the original and then as the retried copy. (A
  // broker that ignored maxReconsumeTimes would have put the copies in %RETRY% instead of the DLQ,
  // which the max offset above already rules out.)
  ::kill(c->pid, SIGTERM);
  EXPECT_EQ(c->wait(30s), 0) << c->describe();
  attempts.clear();
  for (const auto& m : events_of(c->events(), "msg")) {
    EXPECT_EQ(m.get_string("result"), "fail");
    attempts[m.get_string("key")].push_back(m.get_int("reconsumeTimes"));
  }
  for (const auto& [key, rts] : attempts) {
    EXPECT_EQ(rts, (std::vector<int64_t>{0, 1})) << key;
  }
  if (!routed) return;

  // The dead letters are readable (perm 6, as Java 5.x): another group consumes %DLQ%<group> and
  // gets each key once, with the original tag and reconsumeTimes 2 (the count goes up on the
  // way to the DLQ too).
  Script* reader = run("consumer", {"--topic=" + dlq, "--group=GID_alions_dlq_reader",
                                    "--exit-after=" + std::to_string(kCount), "--linger-ms=2000",
                                    "--timeout-ms=60000"});
  ASSERT_EQ(reader->wait(90s), 0) << reader->describe();
  std::set<std::string> dead_keys;
  for (const auto& m : events_of(reader->events(), "msg")) {
    EXPECT_TRUE(dead_keys.insert(m.get_string("key")).second) << "twice: " << m.dump();
    EXPECT_EQ(m.get_string("queueTopic"), dlq) << m.dump();
    EXPECT_EQ(m.get_string("tags"), "TagD") << m.dump();
    EXPECT_EQ(m.get_int("reconsumeTimes"), 2) << m.dump();
    EXPECT_FALSE(m.get_string("originMsgId").empty()) << m.dump();
  }
  EXPECT_EQ(dead_keys.size(), static_cast<size_t>(kCount));
}

TEST_F(AliOnsTest, AckedMessagesSurviveKillingTheLeaderAndItsRestart) {
  constexpr int kBatch = 200;
  const std::string topic = "AliOnsFailoverTopic";
  ASSERT_NO_FATAL_FAILURE(start_cluster());
  const auto created = cluster_->create_topic(topic, 4);
  ASSERT_TRUE(created.is_ok()) << created.to_string();
  auto acks = produce(topic, kBatch, "TagF", "before");
  ASSERT_EQ(acks.size(), static_cast<size_t>(kBatch));

  // kill -9 the leader; another node takes over and the namesrv publishes it as brokerId 0.
  const auto old_leader = cluster_->leader();
  ASSERT_TRUE(old_leader.has_value());
  cluster_->kill9(*old_leader);
  const auto new_leader = cluster_->wait_leader(30s);
  ASSERT_TRUE(new_leader.has_value()) << "no new leader after killing " << *old_leader;
  EXPECT_NE(*new_leader, *old_leader);

  // A fresh producer process routes to the new leader; then the old leader comes back.
  const auto after = produce(topic, kBatch, "TagF", "after");
  ASSERT_EQ(after.size(), static_cast<size_t>(kBatch));
  acks.insert(acks.end(), after.begin(), after.end());
  const auto restarted = cluster_->restart(*old_leader);
  ASSERT_TRUE(restarted.is_ok()) << restarted.to_string();
  const bool rejoined = eventually(
      [&] {
        auto info = cluster_->runtime_info(*old_leader, 1s);
        return info.ok() && (*info)["raftRole"] == "FOLLOWER";
      },
      30s);
  EXPECT_TRUE(rejoined) << cluster_->read_log(*old_leader);

  // Every acked message, from both terms, reaches a fresh group exactly once.
  std::map<std::string, std::string> key_of;
  for (const auto& a : acks) {
    EXPECT_TRUE(key_of.emplace(a.get_string("msgId"), a.get_string("key")).second) << a.dump();
  }
  Script* c = run("consumer", {"--topic=" + topic, "--group=GID_alions_failover",
                               "--exit-after=" + std::to_string(2 * kBatch), "--linger-ms=3000",
                               "--timeout-ms=90000"});
  ASSERT_EQ(c->wait(120s), 0) << c->describe();
  std::map<std::string, int> seen;
  for (const auto& m : events_of(c->events(), "msg")) {
    ++seen[m.get_string("msgId")];
    auto it = key_of.find(m.get_string("msgId"));
    if (it == key_of.end()) {
      ADD_FAILURE() << "consumed a message that was never acked: " << m.dump();
    } else {
      EXPECT_EQ(m.get_string("key"), it->second) << m.dump();
    }
  }
  for (const auto& [id, key] : key_of) {
    EXPECT_EQ(seen[id], 1) << key << " (" << id << ")";
  }
}

}  // namespace
}  // namespace rmq::testutil
