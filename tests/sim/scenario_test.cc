// Hand-written, deterministic scenarios on the simulated cluster (no random network faults; the
// only randomness is the seeded election timeouts). Each checks one protocol interaction end to
// end, with the same invariant checks as the nemesis running underneath.
#include "tests/sim/sim_cluster.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rmq::dledger::sim {
namespace {

constexpr int kElection = 10;  // SimOptions::election_ticks

SimOptions quiet(int nodes = 3, uint64_t seed = 1) {
  SimOptions o;
  o.seed = seed;
  o.nodes = nodes;
  return o;
}

// Runs until some node leads and has committed its no-op; returns it.
NodeId elect(SimCluster& c) {
  const bool ok = c.run_until(
      [&] {
        const NodeId l = c.leader();
        return l != kNoNode && c.raft(l)->serving();
      },
      20 * kElection);
  EXPECT_TRUE(ok) << c.report();
  return c.leader();
}

std::vector<NodeId> followers_of(const SimCluster& c, NodeId leader) {
  std::vector<NodeId> out;
  for (NodeId id : c.ids()) {
    if (id != leader) out.push_back(id);
  }
  return out;
}

// Proposes `values` on `leader` (as many per step as it accepts) and runs until each is
// acknowledged or lost. Returns the proposals.
std::vector<Proposal> propose_all(SimCluster& c, NodeId leader, const std::string& prefix,
                                  int count) {
  std::vector<Proposal> out;
  for (int i = 0; i < count; ++i) {
    auto p = c.propose(leader, prefix + std::to_string(i));
    EXPECT_TRUE(p.has_value()) << "n" << leader << " refused proposal " << i << "\n" << c.report();
    if (!p) break;
    out.push_back(*p);
    if (i % 50 == 49) c.step();
  }
  return out;
}

bool all_applied_by(const SimCluster& c, const std::vector<NodeId>& ids,
                    const std::vector<Proposal>& ps) {
  for (NodeId id : ids) {
    for (const Proposal& p : ps) {
      if (!c.applied_by(id, p)) return false;
    }
  }
  return true;
}

bool contains_value(const SimCluster& c, NodeId id, const std::string& v) {
  const MemoryLogStorage& s = c.storage(id);
  if (s.last_index() < LogIndex(1)) return false;
  auto all = s.entries(LogIndex(1), s.last_index().next(), ~size_t{0});
  for (const Entry& e : *all) {
    if (e.data && *e.data == v) return true;
  }
  return false;
}

// (a) Thesis §9.6: a partitioned follower's pre-votes fail, so its term stays put and it does not
// depose the leader when it comes back.
TEST(Scenario, PreVotePartitionedFollowerDoesNotDisruptOnRejoin) {
  SimCluster c(quiet());
  const NodeId leader = elect(c);
  ASSERT_NE(leader, kNoNode);
  const Term term = c.raft(leader)->term();
  const NodeId f = followers_of(c, leader)[0];

  c.isolate({f});
  c.run(10 * kElection);
  ASSERT_TRUE(c.ok()) << c.report();
  EXPECT_EQ(c.raft(f)->term(), term) << "an isolated follower raised its term despite pre-vote";
  EXPECT_NE(c.raft(f)->role(), Role::kCandidate);
  auto during = propose_all(c, leader, "a", 5);  // the majority keeps working
  c.heal_partitions();
  ASSERT_TRUE(c.run_until([&] { return all_applied_by(c, c.ids(), during); }, 5 * kElection))
      << c.report();
  c.run(5 * kElection);
  ASSERT_TRUE(c.ok()) << c.report();
  EXPECT_EQ(c.leader(), leader);
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c.raft(id)->term(), term) << "n" << id;
    EXPECT_EQ(c.raft(id)->leader(), leader) << "n" << id;
  }
  EXPECT_EQ(c.invariants().leaders().size(), 1u);
}

// Control for (a): without pre-vote the same partition does raise the follower's term.
TEST(Scenario, WithoutPreVoteIsolatedFollowerRaisesTerm) {
  SimOptions o = quiet();
  o.pre_vote = false;
  SimCluster c(o);
  const NodeId leader = elect(c);
  ASSERT_NE(leader, kNoNode);
  const Term term = c.raft(leader)->term();
  const NodeId f = followers_of(c, leader)[0];
  c.isolate({f});
  c.run(10 * kElection);
  EXPECT_GT(c.raft(f)->term(), term);
  c.heal_partitions();
  EXPECT_NE(elect(c), kNoNode);  // and the cluster recovers
  ASSERT_TRUE(c.ok()) << c.report();
}

// (b) §6.2 check-quorum: a leader cut off from both followers steps down within two election
// timeouts, and the majority elects a new leader.
TEST(Scenario, CheckQuorumIsolatedLeaderStepsDown) {
  SimCluster c(quiet());
  const NodeId old = elect(c);
  ASSERT_NE(old, kNoNode);
  const Term term = c.raft(old)->term();
  c.isolate({old});
  const int64_t cut = c.now();
  ASSERT_TRUE(c.run_until([&] { return c.raft(old)->role() != Role::kLeader; }, 2 * kElection + 2))
      << "leader still leads " << c.now() - cut << " ticks after losing its quorum\n"
      << c.report();
  const bool elected = c.run_until(
      [&] {
        const NodeId l = c.leader();
        return l != kNoNode && l != old && c.raft(l)->serving();
      },
      6 * kElection);
  ASSERT_TRUE(elected) << c.report();
  const NodeId fresh = c.leader();
  EXPECT_GT(c.raft(fresh)->term(), term);
  EXPECT_EQ(c.raft(old)->term(), term) << "the isolated node should not campaign (pre-vote)";
  c.heal_partitions();
  auto after = propose_all(c, fresh, "b", 3);
  ASSERT_TRUE(c.run_until([&] { return all_applied_by(c, c.ids(), after); }, 5 * kElection))
      << c.report();
}

// (c) §3.10 leadership transfer to a follower that missed many entries: the leader catches it up
// before sending TimeoutNow, the target wins, and no acknowledged entry is lost.
TEST(Scenario, TransferLeadershipToLaggingFollower) {
  SimOptions o = quiet();
  o.max_msg_bytes = 128;  // catching up takes several rounds
  o.max_inflight_msgs = 4;
  SimCluster c(o);
  const NodeId old = elect(c);
  ASSERT_NE(old, kNoNode);
  const NodeId target = followers_of(c, old)[1];
  c.isolate({target});
  auto acked = propose_all(c, old, "c", 300);
  ASSERT_TRUE(c.run_until([&] { return all_applied_by(c, {old}, acked); }, 10 * kElection))
      << c.report();
  ASSERT_FALSE(c.applied_by(target, acked.back()));

  bool timeout_now_sent = false;
  LogIndex target_match, leader_last;
  c.set_send_observer([&](const Message& m) {
    if (m.type != MessageType::kTimeoutNow) return;
    timeout_now_sent = true;
    const Raft* r = c.raft(m.from);
    target_match = r->progress().at(m.to).match;
    leader_last = r->last_index();
  });
  c.heal_partitions();
  ASSERT_TRUE(c.transfer_leadership(old, target).is_ok());
  const bool moved = c.run_until([&] { return c.leader() == target && c.raft(target)->serving(); },
                                 10 * kElection);
  ASSERT_TRUE(moved) << c.report();
  ASSERT_TRUE(timeout_now_sent);
  EXPECT_EQ(target_match, leader_last) << "TimeoutNow sent before the target was caught up";
  for (const Proposal& p : acked) {
    ASSERT_TRUE(c.raft(target)->log().match_term(p.index, p.term)) << p.value;
  }
  auto after = propose_all(c, target, "c-after", 3);
  ASSERT_TRUE(c.run_until([&] { return all_applied_by(c, c.ids(), after); }, 5 * kElection))
      << c.report();
  EXPECT_TRUE(all_applied_by(c, c.ids(), acked));
}

// (d) With preferred_leader set, leadership settles on that node, and returns to it after it was
// cut off and healed.
TEST(Scenario, PreferredLeaderEndsUpLeading) {
  SimOptions o = quiet();
  o.preferred_leader = NodeId(3);
  SimCluster c(o);
  const auto on_preferred = [&] { return c.leader() == NodeId(3) && c.raft(NodeId(3))->serving(); };
  ASSERT_TRUE(c.run_until(on_preferred, 20 * kElection)) << c.report();
  c.isolate({NodeId(3)});
  ASSERT_TRUE(c.run_until(
      [&] {
        const NodeId l = c.leader();
        return l != kNoNode && l != NodeId(3) && c.raft(l)->serving();
      },
      10 * kElection))
      << c.report();
  auto during = propose_all(c, c.leader(), "d", 20);
  c.heal_partitions();
  ASSERT_TRUE(c.run_until(on_preferred, 20 * kElection)) << c.report();
  ASSERT_TRUE(c.run_until([&] { return all_applied_by(c, c.ids(), during); }, 5 * kElection))
      << c.report();
  c.run(5 * kElection);  // and it stays there
  EXPECT_EQ(c.leader(), NodeId(3));
  ASSERT_TRUE(c.ok()) << c.report();
}

// (e) A follower that was down while 1000 entries committed is caught up after it restarts.
TEST(Scenario, FarBehindFollowerCatchesUp) {
  for (KeepApplied keep : {KeepApplied::kYes, KeepApplied::kNo}) {
    SimOptions o = quiet(3, 5);
    o.max_msg_bytes = 256;
    o.max_inflight_msgs = 8;
    SimCluster c(o);
    const NodeId leader = elect(c);
    ASSERT_NE(leader, kNoNode);
    auto before = propose_all(c, leader, "e-before", 10);
    ASSERT_TRUE(c.run_until([&] { return all_applied_by(c, c.ids(), before); }, 5 * kElection));
    const NodeId f = followers_of(c, leader)[0];
    c.crash(f, CrashPoint::kNow);
    auto acked = propose_all(c, leader, "e", 1000);
    ASSERT_TRUE(c.run_until([&] { return all_applied_by(c, {leader}, acked); }, 20 * kElection))
        << c.report();
    c.run(3 * kElection);
    c.restart(f, keep);
    ASSERT_TRUE(c.run_until([&] { return all_applied_by(c, {f}, acked); }, 20 * kElection))
        << c.report();
    EXPECT_EQ(c.leader(), leader);
    EXPECT_EQ(c.storage(f).last_index(), c.storage(leader).last_index());
    ASSERT_TRUE(c.ok()) << c.report();
  }
}

// (f) §5.3: an old leader's uncommitted suffix, written while it was cut off, is replaced by the
// new leader's entries when it rejoins; none of those values is ever applied.
TEST(Scenario, DivergentSuffixOnOldLeaderIsTruncated) {
  for (int nodes : {3, 5}) {
    SimCluster c(quiet(nodes, 7));
    const NodeId old = elect(c);
    ASSERT_NE(old, kNoNode);
    auto first = propose_all(c, old, "f-first", 5);
    ASSERT_TRUE(c.run_until([&] { return all_applied_by(c, c.ids(), first); }, 5 * kElection));

    c.isolate({old});
    auto doomed = propose_all(c, old, "f-doomed", 5);
    ASSERT_EQ(doomed.size(), 5u);
    ASSERT_TRUE(c.run_until(
        [&] {
          const NodeId l = c.leader();
          return l != kNoNode && l != old && c.raft(l)->serving();
        },
        10 * kElection))
        << c.report();
    const NodeId fresh = c.leader();
    auto winners = propose_all(c, fresh, "f-new", 10);
    auto majority = followers_of(c, old);
    ASSERT_TRUE(c.run_until([&] { return all_applied_by(c, majority, winners); }, 5 * kElection))
        << c.report();
    EXPECT_TRUE(contains_value(c, old, "f-doomed0"));

    c.heal_partitions();
    ASSERT_TRUE(c.run_until([&] { return all_applied_by(c, c.ids(), winners); }, 10 * kElection))
        << c.report();
    for (const Proposal& p : doomed) {
      for (NodeId id : c.ids()) {
        EXPECT_FALSE(contains_value(c, id, p.value)) << p.value << " survived on n" << id;
      }
      for (const Proposal& a : c.acknowledged()) EXPECT_NE(a.value, p.value);
    }
    EXPECT_EQ(c.storage(old).last_index(), c.storage(fresh).last_index());
    c.invariants().check_final();
    ASSERT_TRUE(c.ok()) << c.report();
  }
}

}  // namespace
}  // namespace rmq::dledger::sim
