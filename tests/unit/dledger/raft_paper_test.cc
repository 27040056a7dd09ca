// Paper tests for the Raft core (STYLE.md §5, layer 1; modeled on etcd's raft_paper_test.go).
// Each test is named after, and quotes, the sentence of the Raft paper ("In Search of an
// Understandable Consensus Algorithm", §5) or of Ongaro's thesis that it checks. The tests drive a
// single Raft (or two or three through a tiny in-test network) with hand-built messages and assert
// exact message types, terms and indexes.
#include "common/status.h"
#include "dledger/memory_log_storage.h"
#include "dledger/raft.h"
#include "dledger/raft_log.h"
#include "tests/unit/dledger/raft_test_util.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace rmq::dledger {
namespace {

using namespace testing;  // NOLINT: rmq::dledger::testing helpers

constexpr int kElection = 10;  // NodeSpec default election_ticks

bool has_type(const Drained& d, MessageType t) { return !filter(d.messages, t).empty(); }

std::vector<Message> sorted(std::vector<Message> ms) {
  sort_by_recipient(ms);
  return ms;
}

// ---------------------------------------------------------------------------------------------
// §5.1 Terms

// §5.1: "Current terms are exchanged whenever servers communicate; if one server's current term is
// smaller than the other's, then it updates its current term to the larger value. If a candidate
// or leader discovers that its term is out of date, it immediately reverts to follower state."
void check_update_term_from_message(Role role) {
  auto n = make_node(NodeSpec());
  switch (role) {
    case Role::kFollower:
      n->deliver(heartbeat_msg(2, 1, 1));
      break;
    case Role::kCandidate:
      n->raft().campaign();
      n->drain();
      break;
    case Role::kLeader:
      n->elect();
      break;
    default:
      FAIL() << "unexpected role";
  }
  ASSERT_EQ(n->raft().role(), role);
  ASSERT_EQ(n->raft().term(), Term(1));

  Drained d = n->deliver(append_msg(3, 1, 2, 0, 0));
  EXPECT_EQ(n->raft().term(), Term(2));
  EXPECT_EQ(n->raft().role(), Role::kFollower);
  EXPECT_EQ(n->raft().leader(), nid(3));
  EXPECT_EQ(n->storage().hard_state().term, Term(2)) << "the new term must be persisted";
  auto resp = filter(d.messages, MessageType::kAppendResponse, nid(3));
  ASSERT_EQ(resp.size(), 1u) << describe(d.messages);
  EXPECT_EQ(resp[0].term, Term(2));
  EXPECT_FALSE(resp[0].reject);
}

TEST(RaftPaperTest, FollowerUpdatesTermFromMessage) {
  check_update_term_from_message(Role::kFollower);
}
TEST(RaftPaperTest, CandidateUpdatesTermFromMessage) {
  check_update_term_from_message(Role::kCandidate);
}
TEST(RaftPaperTest, LeaderUpdatesTermFromMessage) {
  check_update_term_from_message(Role::kLeader);

  // A leader also learns of a newer term from a follower's response: it steps down without
  // knowing the new leader.
  auto n = make_node(NodeSpec());
  n->elect();
  ASSERT_EQ(n->raft().role(), Role::kLeader);
  n->deliver(append_ok(3, 1, 2, 0));
  EXPECT_EQ(n->raft().role(), Role::kFollower);
  EXPECT_EQ(n->raft().term(), Term(2));
  EXPECT_EQ(n->raft().leader(), kNoNode);
}

// §5.1: "If a server receives a request with a stale term number, it rejects the request."
TEST(RaftPaperTest, RejectStaleTermMessage) {
  auto n = make_node(NodeSpec().with_hard_state(2));

  Drained d = n->deliver(append_msg(2, 1, 1, 0, 0, {data_entry(1, 1, "x")}, 1));
  EXPECT_EQ(n->raft().last_index(), idx(0)) << "stale append must not touch the log";
  EXPECT_EQ(n->raft().commit(), idx(0));
  EXPECT_EQ(n->raft().term(), Term(2));
  EXPECT_EQ(n->raft().leader(), kNoNode) << "a stale leader is not recognized";
  EXPECT_TRUE(d.entries.empty());
  for (const auto& m : d.messages) {
    EXPECT_EQ(m.term, Term(2)) << "any answer carries the newer term: " << describe(m);
    EXPECT_FALSE(m.type == MessageType::kAppendResponse && !m.reject && m.log_index > idx(0))
        << "stale append acknowledged: " << describe(m);
  }

  d = n->deliver(vote_msg(MessageType::kVote, 3, 1, 1, 5, 1));
  EXPECT_EQ(n->raft().vote(), kNoNode) << "no vote for a stale candidate";
  EXPECT_EQ(n->raft().term(), Term(2));
  for (const auto& m : filter(d.messages, MessageType::kVoteResponse)) {
    EXPECT_TRUE(m.reject) << describe(m);
    EXPECT_EQ(m.term, Term(2));
  }

  n->deliver(heartbeat_msg(2, 1, 1));
  EXPECT_EQ(n->raft().leader(), kNoNode);
  EXPECT_EQ(n->raft().role(), Role::kFollower);
}

// ---------------------------------------------------------------------------------------------
// §5.2 Leader election

// §5.2: "When servers start up, they begin as followers."
TEST(RaftPaperTest, StartAsFollower) {
  auto n = make_node(NodeSpec());
  EXPECT_EQ(n->raft().role(), Role::kFollower);
  EXPECT_EQ(n->raft().term(), Term(0));
  EXPECT_EQ(n->raft().leader(), kNoNode);
  EXPECT_EQ(n->raft().vote(), kNoNode);

  // A restart is a start too: persisted term, vote, log and commit come back, the role does not.
  auto r = make_node(NodeSpec().with_log({1, 2}).with_hard_state(3, 2, 1));
  EXPECT_EQ(r->raft().role(), Role::kFollower);
  EXPECT_EQ(r->raft().term(), Term(3));
  EXPECT_EQ(r->raft().vote(), nid(2));
  EXPECT_EQ(r->raft().leader(), kNoNode);
  EXPECT_EQ(r->raft().last_index(), idx(2));
  EXPECT_EQ(r->raft().commit(), idx(1));
}

// §5.2: "Leaders send periodic heartbeats (AppendEntries RPCs that carry no log entries) to all
// followers in order to maintain their authority."
TEST(RaftPaperTest, LeaderBroadcastHeartbeat) {
  auto n = make_node(NodeSpec().with_heartbeat_ticks(3));
  n->elect_and_commit_noop();
  n->propose("x");
  auto apps = sorted(filter(n->drain().messages, MessageType::kAppend));
  ASSERT_EQ(apps.size(), 2u);
  n->deliver(accept(apps[0]));  // follower 2 has entry 2, follower 3 only the no-op
  ASSERT_EQ(n->raft().commit(), idx(2));

  for (int t = 1; t <= 6; ++t) {
    Drained d = n->tick();
    if (t % 3 != 0) {
      EXPECT_TRUE(d.messages.empty()) << "tick " << t << ":\n" << describe(d.messages);
      continue;
    }
    auto hb = sorted(d.messages);
    ASSERT_EQ(hb.size(), 2u) << "tick " << t << ":\n" << describe(d.messages);
    for (size_t k = 0; k < hb.size(); ++k) {
      EXPECT_EQ(hb[k].type, MessageType::kHeartbeat) << describe(hb[k]);
      EXPECT_EQ(hb[k].from, nid(1));
      EXPECT_EQ(hb[k].to, nid(static_cast<uint32_t>(k + 2)));
      EXPECT_EQ(hb[k].term, Term(1));
      EXPECT_TRUE(hb[k].entries.empty());
    }
    // The commit index rides along, capped at what each follower is known to hold (a follower
    // must never commit an entry it has not been shown to match).
    EXPECT_EQ(hb[0].commit, idx(2));
    EXPECT_EQ(hb[1].commit, idx(1));
  }
}

// §5.2: "If a follower receives no communication over a period of time called the election timeout,
// then it assumes there is no viable leader and begins an election to choose a new leader. To
// begin an election, a follower increments its current term and transitions to candidate state. It
// then votes for itself and issues RequestVote RPCs in parallel to each of the other servers."
TEST(RaftPaperTest, FollowerStartElection) {
  auto n = make_node(NodeSpec().with_log({1}).with_hard_state(1));
  n->deliver(heartbeat_msg(2, 1, 1));
  ASSERT_EQ(n->raft().leader(), nid(2));

  Drained d;
  int t = n->tick_until([](const Drained& x) { return has_type(x, MessageType::kVote); },
                        2 * kElection, &d);
  ASSERT_GE(t, kElection) << "campaigned before the election timeout";
  ASSERT_LT(t, 2 * kElection);
  EXPECT_EQ(n->raft().role(), Role::kCandidate);
  EXPECT_EQ(n->raft().term(), Term(2));
  EXPECT_EQ(n->raft().vote(), nid(1));
  EXPECT_EQ(n->raft().leader(), kNoNode);
  ASSERT_FALSE(d.hard_states.empty());
  EXPECT_EQ(d.hard_states.back().term, Term(2));
  EXPECT_EQ(d.hard_states.back().vote, nid(1));

  auto votes = sorted(d.messages);
  ASSERT_EQ(votes.size(), 2u) << describe(d.messages);
  for (size_t k = 0; k < votes.size(); ++k) {
    EXPECT_EQ(votes[k].type, MessageType::kVote);
    EXPECT_EQ(votes[k].from, nid(1));
    EXPECT_EQ(votes[k].to, nid(static_cast<uint32_t>(k + 2)));
    EXPECT_EQ(votes[k].term, Term(2));
    EXPECT_EQ(votes[k].log_index, idx(1));
    EXPECT_EQ(votes[k].log_term, Term(1));
    EXPECT_FALSE(votes[k].transfer);
  }
}

// Thesis §9.6 (pre-vote): "a candidate would first ask other servers whether its log was up-to-date
// enough to get their vote" — the election timeout starts a pre-vote for term+1, and the node's
// own term does not move.
TEST(RaftPaperTest, FollowerStartPreVoteElection) {
  auto n = make_node(NodeSpec().with_pre_vote().with_log({1}).with_hard_state(1));
  n->deliver(heartbeat_msg(2, 1, 1));

  Drained d;
  int t = n->tick_until([](const Drained& x) { return has_type(x, MessageType::kPreVote); },
                        2 * kElection, &d);
  ASSERT_GE(t, kElection);
  ASSERT_LT(t, 2 * kElection);
  EXPECT_EQ(n->raft().role(), Role::kPreCandidate);
  EXPECT_EQ(n->raft().term(), Term(1)) << "pre-vote must not bump the term";
  EXPECT_EQ(n->raft().vote(), kNoNode);
  EXPECT_EQ(n->storage().hard_state().term, Term(1));

  auto pv = sorted(d.messages);
  ASSERT_EQ(pv.size(), 2u) << describe(d.messages);
  for (size_t k = 0; k < pv.size(); ++k) {
    EXPECT_EQ(pv[k].type, MessageType::kPreVote);
    EXPECT_EQ(pv[k].to, nid(static_cast<uint32_t>(k + 2)));
    EXPECT_EQ(pv[k].term, Term(2)) << "pre-vote carries the term it would campaign in";
    EXPECT_EQ(pv[k].log_index, idx(1));
    EXPECT_EQ(pv[k].log_term, Term(1));
  }
}

// §5.2: "The third possible outcome is that a candidate neither wins nor loses the election ...
// When this happens, each candidate will time out and start a new election by incrementing its term
// and initiating another round of RequestVote RPCs."
TEST(RaftPaperTest, CandidateStartNewElection) {
  auto n = make_node(NodeSpec().with_hard_state(1));
  n->raft().campaign();
  n->drain();
  ASSERT_EQ(n->raft().role(), Role::kCandidate);
  ASSERT_EQ(n->raft().term(), Term(2));

  Drained d;
  int t = n->tick_until([](const Drained& x) { return has_type(x, MessageType::kVote); },
                        2 * kElection, &d);
  ASSERT_GE(t, kElection);
  ASSERT_LT(t, 2 * kElection);
  EXPECT_EQ(n->raft().role(), Role::kCandidate);
  EXPECT_EQ(n->raft().term(), Term(3));
  EXPECT_EQ(n->raft().vote(), nid(1));
  auto votes = sorted(d.messages);
  ASSERT_EQ(votes.size(), 2u) << describe(d.messages);
  for (size_t k = 0; k < votes.size(); ++k) {
    EXPECT_EQ(votes[k].type, MessageType::kVote);
    EXPECT_EQ(votes[k].to, nid(static_cast<uint32_t>(k + 2)));
    EXPECT_EQ(votes[k].term, Term(3));
  }
}

// The same with pre-vote: a pre-candidate that times out starts another pre-vote round for
// term+1 and still keeps its own term.
TEST(RaftPaperTest, PreCandidateStartNewPreVote) {
  auto n = make_node(NodeSpec().with_pre_vote().with_hard_state(1));
  n->raft().campaign();
  Drained first = n->drain();
  ASSERT_EQ(n->raft().role(), Role::kPreCandidate);
  ASSERT_EQ(filter(first.messages, MessageType::kPreVote).size(), 2u);

  Drained d;
  int t = n->tick_until([](const Drained& x) { return has_type(x, MessageType::kPreVote); },
                        2 * kElection, &d);
  ASSERT_GE(t, kElection);
  ASSERT_LT(t, 2 * kElection);
  EXPECT_EQ(n->raft().role(), Role::kPreCandidate);
  EXPECT_EQ(n->raft().term(), Term(1));
  auto pv = sorted(d.messages);
  ASSERT_EQ(pv.size(), 2u) << describe(d.messages);
  for (const auto& m : pv) {
    EXPECT_EQ(m.type, MessageType::kPreVote);
    EXPECT_EQ(m.term, Term(2));
  }
}

// §5.2: "A candidate wins an election if it receives votes from a majority of the servers in the
// full cluster for the same term." ... "If the candidate receives ... [rejections from a majority]"
// it loses (returns to follower); otherwise it remains a candidate.
TEST(RaftPaperTest, LeaderElectionInOneRoundRPC) {
  struct Case {
    uint32_t size;
    std::map<uint32_t, bool> votes;  // voter -> granted
    Role want;
  };
  const Case cases[] = {
      // win
      {1, {}, Role::kLeader},
      {3, {{2, true}, {3, true}}, Role::kLeader},
      {3, {{2, true}}, Role::kLeader},
      {5, {{2, true}, {3, true}, {4, true}, {5, true}}, Role::kLeader},
      {5, {{2, true}, {3, true}, {4, true}}, Role::kLeader},
      {5, {{2, true}, {3, true}}, Role::kLeader},
      // lose
      {3, {{2, false}, {3, false}}, Role::kFollower},
      {5, {{2, false}, {3, false}, {4, false}, {5, false}}, Role::kFollower},
      {5, {{2, true}, {3, false}, {4, false}, {5, false}}, Role::kFollower},
      // undecided
      {3, {}, Role::kCandidate},
      {5, {{2, true}}, Role::kCandidate},
      {5, {{2, false}, {3, false}}, Role::kCandidate},
      {5, {}, Role::kCandidate},
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE("case " + std::to_string(i++));
    auto n = make_node(NodeSpec().with_peers(c.size));
    n->raft().campaign();
    n->drain();
    for (const auto& [from, granted] : c.votes) {
      n->deliver(vote_resp(MessageType::kVoteResponse, from, 1, 1, !granted));
    }
    EXPECT_EQ(n->raft().role(), c.want);
    EXPECT_EQ(n->raft().term(), Term(1));
    if (c.want == Role::kLeader) {
      EXPECT_EQ(n->raft().leader(), nid(1));
    }
  }
}

// §5.2: "Each server will vote for at most one candidate in a given term, on a first-come-first-
// served basis."
TEST(RaftPaperTest, FollowerVote) {
  struct Case {
    uint32_t vote;   // already cast in term 1 (0 = none)
    uint32_t nvote;  // candidate asking
    bool want_reject;
  };
  const Case cases[] = {
      {0, 2, false}, {0, 3, false}, {2, 2, false}, {3, 3, false}, {2, 3, true}, {3, 2, true},
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE("case " + std::to_string(i++));
    auto n = make_node(NodeSpec().with_hard_state(1, c.vote, 0));
    Drained d = n->deliver(vote_msg(MessageType::kVote, c.nvote, 1, 1, 0, 0));
    auto resp = filter(d.messages, MessageType::kVoteResponse);
    ASSERT_EQ(resp.size(), 1u) << describe(d.messages);
    EXPECT_EQ(resp[0].to, nid(c.nvote));
    EXPECT_EQ(resp[0].from, nid(1));
    EXPECT_EQ(resp[0].term, Term(1));
    EXPECT_EQ(resp[0].reject, c.want_reject);
    EXPECT_EQ(n->raft().vote(), c.want_reject ? nid(c.vote) : nid(c.nvote));
    EXPECT_EQ(n->storage().hard_state().vote, n->raft().vote());
  }
}

// §5.2: "While waiting for votes, a candidate may receive an AppendEntries RPC from another server
// claiming to be leader. If the leader's term (included in its RPC) is at least as large as the
// candidate's current term, then the candidate recognizes the leader as legitimate and returns to
// follower state. If the term in the RPC is smaller than the candidate's current term, then the
// candidate rejects the RPC and continues in candidate state."
TEST(RaftPaperTest, CandidateFallback) {
  for (uint64_t t : {2, 3}) {
    SCOPED_TRACE("append term " + std::to_string(t));
    auto n = make_node(NodeSpec().with_hard_state(1));
    n->raft().campaign();
    n->drain();
    ASSERT_EQ(n->raft().role(), Role::kCandidate);
    ASSERT_EQ(n->raft().term(), Term(2));
    Drained d = n->deliver(append_msg(2, 1, t, 0, 0));
    EXPECT_EQ(n->raft().role(), Role::kFollower);
    EXPECT_EQ(n->raft().term(), Term(t));
    EXPECT_EQ(n->raft().leader(), nid(2));
    auto resp = filter(d.messages, MessageType::kAppendResponse, nid(2));
    ASSERT_EQ(resp.size(), 1u) << describe(d.messages);
    EXPECT_FALSE(resp[0].reject);
    EXPECT_EQ(resp[0].term, Term(t));
  }

  auto n = make_node(NodeSpec().with_hard_state(1));
  n->raft().campaign();
  n->drain();
  n->deliver(append_msg(2, 1, 1, 0, 0));
  EXPECT_EQ(n->raft().role(), Role::kCandidate) << "a stale leader must not stop the election";
  EXPECT_EQ(n->raft().term(), Term(2));
}

// §5.2: "Raft uses randomized election timeouts to ensure that split votes are rare ... election
// timeouts are chosen randomly from a fixed interval (e.g., 150–300ms)." Here: [et, 2et) ticks,
// redrawn whenever a follower starts a new term.
TEST(RaftPaperTest, FollowerElectionTimeoutRandomized) {
  auto n = make_node(NodeSpec());
  std::set<int> seen;
  for (int round = 0; round < 50 * kElection; ++round) {
    n->deliver(heartbeat_msg(2, 1, n->raft().term().value() + 1));
    ASSERT_EQ(n->raft().role(), Role::kFollower);
    int t = n->tick_until([&](const Drained&) { return n->raft().role() == Role::kCandidate; },
                          4 * kElection);
    ASSERT_GE(t, kElection) << "round " << round;
    ASSERT_LT(t, 2 * kElection) << "round " << round;
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kElection)) << "every timeout in [et, 2et) occurs";
}

// §5.2 (as above), for candidates: each new election redraws the timeout.
TEST(RaftPaperTest, CandidateElectionTimeoutRandomized) {
  auto n = make_node(NodeSpec());
  n->raft().campaign();
  n->drain();
  std::set<int> seen;
  for (int round = 0; round < 50 * kElection; ++round) {
    const Term before = n->raft().term();
    int t = n->tick_until([&](const Drained&) { return n->raft().term() > before; }, 4 * kElection);
    ASSERT_GE(t, kElection) << "round " << round;
    ASSERT_LT(t, 2 * kElection) << "round " << round;
    ASSERT_EQ(n->raft().term(), before.next());
    ASSERT_EQ(n->raft().role(), Role::kCandidate);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kElection));
}

// §5.2: "election timeouts are chosen randomly ... This spreads out the servers so that in most
// cases only a single server will time out". With five followers (seeded differently) the first
// timeout is shared by more than one server in well under a third of the rounds (expected ~23%).
TEST(RaftPaperTest, FollowersElectionTimeoutNonconflict) {
  constexpr int kRounds = 1000;
  constexpr uint32_t kSize = 5;
  int conflicts = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::unique_ptr<TestNode>> nodes;
    for (uint32_t id = 1; id <= kSize; ++id) {
      nodes.push_back(make_node(NodeSpec().with_id(id).with_peers(kSize).with_seed(
          static_cast<uint64_t>(round) * kSize + id)));
    }
    int timed_out = 0;
    for (int tick = 0; timed_out == 0 && tick < 4 * kElection; ++tick) {
      for (auto& n : nodes) {
        n->tick();
        if (n->raft().role() != Role::kFollower) ++timed_out;
      }
    }
    ASSERT_GT(timed_out, 0);
    if (timed_out > 1) ++conflicts;
  }
  EXPECT_LE(conflicts, kRounds * 3 / 10) << conflicts << " of " << kRounds << " rounds conflicted";
  EXPECT_GT(conflicts, 0) << "timeouts are not random at all";
}

// ---------------------------------------------------------------------------------------------
// §5.3 Log replication

// §5.3: "Once a leader has been elected, it begins servicing client requests. ... The leader
// appends the command to its log as a new entry, then issues AppendEntries RPCs in parallel to each
// of the other servers to replicate the entry."
TEST(RaftPaperTest, LeaderStartReplication) {
  auto n = make_node(NodeSpec());
  n->elect_and_commit_noop();
  const LogIndex li = n->raft().last_index();
  ASSERT_EQ(li, idx(1));

  LogIndex i = n->propose("some data");
  EXPECT_EQ(i, idx(2));
  EXPECT_EQ(n->raft().last_index(), idx(2));
  Drained d = n->drain();

  const Entry want = data_entry(1, 2, "some data");
  EXPECT_EQ(d.entries, std::vector<Entry>{want}) << describe(d.entries);
  EXPECT_EQ(all_entries(n->storage()).back(), want);

  auto apps = sorted(d.messages);
  ASSERT_EQ(apps.size(), 2u) << describe(d.messages);
  for (size_t k = 0; k < apps.size(); ++k) {
    EXPECT_EQ(apps[k].type, MessageType::kAppend) << describe(apps[k]);
    EXPECT_EQ(apps[k].from, nid(1));
    EXPECT_EQ(apps[k].to, nid(static_cast<uint32_t>(k + 2)));
    EXPECT_EQ(apps[k].term, Term(1));
    EXPECT_EQ(apps[k].log_index, li) << "prev index";
    EXPECT_EQ(apps[k].log_term, Term(1)) << "prev term";
    EXPECT_EQ(apps[k].entries, std::vector<Entry>{want}) << describe(apps[k]);
    EXPECT_EQ(apps[k].commit, li);
  }
}

// §5.3: "A log entry is committed once the leader that created the entry has replicated it on a
// majority of the servers ... The leader keeps track of the highest index it knows to be
// committed, and it includes that index in future AppendEntries RPCs (including heartbeats) so
// that the other servers eventually find out."
TEST(RaftPaperTest, LeaderCommitEntry) {
  auto n = make_node(NodeSpec());
  n->elect_and_commit_noop();
  const LogIndex li = n->raft().last_index();
  n->propose("some data");
  auto apps = sorted(filter(n->drain().messages, MessageType::kAppend));
  ASSERT_EQ(apps.size(), 2u);

  Drained d = n->deliver(accept(apps[0]));  // follower 2: leader + 2 = majority of 3
  EXPECT_EQ(n->raft().commit(), li.next());
  ASSERT_FALSE(d.commits.empty());
  EXPECT_EQ(d.commits.back(), li.next()) << "the Ready hands the commit to the driver";
  EXPECT_EQ(n->storage().hard_state().commit, li.next());
  d.merge(n->deliver(accept(apps[1])));

  for (uint32_t f : {2u, 3u}) {
    auto to_f = filter(d.messages, MessageType::kAppend, nid(f));
    ASSERT_EQ(to_f.size(), 1u) << "follower " << f << ":\n" << describe(d.messages);
    EXPECT_EQ(to_f[0].commit, li.next()) << describe(to_f[0]);
    EXPECT_EQ(to_f[0].log_index, li.next());
    EXPECT_EQ(to_f[0].log_term, Term(1));
    EXPECT_TRUE(to_f[0].entries.empty());
  }
}

// §5.3: "A log entry is committed once the leader that created the entry has replicated it on a
// majority of the servers".
TEST(RaftPaperTest, LeaderAcknowledgeCommit) {
  struct Case {
    uint32_t size;
    std::set<uint32_t> acceptors;
    bool want_ack;
  };
  const Case cases[] = {
      {1, {}, true},     {3, {}, false},       {3, {2}, true},
      {3, {2, 3}, true}, {5, {}, false},       {5, {2}, false},
      {5, {2, 3}, true}, {5, {2, 3, 4}, true}, {5, {2, 3, 4, 5}, true},
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE("case " + std::to_string(i++));
    auto n = make_node(NodeSpec().with_peers(c.size));
    n->elect_and_commit_noop();
    const LogIndex li = n->raft().last_index();
    n->propose("some data");
    Drained d = n->drain();
    for (const auto& m : filter(d.messages, MessageType::kAppend)) {
      if (c.acceptors.count(m.to.value())) n->deliver(accept(m));
    }
    EXPECT_EQ(n->raft().commit() > li, c.want_ack) << "commit=" << n->raft().commit();
  }
}

// §5.3: "This also commits all preceding entries in the leader's log, including entries created by
// previous leaders."
TEST(RaftPaperTest, LeaderCommitPrecedingEntries) {
  const std::vector<std::vector<uint64_t>> cases = {{}, {2}, {1, 2}, {1}};
  int i = 0;
  for (const auto& prior : cases) {
    SCOPED_TRACE("case " + std::to_string(i++));
    auto n = make_node(NodeSpec().with_log(prior).with_hard_state(2));
    Drained d = n->elect();
    ASSERT_EQ(n->raft().term(), Term(3));
    n->propose("some data");
    d.merge(n->drain());
    n->replicate(std::move(d.messages), {2, 3});

    const int64_t li = static_cast<int64_t>(prior.size());
    std::vector<Entry> want = entries_with_terms(prior);
    want.push_back(make_entry(3, li + 1, EntryType::kNoop));
    want.push_back(data_entry(3, li + 2, "some data"));
    EXPECT_EQ(n->raft().commit(), idx(li + 2));
    EXPECT_EQ(all_entries(n->storage()), want) << describe(all_entries(n->storage()));
  }
}

// §5.3: "Once a follower learns that a log entry is committed, it applies the entry to its local
// state machine (in log order)."
TEST(RaftPaperTest, FollowerCommitEntry) {
  struct Case {
    std::vector<Entry> entries;
    int64_t commit;
  };
  const Case cases[] = {
      {{data_entry(1, 1, "some data")}, 1},
      {{data_entry(1, 1, "some data"), data_entry(1, 2, "some data2")}, 2},
      {{data_entry(1, 1, "some data2"), data_entry(1, 2, "some data")}, 2},
      {{data_entry(1, 1, "some data"), data_entry(1, 2, "some data2")}, 1},
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE("case " + std::to_string(i++));
    auto n = make_node(NodeSpec().with_hard_state(1));
    Drained d = n->deliver(append_msg(2, 1, 1, 0, 0, c.entries, c.commit));
    EXPECT_EQ(n->raft().commit(), idx(c.commit));
    ASSERT_FALSE(d.commits.empty());
    EXPECT_EQ(d.commits.back(), idx(c.commit));
    EXPECT_EQ(n->storage().hard_state().commit, idx(c.commit));
    EXPECT_EQ(all_entries(n->storage()), c.entries);
    auto resp = filter(d.messages, MessageType::kAppendResponse, nid(2));
    ASSERT_EQ(resp.size(), 1u) << describe(d.messages);
    EXPECT_FALSE(resp[0].reject);
    EXPECT_EQ(resp[0].log_index, idx(static_cast<int64_t>(c.entries.size())));
  }
}

// Figure 2, AppendEntries receiver: "If leaderCommit > commitIndex, set commitIndex =
// min(leaderCommit, index of last new entry)" — entries past those the append verified may
// diverge from the leader's log and must not be committed on its word.
TEST(RaftPaperTest, FollowerCommitsOnlyVerifiedEntries) {
  struct Case {
    int64_t prev_index;
    std::vector<Entry> entries;
    int64_t leader_commit;
    int64_t want_commit;
  };
  const Case cases[] = {
      {1, {}, 3, 1},                  // only entry 1 is known to match
      {1, {make_entry(1, 2)}, 3, 2},  // entries 1..2 match
      {2, {make_entry(2, 3)}, 3, 3},  // entry 3 replaced by the leader's: all of it matches
      {3, {}, 2, 2},                  // leaderCommit is the smaller bound
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE("case " + std::to_string(i++));
    auto n = make_node(NodeSpec().with_log({1, 1, 1}).with_hard_state(1));
    n->deliver(append_msg(2, 1, 2, c.prev_index, 1, c.entries, c.leader_commit));
    EXPECT_EQ(n->raft().commit(), idx(c.want_commit));
    EXPECT_EQ(n->storage().hard_state().commit, idx(c.want_commit));
  }
}

// §5.3: "When sending an AppendEntries RPC, the leader includes the index and term of the entry in
// its log that immediately precedes the new entries. If the follower does not find an entry in its
// log with the same index and term, then it refuses the new entries." The refusal carries a hint
// for fast backtracking: the follower's last index <= prev index, and its term there (the leader
// then skips back to its last entry of at most that term).
TEST(RaftPaperTest, FollowerCheckAppend) {
  struct Case {
    uint64_t prev_term;
    int64_t prev_index;
    bool want_reject;
    int64_t want_index;  // success: last matching index; reject: the rejected prev index
    int64_t want_hint;
    uint64_t want_hint_term;
  };
  const Case cases[] = {
      {1, 1, false, 1, 0, 0},  // match on a committed entry
      {2, 2, false, 2, 0, 0},  // match on an uncommitted entry
      {1, 2, true, 2, 2, 2},   // term mismatch at 2: hint is our entry 2 and its term
      {3, 3, true, 3, 2, 2},   // index beyond our log: hint is our last entry
      {1, 4, true, 4, 2, 2},   // far beyond our log: still our last entry
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE("case " + std::to_string(i++));
    auto n = make_node(NodeSpec().with_log({1, 2}).with_hard_state(2, 0, 1));
    Drained d = n->deliver(append_msg(2, 1, 2, c.prev_index, c.prev_term, {}, 1));
    auto resp = filter(d.messages, MessageType::kAppendResponse, nid(2));
    ASSERT_EQ(resp.size(), 1u) << describe(d.messages);
    EXPECT_EQ(resp[0].term, Term(2));
    EXPECT_EQ(resp[0].reject, c.want_reject) << describe(resp[0]);
    EXPECT_EQ(resp[0].log_index, idx(c.want_index)) << describe(resp[0]);
    if (c.want_reject) {
      EXPECT_EQ(resp[0].reject_hint, idx(c.want_hint)) << describe(resp[0]);
      EXPECT_EQ(resp[0].reject_hint_term, Term(c.want_hint_term)) << describe(resp[0]);
    }
    EXPECT_EQ(all_entries(n->storage()), entries_with_terms({1, 2})) << "the log is unchanged";
  }
}

// §5.3: "If an existing entry conflicts with a new one (same index but different terms), delete the
// existing entry and all that follow it; append any new entries not already in the log."
TEST(RaftPaperTest, FollowerAppendEntries) {
  struct Case {
    int64_t prev_index;
    uint64_t prev_term;
    std::vector<Entry> entries;
    std::vector<Entry> want_log;
    std::vector<Entry> want_ready;  // handed to the driver to persist
  };
  auto e = [](uint64_t t, int64_t i) { return make_entry(t, i); };
  const Case cases[] = {
      {2, 2, {e(3, 3)}, {e(1, 1), e(2, 2), e(3, 3)}, {e(3, 3)}},
      {1, 1, {e(3, 2), e(4, 3)}, {e(1, 1), e(3, 2), e(4, 3)}, {e(3, 2), e(4, 3)}},
      {0, 0, {e(1, 1)}, {e(1, 1), e(2, 2)}, {}},
      {0, 0, {e(3, 1)}, {e(3, 1)}, {e(3, 1)}},
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE("case " + std::to_string(i++));
    auto n = make_node(NodeSpec().with_log({1, 2}).with_hard_state(2));
    Drained d = n->deliver(append_msg(2, 1, 4, c.prev_index, c.prev_term, c.entries));
    EXPECT_EQ(d.entries, c.want_ready) << describe(d.entries);
    EXPECT_EQ(all_entries(n->storage()), c.want_log) << describe(all_entries(n->storage()));
    EXPECT_EQ(n->raft().last_index(), c.want_log.back().index);
    auto resp = filter(d.messages, MessageType::kAppendResponse, nid(2));
    ASSERT_EQ(resp.size(), 1u) << describe(d.messages);
    EXPECT_FALSE(resp[0].reject);
    EXPECT_EQ(resp[0].log_index, idx(c.prev_index + static_cast<int64_t>(c.entries.size())));
  }
}

// §5.3: "In Raft, the leader handles inconsistencies by forcing the followers' logs to duplicate
// its own. ... the leader must find the latest log entry where the two logs agree, delete any
// entries in the follower's log after that point, and send the follower all of the leader's entries
// after that point." The follower logs are those of Figure 7 (a)–(f).
TEST(RaftPaperTest, LeaderSyncFollowerLog) {
  const std::vector<uint64_t> leader_log = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
  const std::vector<std::vector<uint64_t>> followers = {
      {1, 1, 1, 4, 4, 5, 5, 6, 6},           // (a) missing one entry
      {1, 1, 1, 4},                          // (b) missing many
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6},     // (c) an extra uncommitted entry of term 6
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7},  // (d) extra entries of a later term
      {1, 1, 1, 4, 4, 4, 4},                 // (e) missing entries, extra term-4 entries
      {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3},     // (f) a whole divergent tail
  };
  int i = 0;
  for (const auto& flog : followers) {
    SCOPED_TRACE(std::string("figure 7 (") + static_cast<char>('a' + i++) + ")");
    Network net;  // node 3 exists only as a vote below; messages to it are dropped
    TestNode& lead = net.add(NodeSpec().with_id(1).with_log(leader_log).with_hard_state(8));
    TestNode& fol = net.add(NodeSpec().with_id(2).with_log(flog).with_hard_state(7));
    lead.raft().campaign();
    net.stabilize();
    if (lead.raft().role() != Role::kLeader) {
      net.send(vote_resp(MessageType::kVoteResponse, 3, 1, 9, false));
      net.stabilize();
    }
    ASSERT_EQ(lead.raft().role(), Role::kLeader);
    ASSERT_EQ(lead.raft().term(), Term(9));

    std::vector<Entry> want = entries_with_terms(leader_log);
    want.push_back(make_entry(9, 11, EntryType::kNoop));
    EXPECT_EQ(all_entries(lead.storage()), want) << describe(all_entries(lead.storage()));
    EXPECT_EQ(all_entries(fol.storage()), want) << describe(all_entries(fol.storage()));
    EXPECT_EQ(lead.raft().commit(), idx(11));
    EXPECT_EQ(fol.raft().commit(), idx(11));
    EXPECT_EQ(fol.raft().leader(), nid(1));
  }
}

// ---------------------------------------------------------------------------------------------
// §5.4 Safety

// §5.4.1: "The RequestVote RPC implements this restriction: the RPC includes information about the
// candidate's log" (lastLogIndex, lastLogTerm).
TEST(RaftPaperTest, VoteRequest) {
  struct Case {
    std::vector<Entry> entries;
    uint64_t want_term;
  };
  const Case cases[] = {
      {{make_entry(1, 1)}, 2},
      {{make_entry(1, 1), make_entry(2, 2)}, 3},
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE("case " + std::to_string(i++));
    auto n = make_node(NodeSpec());
    n->deliver(append_msg(2, 1, c.want_term - 1, 0, 0, c.entries));
    Drained d;
    int t = n->tick_until([](const Drained& x) { return has_type(x, MessageType::kVote); },
                          2 * kElection, &d);
    ASSERT_GT(t, 0) << "never campaigned";
    auto votes = sorted(d.messages);
    ASSERT_EQ(votes.size(), 2u) << describe(d.messages);
    for (size_t k = 0; k < votes.size(); ++k) {
      EXPECT_EQ(votes[k].type, MessageType::kVote);
      EXPECT_EQ(votes[k].to, nid(static_cast<uint32_t>(k + 2)));
      EXPECT_EQ(votes[k].term, Term(c.want_term));
      EXPECT_EQ(votes[k].log_index, c.entries.back().index);
      EXPECT_EQ(votes[k].log_term, c.entries.back().term);
    }
  }
}

// §5.4.1: "the voter denies its vote if its own log is more up-to-date than that of the candidate.
// ... If the logs have last entries with different terms, then the log with the later term is more
// up-to-date. If the logs end with the same term, then whichever log is longer is more up-to-date."
TEST(RaftPaperTest, Voter) {
  struct Case {
    std::vector<uint64_t> log;  // the voter's log terms
    uint64_t cand_last_term;
    int64_t cand_last_index;
    bool want_reject;
  };
  const Case cases[] = {
      // same last term
      {{1}, 1, 1, false},
      {{1}, 1, 2, false},
      {{1, 1}, 1, 1, true},
      {{1, 1}, 1, 2, false},
      // candidate has the later last term
      {{1}, 2, 1, false},
      {{1}, 2, 2, false},
      {{1, 1}, 2, 1, false},
      // voter has the later last term
      {{2}, 1, 1, true},
      {{2}, 1, 2, true},
      {{2, 2}, 1, 3, true},
      // empty voter log
      {{}, 0, 0, false},
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE("case " + std::to_string(i++));
    uint64_t voter_term = c.log.empty() ? 0 : c.log.back();
    auto n = make_node(NodeSpec().with_log(c.log).with_hard_state(voter_term));
    Drained d =
        n->deliver(vote_msg(MessageType::kVote, 2, 1, 3, c.cand_last_index, c.cand_last_term));
    auto resp = filter(d.messages, MessageType::kVoteResponse, nid(2));
    ASSERT_EQ(resp.size(), 1u) << describe(d.messages);
    EXPECT_EQ(resp[0].term, Term(3));
    EXPECT_EQ(resp[0].reject, c.want_reject);
    EXPECT_EQ(n->raft().term(), Term(3)) << "the term is adopted either way";
    EXPECT_EQ(n->raft().vote(), c.want_reject ? kNoNode : nid(2));
  }
}

// §5.4.2: "Raft never commits log entries from previous terms by counting replicas. Only log
// entries from the leader's current term are committed by counting replicas".
TEST(RaftPaperTest, LeaderOnlyCommitsLogFromCurrentTerm) {
  struct Case {
    int64_t ack;
    int64_t want_commit;
  };
  const Case cases[] = {{1, 0}, {2, 0}, {3, 3}};
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE("case " + std::to_string(i++));
    auto n = make_node(NodeSpec().with_log({1, 2}).with_hard_state(2));
    n->elect();
    ASSERT_EQ(n->raft().term(), Term(3));
    ASSERT_EQ(n->raft().last_index(), idx(3));  // the no-op of term 3
    n->deliver(append_ok(2, 1, 3, c.ack));
    EXPECT_EQ(n->raft().progress().at(nid(2)).match, idx(c.ack)) << "the ack was counted";
    EXPECT_EQ(n->raft().commit(), idx(c.want_commit));
  }
}

// ---------------------------------------------------------------------------------------------
// Extensions: thesis §9.6 pre-vote, §6.2 check-quorum and leases, §3.10 leadership transfer, and
// DESIGN.md rules on serving and durability.

// Thesis §9.6: "Only if the candidate believed it could get votes from a majority of the cluster
// would it increment its term and start a normal election."
TEST(RaftPaperTest, PreVoteDoesNotBumpTermOnRejection) {
  const NodeSpec spec = NodeSpec().with_pre_vote().with_log({1}).with_hard_state(1);
  auto n = make_node(spec);
  n->raft().campaign();
  Drained d = n->drain();
  ASSERT_EQ(n->raft().role(), Role::kPreCandidate);
  for (const auto& hs : d.hard_states) EXPECT_EQ(hs.term, Term(1)) << "pre-vote persisted a term";

  n->deliver(vote_resp(MessageType::kPreVoteResponse, 2, 1, 1, true));
  n->deliver(vote_resp(MessageType::kPreVoteResponse, 3, 1, 1, true));
  EXPECT_EQ(n->raft().role(), Role::kFollower);
  EXPECT_EQ(n->raft().term(), Term(1));
  EXPECT_EQ(n->raft().vote(), kNoNode);
  EXPECT_EQ(n->storage().hard_state().term, Term(1));

  // Contrast: a granted pre-vote from a majority starts the real election at term+1.
  auto g = make_node(spec);
  g->raft().campaign();
  g->drain();
  Drained gd = g->deliver(vote_resp(MessageType::kPreVoteResponse, 2, 1, 2, false));
  EXPECT_EQ(g->raft().role(), Role::kCandidate);
  EXPECT_EQ(g->raft().term(), Term(2));
  EXPECT_EQ(g->raft().vote(), nid(1));
  auto votes = sorted(filter(gd.messages, MessageType::kVote));
  ASSERT_EQ(votes.size(), 2u) << describe(gd.messages);
  EXPECT_EQ(votes[0].term, Term(2));
  EXPECT_EQ(votes[1].term, Term(2));
}

// Thesis §9.6, the voter's side: a pre-vote request neither changes the voter's term nor records a
// vote; the grant echoes the proposed term.
TEST(RaftPaperTest, PreVoteRequestDoesNotChangeVoterState) {
  auto n = make_node(NodeSpec().with_pre_vote().with_log({1}).with_hard_state(1));
  Drained d = n->deliver(vote_msg(MessageType::kPreVote, 2, 1, 2, 1, 1));
  auto resp = filter(d.messages, MessageType::kPreVoteResponse, nid(2));
  ASSERT_EQ(resp.size(), 1u) << describe(d.messages);
  EXPECT_FALSE(resp[0].reject);
  EXPECT_EQ(resp[0].term, Term(2));
  EXPECT_EQ(n->raft().term(), Term(1));
  EXPECT_EQ(n->raft().vote(), kNoNode);
  EXPECT_EQ(n->storage().hard_state().term, Term(1));

  // A candidate with a less up-to-date log is refused a pre-vote as well.
  d = n->deliver(vote_msg(MessageType::kPreVote, 3, 1, 2, 0, 0));
  resp = filter(d.messages, MessageType::kPreVoteResponse, nid(3));
  ASSERT_EQ(resp.size(), 1u) << describe(d.messages);
  EXPECT_TRUE(resp[0].reject);
  EXPECT_EQ(n->raft().term(), Term(1));
}

// Thesis §9.6: pre-vote stops a server that rejoins after a partition from disrupting the cluster:
// while cut off it never gets a majority of pre-votes, so its term stays put.
TEST(RaftPaperTest, PartitionedNodeWithPreVoteDoesNotDisruptLeader) {
  Network net;
  for (uint32_t id = 1; id <= 3; ++id) {
    net.add(NodeSpec().with_id(id).with_pre_vote().with_check_quorum().with_seed(id));
  }
  net.node(1).raft().campaign();
  net.stabilize();
  ASSERT_EQ(net.node(1).raft().role(), Role::kLeader);
  ASSERT_EQ(net.node(1).raft().term(), Term(1));
  net.tick(1);  // a heartbeat: every follower learns the no-op's commit
  net.stabilize();
  ASSERT_EQ(net.node(2).raft().commit(), idx(1));
  ASSERT_EQ(net.node(3).raft().commit(), idx(1));

  net.isolate(3);
  for (int t = 0; t < 10 * kElection; ++t) {
    net.tick(3);
    net.stabilize();
    ASSERT_EQ(net.node(3).raft().term(), Term(1)) << "tick " << t;
    ASSERT_NE(net.node(3).raft().role(), Role::kCandidate) << "tick " << t;
  }
  EXPECT_EQ(net.node(3).raft().role(), Role::kPreCandidate);

  // Rejoin: its next pre-vote reaches servers that hear from a live leader, and fails.
  net.heal();
  Drained d;
  int t = net.node(3).tick_until(
      [](const Drained& x) { return has_type(x, MessageType::kPreVote); }, 2 * kElection, &d);
  ASSERT_GT(t, 0);
  net.send(d.messages);
  net.stabilize();
  EXPECT_EQ(net.node(1).raft().role(), Role::kLeader);
  EXPECT_EQ(net.node(1).raft().term(), Term(1));
  EXPECT_EQ(net.node(2).raft().term(), Term(1));
  EXPECT_EQ(net.node(2).raft().leader(), nid(1));
  EXPECT_EQ(net.node(3).raft().term(), Term(1));

  // The leader's next heartbeat brings it back as a follower.
  net.tick(1);
  net.stabilize();
  EXPECT_EQ(net.node(3).raft().role(), Role::kFollower);
  EXPECT_EQ(net.node(3).raft().leader(), nid(1));
  EXPECT_EQ(net.node(1).raft().role(), Role::kLeader);
}

// Thesis §6.2: "a leader steps down if an election timeout elapses without a successful round of
// heartbeats to a majority of its cluster".
TEST(RaftPaperTest, CheckQuorumLeaderStepsDownWithoutMajority) {
  auto n = make_node(NodeSpec().with_check_quorum());
  n->elect_and_commit_noop();

  // Follower 2 alone (with the leader: a majority of 3) answers every heartbeat: no step-down.
  for (int t = 0; t < 5 * kElection; ++t) {
    Drained d = n->tick();
    for (const auto& hb : filter(d.messages, MessageType::kHeartbeat, nid(2))) {
      n->deliver(make_msg(MessageType::kHeartbeatResponse, 2, 1, hb.term.value()));
    }
    ASSERT_EQ(n->raft().role(), Role::kLeader) << "tick " << t;
  }

  // Then silence.
  int t = n->tick_until([&](const Drained&) { return n->raft().role() != Role::kLeader; },
                        4 * kElection);
  EXPECT_GE(t, kElection) << "stepped down before an election timeout of silence";
  EXPECT_LE(t, 2 * kElection) << "still leading after two election timeouts of silence";
  EXPECT_EQ(n->raft().role(), Role::kFollower);
  EXPECT_EQ(n->raft().term(), Term(1));
  EXPECT_EQ(n->raft().leader(), kNoNode);
}

// Thesis §4.2.3: "if a server receives a RequestVote request within the minimum election timeout of
// hearing from a current leader, it does not update its term or grant its vote."
TEST(RaftPaperTest, LeaderLeaseRejectsVoteWhileLeaderActive) {
  const NodeSpec spec = NodeSpec().with_id(2).with_check_quorum().with_log({1}).with_hard_state(1);
  auto n = make_node(spec);
  n->deliver(heartbeat_msg(1, 2, 1));
  ASSERT_EQ(n->raft().leader(), nid(1));
  Drained d = n->deliver(vote_msg(MessageType::kVote, 3, 2, 2, 1, 1));  // up to date candidate
  EXPECT_EQ(n->raft().term(), Term(1));
  EXPECT_EQ(n->raft().vote(), kNoNode);
  EXPECT_EQ(n->raft().leader(), nid(1));
  for (const auto& m : filter(d.messages, MessageType::kVoteResponse)) {
    EXPECT_TRUE(m.reject) << describe(m);
  }

  // Contrast: with no current leader the same request is granted.
  auto idle = make_node(spec);
  d = idle->deliver(vote_msg(MessageType::kVote, 3, 2, 2, 1, 1));
  auto resp = filter(d.messages, MessageType::kVoteResponse, nid(3));
  ASSERT_EQ(resp.size(), 1u) << describe(d.messages);
  EXPECT_FALSE(resp[0].reject);
  EXPECT_EQ(resp[0].term, Term(2));
  EXPECT_EQ(idle->raft().vote(), nid(3));
}

// Thesis §3.10: "The prior leader ... [once the target's log is up to date] sends a TimeoutNow
// request to the target server."
TEST(RaftPaperTest, TransferLeadershipSendsTimeoutNowWhenCaughtUp) {
  auto n = make_node(NodeSpec());
  n->elect_and_commit_noop();
  ASSERT_TRUE(n->raft().transfer_leadership(nid(2)).is_ok());
  Drained d = n->drain();
  auto tn = filter(d.messages, MessageType::kTimeoutNow);
  ASSERT_EQ(tn.size(), 1u) << describe(d.messages);
  EXPECT_EQ(tn[0].to, nid(2));
  EXPECT_EQ(tn[0].from, nid(1));
  EXPECT_EQ(tn[0].term, Term(1));
  EXPECT_EQ(n->raft().transferee(), nid(2));
  EXPECT_EQ(n->raft().role(), Role::kLeader) << "leads until the target wins";
}

// Thesis §3.10: "The prior leader sends AppendEntries to the target server to bring its log up to
// date" before it sends TimeoutNow.
TEST(RaftPaperTest, TransferLeadershipCatchesUpTargetFirst) {
  auto n = make_node(NodeSpec());
  n->elect_and_commit_noop();
  const LogIndex i = n->propose("x");
  auto apps = sorted(filter(n->drain().messages, MessageType::kAppend));
  ASSERT_EQ(apps.size(), 2u);
  n->deliver(accept(apps[1]));  // only follower 3 has it
  ASSERT_EQ(n->raft().commit(), i);

  ASSERT_TRUE(n->raft().transfer_leadership(nid(2)).is_ok());
  Drained d = n->drain();
  EXPECT_TRUE(filter(d.messages, MessageType::kTimeoutNow).empty())
      << "TimeoutNow to a lagging target:\n"
      << describe(d.messages);
  EXPECT_EQ(n->raft().transferee(), nid(2));

  d = n->deliver(accept(apps[0]));  // 2 catches up
  auto tn = filter(d.messages, MessageType::kTimeoutNow);
  ASSERT_EQ(tn.size(), 1u) << describe(d.messages);
  EXPECT_EQ(tn[0].to, nid(2));
  EXPECT_EQ(tn[0].term, Term(1));
}

// Thesis §3.10: "the prior leader stops accepting new client requests" while it transfers.
TEST(RaftPaperTest, ProposalRejectedDuringTransfer) {
  auto n = make_node(NodeSpec());
  n->elect_and_commit_noop();
  n->propose("x");
  auto apps = sorted(filter(n->drain().messages, MessageType::kAppend));
  ASSERT_EQ(apps.size(), 2u);
  ASSERT_TRUE(n->raft().transfer_leadership(nid(2)).is_ok());  // 2 lags: transfer stays pending
  n->drain();
  ASSERT_EQ(n->raft().transferee(), nid(2));

  const LogIndex last = n->raft().last_index();
  auto r = n->raft().propose(EntryType::kMessage, std::make_shared<const std::string>("y"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), common::Code::kUnavailable) << r.status();
  EXPECT_EQ(n->raft().last_index(), last);

  // Followers refuse proposals in the same way.
  auto f = make_node(NodeSpec().with_id(2));
  f->deliver(heartbeat_msg(1, 2, 1));
  auto fr = f->raft().propose(EntryType::kMessage, std::make_shared<const std::string>("z"));
  ASSERT_FALSE(fr.ok());
  EXPECT_EQ(fr.status().code(), common::Code::kUnavailable);
  EXPECT_EQ(f->raft().last_index(), idx(0));
}

// Thesis §3.10: "the target server ... starts a new election (without waiting for its election
// timeout)"; its RequestVote is marked so that servers do not apply the leader lease of §4.2.3.
TEST(RaftPaperTest, TimeoutNowStartsElectionIgnoringLease) {
  Network net;
  for (uint32_t id = 1; id <= 3; ++id) {
    net.add(NodeSpec().with_id(id).with_pre_vote().with_check_quorum().with_seed(id));
  }
  net.node(1).raft().campaign();
  net.stabilize();
  ASSERT_EQ(net.node(1).raft().role(), Role::kLeader);
  ASSERT_EQ(net.node(3).raft().leader(), nid(1));

  ASSERT_TRUE(net.node(1).raft().transfer_leadership(nid(2)).is_ok());
  auto tn = filter(net.node(1).drain().messages, MessageType::kTimeoutNow, nid(2));
  ASSERT_EQ(tn.size(), 1u);

  Drained d = net.node(2).deliver(tn[0]);
  EXPECT_EQ(net.node(2).raft().role(), Role::kCandidate) << "no pre-vote for a transfer";
  EXPECT_EQ(net.node(2).raft().term(), Term(2));
  auto votes = sorted(d.messages);
  ASSERT_EQ(votes.size(), 2u) << describe(d.messages);
  for (const auto& v : votes) {
    EXPECT_EQ(v.type, MessageType::kVote) << describe(v);
    EXPECT_EQ(v.term, Term(2));
    EXPECT_TRUE(v.transfer);
    EXPECT_EQ(v.log_index, idx(1));
    EXPECT_EQ(v.log_term, Term(1));
  }

  // Node 3 heard from leader 1 a moment ago: an ordinary vote request is ignored...
  Message plain = votes[1];
  ASSERT_EQ(plain.to, nid(3));
  plain.transfer = false;
  Drained d3 = net.node(3).deliver(plain);
  EXPECT_EQ(net.node(3).raft().term(), Term(1));
  EXPECT_EQ(net.node(3).raft().vote(), nid(1)) << "still its vote of term 1";
  for (const auto& m : filter(d3.messages, MessageType::kVoteResponse)) EXPECT_TRUE(m.reject);

  // ...but the transfer's is granted.
  d3 = net.node(3).deliver(votes[1]);
  auto resp = filter(d3.messages, MessageType::kVoteResponse, nid(2));
  ASSERT_EQ(resp.size(), 1u) << describe(d3.messages);
  EXPECT_FALSE(resp[0].reject);
  EXPECT_EQ(resp[0].term, Term(2));
  EXPECT_EQ(net.node(3).raft().vote(), nid(2));

  net.node(2).deliver(resp[0]);
  EXPECT_EQ(net.node(2).raft().role(), Role::kLeader);
  EXPECT_EQ(net.node(2).raft().term(), Term(2));
}

// DESIGN.md (thesis §6.4): "each leader commit a blank no-op entry into the log at the start of its
// term" — a new leader serves only once that no-op is committed.
TEST(RaftPaperTest, LeaderServesOnlyAfterNoopCommits) {
  auto n = make_node(NodeSpec().with_log({1, 1}).with_hard_state(1));
  EXPECT_FALSE(n->raft().serving());
  Drained d = n->elect();
  ASSERT_EQ(n->raft().term(), Term(2));
  const Entry noop = make_entry(2, 3, EntryType::kNoop);
  EXPECT_EQ(d.entries, std::vector<Entry>{noop}) << describe(d.entries);
  EXPECT_FALSE(n->raft().serving()) << "serving before the no-op committed";

  auto apps = sorted(filter(d.messages, MessageType::kAppend));
  ASSERT_EQ(apps.size(), 2u) << describe(d.messages);
  for (const auto& a : apps) {
    EXPECT_EQ(a.log_index, idx(2));
    EXPECT_EQ(a.log_term, Term(1));
    EXPECT_EQ(a.entries, std::vector<Entry>{noop});
  }

  n->deliver(append_ok(2, 1, 2, 2));  // older entries only: nothing of term 2 is committed
  EXPECT_EQ(n->raft().commit(), idx(0));
  EXPECT_FALSE(n->raft().serving());

  n->deliver(accept(apps[0]));
  EXPECT_EQ(n->raft().commit(), idx(3));
  EXPECT_TRUE(n->raft().serving());
}

// Figure 2: "Persistent state on all servers: (Updated on stable storage before responding to
// RPCs)" — the Ready that carries a vote also carries the hard state recording it.
TEST(RaftPaperTest, HardStatePersistedBeforeVoteReply) {
  auto n = make_node(NodeSpec().with_hard_state(1));
  n->raft().step(vote_msg(MessageType::kVote, 2, 1, 2, 0, 0));
  ASSERT_TRUE(n->raft().has_ready());
  Ready rd = n->raft().ready();
  auto resp = filter(rd.messages, MessageType::kVoteResponse, nid(2));
  ASSERT_EQ(resp.size(), 1u) << describe(rd.messages);
  EXPECT_FALSE(resp[0].reject);
  ASSERT_TRUE(rd.hard_state.has_value()) << "vote sent without its hard state";
  EXPECT_EQ(rd.hard_state->term, Term(2));
  EXPECT_EQ(rd.hard_state->vote, nid(2));
  n->persist_and_advance(rd);
  EXPECT_EQ(n->storage().hard_state().vote, nid(2));

  // The candidate's own vote, likewise, is in the Ready with its RequestVotes.
  auto c = make_node(NodeSpec().with_hard_state(1));
  c->raft().campaign();
  Ready crd = c->raft().ready();
  ASSERT_EQ(filter(crd.messages, MessageType::kVote).size(), 2u) << describe(crd.messages);
  ASSERT_TRUE(crd.hard_state.has_value());
  EXPECT_EQ(crd.hard_state->term, Term(2));
  EXPECT_EQ(crd.hard_state->vote, nid(1));
  c->persist_and_advance(crd);
}

// etcd-style flow control: in replicate state at most max_inflight_msgs appends are in flight to a
// follower; an acknowledgement frees a slot and the rest goes in one batch.
TEST(RaftPaperTest, FlowControlLimitsInflightAppends) {
  auto n = make_node(NodeSpec().with_max_inflight_msgs(3));
  n->elect_and_commit_noop();
  ASSERT_EQ(n->raft().last_index(), idx(1));

  std::vector<Message> to2;
  for (int k = 0; k < 10; ++k) {
    n->propose("e" + std::to_string(k));
    for (auto& m : filter(n->drain().messages, MessageType::kAppend, nid(2))) to2.push_back(m);
  }
  ASSERT_EQ(n->raft().last_index(), idx(11));
  ASSERT_EQ(to2.size(), 3u) << describe(to2);
  for (size_t k = 0; k < to2.size(); ++k) {
    EXPECT_EQ(to2[k].log_index, idx(static_cast<int64_t>(k) + 1));
    ASSERT_EQ(to2[k].entries.size(), 1u);
    EXPECT_EQ(to2[k].entries[0].index, idx(static_cast<int64_t>(k) + 2));
  }

  Drained d = n->deliver(accept(to2[0]));
  auto more = filter(d.messages, MessageType::kAppend, nid(2));
  ASSERT_EQ(more.size(), 1u) << describe(d.messages);
  EXPECT_EQ(more[0].log_index, idx(4));
  EXPECT_EQ(more[0].log_term, Term(1));
  ASSERT_EQ(more[0].entries.size(), 7u) << describe(more[0]);
  EXPECT_EQ(more[0].entries.front().index, idx(5));
  EXPECT_EQ(more[0].entries.back().index, idx(11));
  EXPECT_TRUE(filter(d.messages, MessageType::kAppend, nid(3)).empty())
      << "follower 3 still has 3 appends in flight:\n"
      << describe(d.messages);
}

// RaftLog: "committed entries are never truncated (RMQ_CHECK)" — §5.4's Leader Completeness relies
// on it; a conflict at or below the commit index means corrupt state and must abort.
TEST(RaftPaperDeathTest, CommittedEntriesNeverTruncatedCheck) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  MemoryLogStorage s;
  ASSERT_TRUE(s.append(entries_with_terms({1, 1})).is_ok());
  ASSERT_TRUE(s.sync().is_ok());

  // Control: above the commit index the conflicting suffix is replaced.
  {
    RaftLog log(s, idx(1));
    auto last = log.maybe_append(idx(1), Term(1), {make_entry(2, 2)});
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(*last, idx(2));
    EXPECT_EQ(log.term(idx(2)), Term(2));
  }

  EXPECT_DEATH(
      {
        RaftLog log(s, idx(2));
        (void)log.maybe_append(idx(1), Term(1), {make_entry(2, 2)});
      },
      "raft_log");
}

}  // namespace
}  // namespace rmq::dledger
