// The `raftmq` CLI end to end: the binary runs as a subprocess (stdout, stderr and exit code
// captured) against a raftmq-namesrv and a three-node DLedger group (tests/testutil/cluster.h),
// for every subcommand: produce, consume, the mqadmin-style admin commands, raftStatus,
// transferLeader and bench, plus usage and connection errors. --json outputs are parsed and their
// fields checked. One cluster serves the whole suite; the tests that change cluster-wide state
// (write permission, leadership) come last and restore what later tests need.
// RMQ_CLI_TEST_VERBOSE=1 prints every command with its exit code and output.
#include "common/json.h"
#include "tests/testutil/cluster.h"
#include "tests/testutil/cluster_fixture.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace rmq {
namespace {

using namespace std::chrono_literals;
using common::Json;

// A CLI run: exit code, stdout, stderr.
struct CliResult : testutil::Finished {
  // The non-empty lines of stdout.
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) {
      if (!l.empty()) v.push_back(l);
    }
    return v;
  }
};

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// Parses `text` as one JSON document; a failed parse is a test failure showing the text.
Json parse_json(const std::string& text, const std::string& what) {
  auto j = Json::parse(text);
  EXPECT_TRUE(j.ok()) << what << ": not JSON: " << j.status().to_string() << "\n" << text;
  return j.ok() ? std::move(j).value() : Json();
}

class CliTest : public testutil::SharedClusterFixture<CliTest> {
 protected:
  testutil::LocalCluster& cluster() { return *cluster_; }

  // Runs the CLI with `args` (plus --namesrv=<the cluster's> unless given) and waits for it.
  CliResult cli(std::vector<std::string> args, std::chrono::milliseconds limit = 30s) {
    const bool has_namesrv = std::any_of(args.begin(), args.end(), [](const std::string& a) {
      return a.rfind("--namesrv", 0) == 0;
    });
    if (!has_namesrv && !args.empty()) args.push_back("--namesrv=" + cluster_->namesrv_addr());
    args.insert(args.begin(), RMQ_CLI_BIN);
    CliResult res{
        testutil::run_captured(args, dir_->file("cli.out"), dir_->file("cli.err"), limit)};
    if (std::getenv("RMQ_CLI_TEST_VERBOSE") != nullptr)
      std::fprintf(stderr, "%s\n", res.describe().c_str());
    return res;
  }

  // Runs the CLI expecting exit 0 and one JSON document on stdout.
  Json cli_json(std::vector<std::string> args) {
    args.push_back("--json");
    auto r = cli(args);
    EXPECT_EQ(r.code, 0) << r.describe();
    return parse_json(r.out, r.describe());
  }

  void create_topic(const std::string& topic, int queues = 4) {
    auto st = cluster_->create_topic(topic, queues);
    ASSERT_TRUE(st.is_ok()) << st.to_string();
  }

  // produce --json of `count` messages with keys "<key_prefix>{i}" and `tag`; the array.
  Json produce(const std::string& topic, int count, const std::string& key_prefix,
               const std::string& tag = "TagA") {
    Json j = cli_json({"produce", "--topic=" + topic, "--count=" + std::to_string(count),
                       "--keys=" + key_prefix + "{i}", "--tag=" + tag});
    EXPECT_TRUE(j.is_array());
    EXPECT_EQ(j.size(), static_cast<size_t>(count)) << j.dump();
    return j;
  }

  // Sum of maxOffset over topicStatus --json, or -1.
  int64_t max_offset_total(const std::string& topic) {
    auto r = cli({"topicStatus", "--topic=" + topic, "--json"});
    auto j = Json::parse(r.out);
    if (r.code != 0 || !j.ok() || !j->is_array()) return -1;
    int64_t total = 0;
    for (const auto& q : j->items()) total += q.get_int("maxOffset");
    return total;
  }

  // The broker acknowledges a send once the Raft entry commits; the consume queues are built
  // from the commit log behind that. Waits until `total` messages are visible to consumers.
  void wait_dispatched(const std::string& topic, int64_t total) {
    EXPECT_TRUE(testutil::eventually([&] { return max_offset_total(topic) >= total; }, 10s))
        << topic << ": " << max_offset_total(topic) << " of " << total << " dispatched";
  }

  // consume --json: one JSON object per line.
  std::vector<Json> consume(const std::vector<std::string>& extra, CliResult* raw = nullptr) {
    std::vector<std::string> args{"consume", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = cli(args);
    EXPECT_EQ(r.code, 0) << r.describe();
    std::vector<Json> msgs;
    for (const auto& l : r.lines()) msgs.push_back(parse_json(l, r.describe()));
    if (raw != nullptr) *raw = r;
    return msgs;
  }

  // consumerProgress --json of `group` on `topic`: the sum of the consumer offsets.
  int64_t committed_total(const std::string& group, const std::string& topic) {
    Json p = cli_json({"consumerProgress", "--group=" + group, "--topic=" + topic});
    int64_t sum = 0;
    if (const Json* qs = p.find("queues"); qs != nullptr && qs->is_array()) {
      for (const auto& q : qs->items()) {
        EXPECT_EQ(q.get_string("topic"), topic) << p.dump();
        sum += q.get_int("consumerOffset");
      }
    }
    return sum;
  }

  // perm of the group's queue data in topicRoute --json, or -1.
  int64_t route_perm(const std::string& topic) {
    auto r = cli({"topicRoute", "--topic=" + topic, "--json"});
    if (r.code != 0) return -1;
    auto j = Json::parse(r.out);
    if (!j.ok()) return -1;
    const Json* qd = j->find("queueDatas");
    if (qd == nullptr || !qd->is_array() || qd->items().empty()) return -1;
    return qd->items()[0].get_int("perm", -1);
  }
};

TEST_F(CliTest, UsageAndConnectionErrors) {
  auto r = cli({"noSuchCommand"});
  EXPECT_EQ(r.code, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "unknown subcommand 'noSuchCommand'")) << r.describe();
  EXPECT_TRUE(contains(r.err, "clusterList")) << "usage lists the subcommands\n" << r.describe();

  r = cli({"help"});
  EXPECT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.err, "transferLeader")) << r.describe();

  for (const std::string cmd : {"clusterList", "topicList"}) {
    r = cli({cmd, "--namesrv=127.0.0.1:1"});
    EXPECT_EQ(r.code, 1) << r.describe();
    EXPECT_TRUE(contains(r.err, "127.0.0.1:1")) << r.describe();
    EXPECT_TRUE(r.out.empty()) << r.describe();
  }
  r = cli({"produce", "--topic=CliUnreachable", "--namesrv=127.0.0.1:1", "--retries=0"});
  EXPECT_EQ(r.code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, "127.0.0.1:1")) << r.describe();

  // A required flag missing is a failure naming the flag.
  r = cli({"topicRoute"});
  EXPECT_EQ(r.code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, "--topic")) << r.describe();
}

TEST_F(CliTest, ProduceTableAndJson) {
  const std::string topic = "CliProduce";
  create_topic(topic);

  auto r = cli({"produce", "--topic=" + topic, "--count=3", "--keys=tk{i}", "--tag=TagT"});
  ASSERT_EQ(r.code, 0) << r.describe();
  auto lines = r.lines();
  ASSERT_EQ(lines.size(), 4u) << r.describe();
  for (const char* h :
       {"MSG_ID", "BROKER", "QUEUE", "OFFSET", "KEYS", "TAG", "TERM/INDEX", "DURABILITY"}) {
    EXPECT_TRUE(contains(lines[0], h)) << h << "\n" << r.describe();
  }
  for (int i = 0; i < 3; ++i) {
    const std::string& row = lines[static_cast<size_t>(i) + 1];
    EXPECT_TRUE(contains(row, "broker-a")) << row;
    EXPECT_TRUE(contains(row, " tk" + std::to_string(i) + " ")) << row;
    EXPECT_TRUE(contains(row, "TagT")) << row;
    EXPECT_TRUE(contains(row, "majority-")) << row;
  }

  Json j = produce(topic, 4, "jk", "TagJ");
  ASSERT_TRUE(j.is_array());
  std::set<std::string> ids;
  int64_t last_index = 0;
  for (size_t i = 0; i < j.items().size(); ++i) {
    const Json& m = j.items()[i];
    const std::string id = m.get_string("msgId");
    EXPECT_EQ(id.size(), 32u) << m.dump();  // offsetMsgId: 16-byte host:port + offset, hex
    ids.insert(id);
    EXPECT_FALSE(m.get_string("uniqKey").empty()) << m.dump();
    EXPECT_EQ(m.get_string("broker"), "broker-a") << m.dump();
    EXPECT_EQ(m.get_string("brokerAddr"), leader_addr()) << m.dump();
    EXPECT_GE(m.get_int("queueId", -1), 0) << m.dump();
    EXPECT_LT(m.get_int("queueId", -1), 4) << m.dump();
    EXPECT_GE(m.get_int("queueOffset", -1), 0) << m.dump();
    EXPECT_EQ(m.get_string("keys"), "jk" + std::to_string(i)) << m.dump();
    EXPECT_EQ(m.get_string("tag"), "TagJ") << m.dump();
    EXPECT_GE(m.get_int("raftTerm"), 1) << m.dump();
    EXPECT_GT(m.get_int("raftIndex"), last_index) << "Raft index grows\n" << j.dump();
    last_index = m.get_int("raftIndex");
    EXPECT_TRUE(m.get_string("durability").rfind("majority-", 0) == 0) << m.dump();
    EXPECT_GE(m.get_int("attempts"), 1) << m.dump();
  }
  EXPECT_EQ(ids.size(), 4u) << j.dump();

  // The offsets add up in topicStatus (3 + 4 messages over the queues).
  wait_dispatched(topic, 7);
  Json ts = cli_json({"topicStatus", "--topic=" + topic});
  ASSERT_TRUE(ts.is_array()) << ts.dump();
  EXPECT_EQ(ts.size(), 4u) << ts.dump();
  int64_t total = 0;
  for (const auto& q : ts.items()) {
    EXPECT_EQ(q.get_string("brokerName"), "broker-a");
    EXPECT_EQ(q.get_int("minOffset"), 0) << ts.dump();
    total += q.get_int("maxOffset");
  }
  EXPECT_EQ(total, 7) << ts.dump();
  r = cli({"topicStatus", "--topic=" + topic});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_EQ(r.lines().size(), 5u) << r.describe();
  EXPECT_TRUE(contains(r.lines()[0], "MAX_OFFSET")) << r.describe();
}

TEST_F(CliTest, ConsumeCommitsOffsets) {
  const std::string topic = "CliConsume";
  const std::string group = "cli_group_c";
  create_topic(topic);
  Json sent = produce(topic, 5, "ck", "TagC");
  ASSERT_EQ(sent.size(), 5u);
  wait_dispatched(topic, 5);
  std::map<std::string, std::pair<int64_t, int64_t>> by_id;  // msgId -> (queue, offset)
  for (const auto& m : sent.items()) {
    by_id[m.get_string("msgId")] = {m.get_int("queueId"), m.get_int("queueOffset")};
  }

  // --count stops early; the table shows keys, tags, msgId, queue and offset.
  auto r = cli({"consume", "--topic=" + topic, "--group=cli_group_peek", "--count=2"});
  ASSERT_EQ(r.code, 0) << r.describe();
  ASSERT_EQ(r.lines().size(), 2u) << r.describe();
  for (const auto& l : r.lines()) {
    EXPECT_TRUE(contains(l, "keys=ck")) << l;
    EXPECT_TRUE(contains(l, "tags=TagC")) << l;
    EXPECT_TRUE(contains(l, " q=")) << l;
    EXPECT_TRUE(contains(l, " off=")) << l;
    EXPECT_TRUE(by_id.count(l.substr(0, 32)) == 1) << "row starts with a sent msgId: " << l;
  }
  EXPECT_TRUE(contains(r.err, "2 message(s)")) << r.describe();
  // The offsets committed by that run skip none of the messages it did not print: the next run
  // (no --count: everything) gets exactly the other three.
  std::set<std::string> seen;
  for (const auto& l : r.lines()) seen.insert(l.substr(0, 32));
  CliResult raw;
  auto rest = consume({"--topic=" + topic, "--group=cli_group_peek"}, &raw);
  EXPECT_EQ(rest.size(), 3u) << raw.describe();
  for (const auto& m : rest) seen.insert(m.get_string("msgId"));
  EXPECT_EQ(seen.size(), 5u) << raw.describe();

  // --json, from the first offset: exactly the five sent, with their queues and offsets.
  auto msgs = consume({"--topic=" + topic, "--group=" + group, "--from=first", "--count=10"}, &raw);
  ASSERT_EQ(msgs.size(), 5u) << raw.describe();
  std::set<std::string> keys;
  for (const auto& m : msgs) {
    const std::string id = m.get_string("msgId");
    ASSERT_EQ(by_id.count(id), 1u) << m.dump();
    EXPECT_EQ(m.get_int("queueId"), by_id[id].first) << m.dump();
    EXPECT_EQ(m.get_int("queueOffset"), by_id[id].second) << m.dump();
    EXPECT_EQ(m.get_string("tags"), "TagC") << m.dump();
    EXPECT_EQ(m.get_int("reconsumeTimes"), 0) << m.dump();
    EXPECT_EQ(m.get_string("body").rfind("hello ", 0), 0u) << m.dump();
    keys.insert(m.get_string("keys"));
  }
  EXPECT_EQ(keys, (std::set<std::string>{"ck0", "ck1", "ck2", "ck3", "ck4"}));

  // The committed offsets are visible in consumerProgress: nothing left to consume.
  EXPECT_EQ(committed_total(group, topic), 5);
  Json p = cli_json({"consumerProgress", "--group=" + group, "--topic=" + topic});
  EXPECT_EQ(p.get_int("diffTotal", -1), 0) << p.dump();
  r = cli({"consumerProgress", "--group=" + group, "--topic=" + topic});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "CONSUMER_OFFSET")) << r.describe();
  EXPECT_TRUE(contains(r.out, "Diff Total: 0")) << r.describe();

  // A second run of the same group starts at the committed offsets: nothing new.
  msgs = consume({"--topic=" + topic, "--group=" + group});
  EXPECT_TRUE(msgs.empty());

  // --from=last: a new group starts at the end and sees only later messages.
  const std::string late = "cli_group_last";
  msgs = consume({"--topic=" + topic, "--group=" + late, "--from=last"});
  EXPECT_TRUE(msgs.empty());
  EXPECT_EQ(committed_total(late, topic), 5);
  Json more = produce(topic, 2, "late", "TagL");
  wait_dispatched(topic, 7);
  msgs = consume({"--topic=" + topic, "--group=" + late, "--from=last"});
  ASSERT_EQ(msgs.size(), 2u);
  std::set<std::string> late_keys;
  for (const auto& m : msgs) late_keys.insert(m.get_string("keys"));
  EXPECT_EQ(late_keys, (std::set<std::string>{"late0", "late1"}));
  EXPECT_EQ(committed_total(late, topic), 7);

  // Bad --from is a usage failure.
  r = cli({"consume", "--topic=" + topic, "--from=middle"});
  EXPECT_EQ(r.code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, "--from")) << r.describe();

  // resetOffsetByTime: back to the start (timestamp 0), then to the end (-1).
  Json reset =
      cli_json({"resetOffsetByTime", "--topic=" + topic, "--group=" + group, "--timestamp=0"});
  ASSERT_TRUE(reset.is_array()) << reset.dump();
  EXPECT_EQ(reset.size(), 4u) << reset.dump();
  for (const auto& q : reset.items()) EXPECT_EQ(q.get_int("offset", -1), 0) << reset.dump();
  EXPECT_EQ(committed_total(group, topic), 0);
  msgs = consume({"--topic=" + topic, "--group=" + group});
  EXPECT_EQ(msgs.size(), 7u);

  reset = cli_json({"resetOffsetByTime", "--topic=" + topic, "--group=" + group});
  int64_t sum = 0;
  for (const auto& q : reset.items()) sum += q.get_int("offset");
  EXPECT_EQ(sum, 7) << reset.dump();
  r = cli({"resetOffsetByTime", "--topic=" + topic, "--group=" + group, "--timestamp=0"});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.lines().at(0), "OFFSET")) << r.describe();
  EXPECT_EQ(r.lines().size(), 5u) << r.describe();

  // No consumer of the group is online: a clear failure naming the group.
  r = cli({"consumerConnection", "--group=" + group});
  EXPECT_NE(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.err, group)) << r.describe();
  EXPECT_TRUE(r.out.empty()) << r.describe();
}

TEST_F(CliTest, QueryMessages) {
  const std::string topic = "CliQuery";
  create_topic(topic);
  Json sent = produce(topic, 3, "qk", "TagQ");
  ASSERT_EQ(sent.size(), 3u);
  const Json& m1 = sent.items()[1];
  const std::string id = m1.get_string("msgId");

  Json byid = cli_json({"queryMsgById", "--msg_id=" + id});
  ASSERT_TRUE(byid.is_array()) << byid.dump();
  ASSERT_EQ(byid.size(), 1u) << byid.dump();
  const Json& got = byid.items()[0];
  EXPECT_EQ(got.get_string("msgId"), id);
  EXPECT_EQ(got.get_string("topic"), topic);
  EXPECT_EQ(got.get_string("keys"), "qk1");
  EXPECT_EQ(got.get_string("tags"), "TagQ");
  EXPECT_EQ(got.get_string("body"), "hello 1");
  EXPECT_EQ(got.get_int("queueId"), m1.get_int("queueId"));
  EXPECT_EQ(got.get_int("queueOffset"), m1.get_int("queueOffset"));
  EXPECT_EQ(got.get_string("storeHost"), leader_addr());
  EXPECT_GT(got.get_int("storeTimestamp"), 0);

  auto r = cli({"queryMsgById", "--msg_id=" + id});
  ASSERT_EQ(r.code, 0) << r.describe();
  ASSERT_EQ(r.lines().size(), 2u) << r.describe();
  EXPECT_TRUE(contains(r.lines()[1], id)) << r.describe();
  EXPECT_TRUE(contains(r.lines()[1], "qk1")) << r.describe();

  // The index is built behind the commit: poll until the key is found.
  Json bykey;
  ASSERT_TRUE(testutil::eventually(
      [&] {
        auto k = cli({"queryMsgByKey", "--topic=" + topic, "--key=qk2", "--json"});
        if (k.code != 0) return false;
        auto j = Json::parse(k.out);
        if (!j.ok()) return false;
        bykey = std::move(j).value();
        return true;
      },
      10s));
  ASSERT_TRUE(bykey.is_array());
  ASSERT_EQ(bykey.size(), 1u) << bykey.dump();
  EXPECT_EQ(bykey.items()[0].get_string("msgId"), sent.items()[2].get_string("msgId"));
  EXPECT_EQ(bykey.items()[0].get_string("keys"), "qk2");

  r = cli({"queryMsgByKey", "--topic=" + topic, "--key=no-such-key"});
  EXPECT_EQ(r.code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, "no-such-key")) << r.describe();
}

TEST_F(CliTest, ClusterBrokerAndTopicViews) {
  const std::string topic = "CliViews";
  create_topic(topic, 4);

  Json cl = cli_json({"clusterList"});
  ASSERT_TRUE(cl.is_array()) << cl.dump();
  ASSERT_GE(cl.size(), 1u) << cl.dump();
  bool saw_master = false;
  for (const auto& b : cl.items()) {
    EXPECT_EQ(b.get_string("cluster"), "DefaultCluster") << b.dump();
    EXPECT_EQ(b.get_string("brokerName"), "broker-a") << b.dump();
    EXPECT_TRUE(b.get_bool("reachable")) << b.dump();
    if (b.get_int("brokerId", -1) == 0) {
      saw_master = true;
      EXPECT_EQ(b.get_string("addr"), leader_addr()) << b.dump();
      EXPECT_EQ(b.get_string("raftRole"), "LEADER") << b.dump();
      EXPECT_GE(b.get_int("raftTerm"), 1) << b.dump();
    }
  }
  EXPECT_TRUE(saw_master) << cl.dump();
  auto r = cli({"clusterList"});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.lines().at(0), "CLUSTER")) << r.describe();
  EXPECT_TRUE(contains(r.out, leader_addr())) << r.describe();

  Json bs = cli_json({"brokerStatus", "--broker_addr=" + leader_addr()});
  ASSERT_TRUE(bs.is_object()) << bs.dump();
  EXPECT_EQ(bs.get_string("raftRole"), "LEADER") << bs.dump();
  EXPECT_EQ(bs.get_string("brokerPermission"), "6") << bs.dump();
  r = cli({"brokerStatus", "--broker_addr=" + leader_addr()});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "raftRole")) << r.describe();
  r = cli({"brokerStatus", "--broker_addr=127.0.0.1:1"});
  EXPECT_EQ(r.code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, "127.0.0.1:1")) << r.describe();

  Json tl = cli_json({"topicList"});
  ASSERT_TRUE(tl.is_array()) << tl.dump();
  bool found = false;
  for (const auto& t : tl.items()) found = found || t.text() == topic;
  EXPECT_TRUE(found) << tl.dump();
  r = cli({"topicList"});
  ASSERT_EQ(r.code, 0) << r.describe();
  auto lines = r.lines();
  EXPECT_NE(std::find(lines.begin(), lines.end(), topic), lines.end()) << r.describe();

  Json route = cli_json({"topicRoute", "--topic=" + topic});
  const Json* bd = route.find("brokerDatas");
  ASSERT_TRUE(bd != nullptr && bd->is_array() && bd->size() == 1) << route.dump();
  EXPECT_EQ(bd->items()[0].get_string("brokerName"), "broker-a");
  EXPECT_EQ(bd->items()[0].get_string("cluster"), "DefaultCluster");
  const Json* addrs = bd->items()[0].find("brokerAddrs");
  ASSERT_TRUE(addrs != nullptr && addrs->is_object()) << route.dump();
  EXPECT_EQ(addrs->get_string("0"), leader_addr()) << route.dump();
  const Json* qd = route.find("queueDatas");
  ASSERT_TRUE(qd != nullptr && qd->is_array() && qd->size() == 1) << route.dump();
  EXPECT_EQ(qd->items()[0].get_int("readQueueNums"), 4);
  EXPECT_EQ(qd->items()[0].get_int("writeQueueNums"), 4);
  EXPECT_EQ(qd->items()[0].get_int("perm"), 6);
  r = cli({"topicRoute", "--topic=" + topic});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.lines().at(0), "READ_QUEUES")) << r.describe();
  EXPECT_TRUE(contains(r.out, leader_addr())) << r.describe();
  r = cli({"topicRoute", "--topic=CliNoSuchTopic"});
  EXPECT_EQ(r.code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, "CliNoSuchTopic") || contains(r.err, "TOPIC_NOT_EXIST"))
      << r.describe();

  Json cfg = cli_json({"getBrokerConfig", "--broker_addr=" + leader_addr()});
  ASSERT_TRUE(cfg.is_object()) << cfg.dump();
  EXPECT_EQ(cfg.get_string("brokerName"), "broker-a") << cfg.dump();
  EXPECT_EQ(cfg.get_string("brokerClusterName"), "DefaultCluster") << cfg.dump();
  r = cli({"getBrokerConfig", "--broker_addr=" + leader_addr()});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "brokerName")) << r.describe();
}

TEST_F(CliTest, TopicAndGroupLifecycle) {
  const std::string topic = "CliLifecycle";
  auto r = cli({"updateTopic", "--topic=" + topic, "--read_queues=3", "--write_queues=3"});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, leader_addr() + ": OK")) << r.describe();
  ASSERT_TRUE(testutil::eventually(
      [&] {
        auto j = cli({"topicRoute", "--topic=" + topic, "--json"});
        auto p = Json::parse(j.out);
        if (j.code != 0 || !p.ok()) return false;
        const Json* qd = p->find("queueDatas");
        return qd != nullptr && qd->size() == 1 && qd->items()[0].get_int("readQueueNums") == 3;
      },
      15s))
      << cli({"topicRoute", "--topic=" + topic}).describe();
  Json ts = cli_json({"topicStatus", "--topic=" + topic});
  EXPECT_EQ(ts.size(), 3u) << ts.dump();

  Json del = cli_json({"deleteTopic", "--topic=" + topic});
  const Json* ok = del.find("ok");
  ASSERT_TRUE(ok != nullptr && ok->is_array()) << del.dump();
  std::vector<std::string> done;
  for (const auto& a : ok->items()) done.push_back(a.text());
  EXPECT_NE(std::find(done.begin(), done.end(), leader_addr()), done.end()) << del.dump();
  EXPECT_NE(std::find(done.begin(), done.end(), cluster().namesrv_addr()), done.end())
      << del.dump();
  r = cli({"topicRoute", "--topic=" + topic});
  EXPECT_EQ(r.code, 1) << "route gone after deleteTopic\n" << r.describe();
  Json tl = cli_json({"topicList"});
  for (const auto& t : tl.items()) EXPECT_NE(t.text(), topic) << tl.dump();

  const std::string group = "cli_group_life";
  r = cli({"updateSubGroup", "--group=" + group, "--retry_max_times=3"});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, leader_addr() + ": OK")) << r.describe();
  // The group exists: consumerProgress answers (no offsets yet).
  r = cli({"consumerProgress", "--group=" + group});
  EXPECT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "Diff Total: 0")) << r.describe();

  Json dg = cli_json({"deleteSubGroup", "--group=" + group});
  ok = dg.find("ok");
  ASSERT_TRUE(ok != nullptr && ok->is_array() && ok->size() >= 1) << dg.dump();
  EXPECT_EQ(ok->items()[0].text(), leader_addr()) << dg.dump();
  r = cli({"consumerProgress", "--group=" + group});
  EXPECT_EQ(r.code, 1) << "group gone after deleteSubGroup\n" << r.describe();
  EXPECT_TRUE(contains(r.err, group) || contains(r.err, "SUBSCRIPTION_GROUP_NOT_EXIST"))
      << r.describe();
}

TEST_F(CliTest, Bench) {
  const std::string topic = "CliBench";
  create_topic(topic);
  auto r =
      cli({"bench", "--topic=" + topic, "--duration=1", "--warmup=0", "--inflight=8", "--size=128"},
          30s);
  ASSERT_EQ(r.code, 0) << r.describe();
  auto lines = r.lines();
  ASSERT_FALSE(lines.empty()) << r.describe();
  const std::string& last = lines.back();
  EXPECT_EQ(last.rfind("bench: mode=produce", 0), 0u) << r.describe();
  EXPECT_TRUE(contains(last, "topic=" + topic)) << last;
  EXPECT_TRUE(contains(last, "p99_us=")) << last;
  EXPECT_TRUE(contains(last, "errors=0")) << last;
  const auto p = last.find("msgs/s=");
  ASSERT_NE(p, std::string::npos) << last;
  EXPECT_GT(std::stod(last.substr(p + 7)), 0.0) << last;

  Json ts = cli_json({"topicStatus", "--topic=" + topic});
  int64_t total = 0;
  for (const auto& q : ts.items()) total += q.get_int("maxOffset");
  EXPECT_GT(total, 0) << ts.dump();

  r = cli({"bench", "--topic=" + topic, "--duration=0"});
  EXPECT_EQ(r.code, 1) << r.describe();
}

TEST_F(CliTest, RaftStatus) {
  auto r = cli({"raftStatus"});
  ASSERT_EQ(r.code, 0) << r.describe();
  int leaders = 0;
  int followers = 0;
  for (const auto& l : r.lines()) {
    if (l.rfind("broker-a", 0) != 0) continue;
    if (contains(l, " leader ")) ++leaders;
    if (contains(l, " follower ")) ++followers;
  }
  EXPECT_EQ(leaders, 1) << r.describe();
  EXPECT_EQ(followers, 2) << r.describe();
  EXPECT_TRUE(contains(r.lines().at(0), "ROLE")) << r.describe();

  // Followers learn the commit index from the next append or heartbeat (a tick after the leader):
  // right after the start a follower may still show 0.
  Json j;
  for (int i = 0; i < 50; ++i) {
    j = cli_json({"raftStatus"});
    bool all_committed = j.is_array() && j.size() == 3u;
    for (const auto& n : j.is_array() ? j.items() : std::vector<Json>{}) {
      all_committed = all_committed && n.get_int("commitIndex") > 0;
    }
    if (all_committed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(j.is_array()) << j.dump();
  ASSERT_EQ(j.size(), 3u) << j.dump();
  std::set<std::string> ids;
  int json_leaders = 0;
  for (const auto& n : j.items()) {
    ids.insert(n.get_string("selfId"));
    EXPECT_EQ(n.get_string("brokerName"), "broker-a") << n.dump();
    EXPECT_GE(n.get_int("term"), 1) << n.dump();
    EXPECT_GT(n.get_int("commitIndex"), 0) << n.dump();
    EXPECT_GE(n.get_int("lag", -1), 0) << n.dump();
    if (n.get_string("role") == "leader") {
      ++json_leaders;
      EXPECT_EQ(n.get_string("selfId"), cluster().node_id(leader_)) << n.dump();
      EXPECT_EQ(n.get_string("brokerAddr"), leader_addr()) << n.dump();
      EXPECT_EQ(n.get_int("lag", -1), 0) << n.dump();
    } else {
      EXPECT_EQ(n.get_string("role"), "follower") << n.dump();
      EXPECT_EQ(n.get_string("leaderId"), cluster().node_id(leader_)) << n.dump();
    }
  }
  EXPECT_EQ(json_leaders, 1) << j.dump();
  EXPECT_EQ(ids, (std::set<std::string>{"n1", "n2", "n3"})) << j.dump();
}

TEST_F(CliTest, UpdateBrokerConfig) {
  const std::string addr = "--broker_addr=" + leader_addr();
  auto r = cli({"updateBrokerConfig", addr, "--key=brokerPermission", "--value=4"});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "brokerPermission=4")) << r.describe();
  EXPECT_EQ(cli_json({"brokerStatus", addr}).get_string("brokerPermission"), "4");
  r = cli({"updateBrokerConfig", addr, "--key=brokerPermission", "--value=6"});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_EQ(cli_json({"brokerStatus", addr}).get_string("brokerPermission"), "6");

  // Only brokerPermission may change at runtime; the broker's reason is shown.
  r = cli({"updateBrokerConfig", addr, "--key=listenPort", "--value=1"});
  EXPECT_EQ(r.code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, "listenPort")) << r.describe();
  r = cli({"updateBrokerConfig", addr, "--key=brokerPermission", "--value=9"});
  EXPECT_EQ(r.code, 1) << r.describe();
}

TEST_F(CliTest, WipeAndAddWritePerm) {
  const std::string topic = "CliPerm";
  create_topic(topic);
  ASSERT_EQ(route_perm(topic), 6);

  auto r = cli({"wipeWritePerm", "--broker_name=broker-a"});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, leader_addr() + ": OK")) << r.describe();
  EXPECT_TRUE(testutil::eventually([&] { return route_perm(topic) == 4; }, 15s))
      << cli({"topicRoute", "--topic=" + topic}).describe();
  // Read-only: a send fails.
  r = cli({"produce", "--topic=" + topic, "--retries=0"});
  EXPECT_EQ(r.code, 1) << r.describe();

  r = cli({"addWritePerm", "--broker_name=broker-a", "--json"});
  ASSERT_EQ(r.code, 0) << r.describe();
  Json ok = parse_json(r.out, r.describe());
  ASSERT_TRUE(ok.find("ok") != nullptr) << r.describe();
  EXPECT_TRUE(testutil::eventually([&] { return route_perm(topic) == 6; }, 15s))
      << cli({"topicRoute", "--topic=" + topic}).describe();
  produce(topic, 1, "after");

  r = cli({"wipeWritePerm", "--broker_name=no-such-broker"});
  EXPECT_EQ(r.code, 1) << r.describe();
}

// Last: moves leadership to a follower (the suite's cluster keeps the new leader).
TEST_F(CliTest, TransferLeader) {
  const int target = (leader_ + 1) % cluster().size();
  const std::string target_id = cluster().node_id(target);

  auto r = cli({"transferLeader", "--target=" + target_id});
  ASSERT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "to " + target_id)) << r.describe();
  EXPECT_TRUE(contains(r.out, leader_addr())) << r.describe();

  // The transfer is acknowledged once the target was told to campaign; the election follows.
  std::optional<int> l;
  EXPECT_TRUE(testutil::eventually(
      [&] {
        l = cluster().wait_leader(2s);
        return l == target;
      },
      30s))
      << "leader is " << (l ? cluster().node_id(*l) : std::string("none")) << ", wanted "
      << target_id;
  ASSERT_TRUE(l.has_value());
  Json j;
  EXPECT_TRUE(testutil::eventually(
      [&] {
        auto s = cli({"raftStatus", "--json"});
        auto p = Json::parse(s.out);
        if (s.code != 0 || !p.ok()) return false;
        j = std::move(p).value();
        int leaders = 0;
        bool target_leads = false;
        for (const auto& n : j.items()) {
          if (n.get_string("role") == "leader") {
            ++leaders;
            target_leads = n.get_string("selfId") == target_id;
          }
        }
        return leaders == 1 && target_leads;
      },
      15s))
      << j.dump();
  // The new leader takes writes.
  create_topic("CliAfterTransfer");
  Json sent = produce("CliAfterTransfer", 1, "t");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent.items()[0].get_string("brokerAddr"), cluster().broker_addr(target));

  r = cli({"transferLeader"});
  EXPECT_EQ(r.code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, "--target")) << r.describe();
}

}  // namespace
}  // namespace rmq
