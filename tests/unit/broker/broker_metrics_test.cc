// RaftEventTracker (elections, leader changes, failover duration from role changes) and the
// metricsPort key of the broker and the NameServer (auto = listenPort + 2 / + 1, -1 off).
#include "broker/broker_metrics.h"

#include "broker/broker_config.h"
#include "common/properties.h"

#include <gtest/gtest.h>

namespace rmq::broker {
namespace {

using dledger::NodeId;
using dledger::Role;
using dledger::SoftState;

SoftState ss(Role role, uint32_t leader, uint64_t term) {
  SoftState s;
  s.role = role;
  s.leader = NodeId(leader);
  s.term = common::Term(term);
  return s;
}

TEST(RaftEventTrackerTest, FirstElectionCountsButIsNoFailover) {
  RaftEventTracker t(NodeId(1));
  t.on_soft_state(ss(Role::kPreCandidate, 0, 0), 100);
  t.on_soft_state(ss(Role::kCandidate, 0, 1), 200);
  t.on_soft_state(ss(Role::kLeader, 1, 1), 250);
  t.on_writable(300);
  EXPECT_EQ(t.elections_started(), 1u);
  EXPECT_EQ(t.leader_changes(), 1u);
  EXPECT_EQ(t.last_failover_ms(), -1);  // no leader was lost
}

TEST(RaftEventTrackerTest, NewLeaderTimesFromLosingTheOldOneToAcceptingWrites) {
  RaftEventTracker t(NodeId(2));
  t.on_soft_state(ss(Role::kFollower, 1, 1), 0);
  EXPECT_EQ(t.leader_changes(), 1u);
  t.on_soft_state(ss(Role::kPreCandidate, 0, 1), 1000);  // election timeout: the failover starts
  t.on_soft_state(ss(Role::kCandidate, 0, 2), 1100);
  t.on_soft_state(ss(Role::kLeader, 2, 2), 1150);
  EXPECT_EQ(t.last_failover_ms(), -1);  // not writable yet
  t.on_writable(1300);
  EXPECT_EQ(t.last_failover_ms(), 300);
  EXPECT_EQ(t.elections_started(), 1u);
  EXPECT_EQ(t.leader_changes(), 2u);
  t.on_writable(5000);  // a later call changes nothing
  EXPECT_EQ(t.last_failover_ms(), 300);
}

TEST(RaftEventTrackerTest, FollowerTimesUntilItLearnsTheNewLeader) {
  RaftEventTracker t(NodeId(3));
  t.on_soft_state(ss(Role::kFollower, 1, 1), 0);
  t.on_soft_state(ss(Role::kPreCandidate, 0, 1), 2000);
  t.on_soft_state(ss(Role::kFollower, 0, 1), 2100);  // pre-vote lost; still leaderless
  t.on_soft_state(ss(Role::kFollower, 2, 2), 2600);
  EXPECT_EQ(t.last_failover_ms(), 600);
  EXPECT_EQ(t.elections_started(), 0u);  // pre-votes are not elections
  EXPECT_EQ(t.leader_changes(), 2u);
}

TEST(RaftEventTrackerTest, LostElectionsStepDownsAndRepeatsAreCountedOnce) {
  RaftEventTracker t(NodeId(1));
  t.on_soft_state(ss(Role::kLeader, 1, 2), 0);  // candidate step folded into the same Ready
  EXPECT_EQ(t.elections_started(), 1u);
  t.on_soft_state(ss(Role::kLeader, 1, 2), 10);  // the same state again
  EXPECT_EQ(t.elections_started(), 1u);
  EXPECT_EQ(t.leader_changes(), 1u);
  // Check-quorum step-down, a lost election, then another node wins.
  t.on_soft_state(ss(Role::kFollower, 0, 2), 1000);
  t.on_soft_state(ss(Role::kCandidate, 0, 3), 1500);
  t.on_soft_state(ss(Role::kCandidate, 0, 3), 1510);
  t.on_soft_state(ss(Role::kFollower, 3, 4), 1800);
  EXPECT_EQ(t.elections_started(), 2u);
  EXPECT_EQ(t.leader_changes(), 2u);
  EXPECT_EQ(t.last_failover_ms(), 800);
  // A node that wins and is deposed before it becomes writable measures nothing for that round.
  t.on_soft_state(ss(Role::kPreCandidate, 0, 4), 3000);
  t.on_soft_state(ss(Role::kLeader, 1, 5), 3100);
  t.on_soft_state(ss(Role::kFollower, 0, 5), 3200);
  t.on_writable(3300);
  EXPECT_EQ(t.last_failover_ms(), 800);
  t.on_soft_state(ss(Role::kFollower, 2, 6), 3700);
  EXPECT_EQ(t.last_failover_ms(), 700);  // still timed from the first leaderless report
}

common::Status apply(common::ConfigSchema& s, const std::string& kv) {
  auto props = common::parse_properties(kv, "broker.conf");
  EXPECT_TRUE(props.ok());
  return s.apply(*props);
}

TEST(MetricsPortConfigTest, BrokerDefaultsToListenPortPlus2) {
  BrokerConfig c;
  auto s = make_broker_schema(c);
  EXPECT_EQ(effective_metrics_port(c), 10913);
  ASSERT_TRUE(apply(s, "listenPort=20911\n").is_ok());
  EXPECT_EQ(effective_metrics_port(c), 20913);
  c.listen_port = 0;
  EXPECT_EQ(effective_metrics_port(c), 0);  // any free port
  c.listen_port = 65534;
  EXPECT_EQ(effective_metrics_port(c), 0);
  c.metrics_port = -1;
  EXPECT_EQ(effective_metrics_port(c), -1);
  c.metrics_port = 9100;
  EXPECT_EQ(effective_metrics_port(c), 9100);
  BrokerConfig d;
  auto sd = make_broker_schema(d);
  EXPECT_FALSE(apply(sd, "metricsPort=-3\n").is_ok());
  EXPECT_FALSE(apply(sd, "metricsPort=70000\n").is_ok());
  ASSERT_TRUE(apply(sd, "metricsPort=-1\n").is_ok());
  EXPECT_EQ(effective_metrics_port(d), -1);
  EXPECT_NE(sd.describe().find("metricsPort"), std::string::npos);
}

}  // namespace
}  // namespace rmq::broker
