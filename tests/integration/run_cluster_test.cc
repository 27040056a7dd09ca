// The local cluster as a user runs it: the real scripts/cluster (start, kill-leader, restart-node,
// stop) with the config files of deploy/conf/ on their fixed ports (namesrv 9876, brokers 10911,
// 10921, 10931), the binaries of this build (RMQ_BIN_DIR) and the raftmq CLI as the client.
// Ten times: kill -9 the leader, send with the CLI until a send is acknowledged (the failover time
// is measured from the kill to that acknowledgement and printed with p50 and max), send more,
// restart the killed node and wait until it has caught up. At the end every acknowledged message
// must be consumed. Timings are printed, never asserted. Fixed ports: ctest runs it under the
// local_cluster lock; anything else on those ports makes it fail with the script's message.
#include "common/json.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace rmq {
namespace {

using namespace std::chrono_literals;
using common::Json;

constexpr const char* kTopic = "RunClusterTest";
constexpr int kRounds = 10;

using Proc = testutil::Finished;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class RunClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // scripts/cluster takes the binaries of this build, not build/release.
    ::setenv("RMQ_BIN_DIR", RMQ_BUILD_DIR, 1);
    run_dir_ = (dir_.path() / "run").string();
  }
  void TearDown() override {
    // Stops the cluster even when the test failed half-way (nothing to do when it is down).
    auto r = script({"stop"}, 60s);
    if (r.code != 0) ADD_FAILURE() << "stopping the cluster: " << r.describe();
  }

  // Runs args[0] with the rest as arguments; stdout and stderr captured apart.
  Proc run(const std::vector<std::string>& args, std::chrono::milliseconds limit) {
    return testutil::run_captured(args, dir_.file("cmd.out"), dir_.file("cmd.err"), limit);
  }

  Proc script(std::vector<std::string> args, std::chrono::milliseconds limit = 120s,
              const std::string& dir = "") {
    args.insert(args.begin(), {"/bin/bash", std::string(RMQ_SOURCE_DIR) + "/scripts/cluster"});
    args.push_back("--dir=" + (dir.empty() ? run_dir_ : dir));
    return run(std::move(args), limit);
  }

  Proc cli(std::vector<std::string> args, std::chrono::milliseconds limit = 30s) {
    args.insert(args.begin(), RMQ_CLI_BIN);
    return run(std::move(args), limit);
  }

  // produce --json of `count` messages keyed "<prefix><i>"; adds the acknowledged keys to acked_
  // and returns how many there were. `retries` = extra attempts inside the CLI.
  size_t produce(const std::string& prefix, int count, Proc* raw = nullptr, int retries = 2) {
    Proc r = cli({"produce", "--topic=" + std::string(kTopic), "--count=" + std::to_string(count),
                  "--keys=" + prefix + "{i}", "--body=" + prefix, "--json",
                  "--retries=" + std::to_string(retries)});
    if (raw != nullptr) *raw = r;
    auto j = Json::parse(r.out);
    if (!j.ok() || !j->is_array()) return 0;
    for (const auto& m : j->items()) acked_.insert(m.get_string("keys"));
    return j->size();
  }

  // Sum of maxOffset over the topic's queues (topicStatus --json), or -1.
  int64_t stored_total() {
    Proc r = cli({"topicStatus", "--topic=" + std::string(kTopic), "--json"});
    auto j = Json::parse(r.out);
    if (r.code != 0 || !j.ok() || !j->is_array()) return -1;
    int64_t total = 0;
    for (const auto& q : j->items()) total += q.get_int("maxOffset");
    return total;
  }

  // consume --json as a new group from the first message: the keys read.
  std::multiset<std::string> consume_all(const std::string& group) {
    // Acknowledged means committed; consume queues are built just behind that.
    EXPECT_TRUE(testutil::eventually(
        [&] { return stored_total() >= static_cast<int64_t>(acked_.size()); }, 30s))
        << stored_total() << " stored, " << acked_.size() << " acknowledged";
    Proc r = cli(
        {"consume", "--topic=" + std::string(kTopic), "--group=" + group, "--from=first", "--json"},
        60s);
    EXPECT_EQ(r.code, 0) << r.describe();
    std::multiset<std::string> keys;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      auto j = Json::parse(line);
      EXPECT_TRUE(j.ok()) << line;
      if (j.ok()) keys.insert(j->get_string("keys"));
    }
    return keys;
  }

  // Keys acknowledged but absent from `consumed` (the lost messages), in order.
  std::vector<std::string> missing(const std::multiset<std::string>& consumed) const {
    std::vector<std::string> out;
    for (const auto& k : acked_) {
      if (consumed.count(k) == 0) out.push_back(k);
    }
    return out;
  }

  testutil::TempDir dir_;
  std::string run_dir_;
  std::set<std::string> acked_;
};

std::string value_after(const std::string& text, const std::string& prefix) {
  const size_t p = text.find(prefix);
  if (p == std::string::npos) return "";
  const size_t start = p + prefix.size();
  return text.substr(start, text.find_first_of(" \n", start) - start);
}

TEST_F(RunClusterTest, ScriptedClusterLosesNothingAcrossTenLeaderKills) {
  Proc start = script({"start"});
  ASSERT_EQ(start.code, 0) << "scripts/cluster start failed. It needs the fixed ports of "
                              "deploy/conf/ (9876, 10911, 10921, 10931, 40911-40913 ...) free.\n"
                           << start.describe();
  std::cout << start.out << std::flush;

  // The script refuses a second cluster: same folder (running) and another folder (ports taken).
  Proc again = script({"start"});
  EXPECT_NE(again.code, 0) << again.describe();
  EXPECT_NE(again.err.find("already running"), std::string::npos) << again.describe();
  Proc other = script({"start"}, 60s, (dir_.path() / "other").string());
  EXPECT_NE(other.code, 0) << other.describe();
  EXPECT_NE(other.err.find("already in use"), std::string::npos) << other.describe();

  Proc topic = cli({"updateTopic", "--topic=" + std::string(kTopic), "--cluster=RaftCluster",
                    "--read_queues=4", "--write_queues=4"});
  ASSERT_EQ(topic.code, 0) << topic.describe();
  Proc warm;
  ASSERT_EQ(produce("warmup-", 20, &warm), 20u) << warm.describe();
  {
    auto consumed = consume_all("run-cluster-warmup");
    EXPECT_TRUE(missing(consumed).empty()) << "not consumed: " << missing(consumed).front();
  }

  std::vector<int64_t> failover_ms;
  for (int round = 1; round <= kRounds; ++round) {
    const std::string r = "r" + std::to_string(round) + "-";
    Proc pre;
    EXPECT_EQ(produce(r + "pre-", 10, &pre), 10u) << pre.describe();

    const int64_t before_kill = wall_ms();
    Proc kill = script({"kill-leader", "--no-wait"}, 30s);
    ASSERT_EQ(kill.code, 0) << kill.describe();
    const std::string killed_at = value_after(kill.out, "killed_at_ms=");
    const std::string node = value_after(kill.out, "kill -9 ");
    ASSERT_FALSE(killed_at.empty() || node.empty()) << kill.describe();
    const int64_t t_kill = std::stoll(killed_at);
    EXPECT_GE(t_kill, before_kill);

    // Send single messages (no retry inside the CLI) until one is acknowledged.
    int tries = 0;
    int64_t t_ack = -1;
    Proc last;
    while (wall_ms() - t_kill < 60'000) {
      ++tries;
      if (produce(r + "probe" + std::to_string(tries) + "-", 1, &last, 0) == 1) {
        t_ack = wall_ms();
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_GT(t_ack, 0) << "round " << round << ": no send acknowledged within 60 s of killing "
                        << node << "; last try:\n"
                        << last.describe();
    failover_ms.push_back(t_ack - t_kill);
    Proc post;
    EXPECT_EQ(produce(r + "post-", 10, &post), 10u) << post.describe();

    const auto t_restart = std::chrono::steady_clock::now();
    Proc restart = script({"restart-node", node}, 120s);
    ASSERT_EQ(restart.code, 0) << restart.describe();
    const auto rejoin_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - t_restart)
                               .count();
    std::cout << "round " << round << ": killed leader " << node << ", failover "
              << failover_ms.back() << " ms (kill -9 -> first acknowledged send, " << tries
              << " tries); " << node << " restarted and caught up in " << rejoin_ms << " ms"
              << std::endl;
  }

  std::vector<int64_t> sorted = failover_ms;
  std::sort(sorted.begin(), sorted.end());
  std::cout << "failover (kill -9 of the leader -> first acknowledged send), " << sorted.size()
            << " kills: p50 " << sorted[(sorted.size() - 1) / 2] << " ms, max " << sorted.back()
            << " ms; all:";
  for (auto ms : failover_ms) std::cout << ' ' << ms;
  std::cout << std::endl;

  Proc status = script({"status"}, 60s);
  EXPECT_EQ(status.code, 0) << status.describe();
  std::cout << status.out << std::flush;

  const auto consumed = consume_all("run-cluster-final");
  const auto lost = missing(consumed);
  std::cout << acked_.size() << " messages acknowledged, " << consumed.size() << " consumed, "
            << lost.size() << " acknowledged but not consumed" << std::endl;
  EXPECT_TRUE(lost.empty()) << lost.size() << " acknowledged messages were not consumed, e.g. "
                            << lost.front();

  Proc stop = script({"stop"}, 60s);
  EXPECT_EQ(stop.code, 0) << stop.describe();
}

}  // namespace
}  // namespace rmq
