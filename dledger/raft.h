// Raft: the DLedger-style consensus core as a pure, deterministic state machine (etcd-raft's
// raft.go / ScyllaDB's fsm). Inputs: tick(), step(message), propose(), transfer_leadership().
// Outputs: a Ready (hard state and entries to persist, messages to send after persisting, the new
// commit index, role changes) that the driver handles and then acknowledges with advance(). No
// sockets, threads, clocks or global randomness: time is ticks, randomness an injected Random.
// Not thread-safe: one driver (one strand) owns it.
//
// Rules implemented (§ = Raft paper / thesis):
//   §5.1 terms; §5.2 randomized election timeouts, votes persisted before replying;
//   §5.3 log replication with consistency check, follower truncation of a conflicting suffix,
//        fast backtracking by (hint index, hint term);
//   §5.4.1 votes only for logs at least as up to date; §5.4.2 commit only entries of the current
//        term by counting (a no-op opens every term);
//   thesis §9.6 pre-vote; §6.2 check-quorum and leader leases; §3.10 leadership transfer.
#pragma once

#include "common/random.h"
#include "common/result.h"
#include "dledger/log_storage.h"
#include "dledger/progress.h"
#include "dledger/raft_log.h"
#include "dledger/types.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rmq::dledger {

struct RaftConfig {
  NodeId id;
  std::vector<NodeId> peers;  // every voter, this node included
  int election_ticks = 10;    // election timeout: randomized in [election_ticks, 2*election_ticks)
  int heartbeat_ticks = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  size_t max_inflight_msgs = 64;          // appends in flight per follower
  size_t max_inflight_bytes = 32u << 20;  // payload bytes in flight per follower
  size_t max_msg_bytes = 1u << 20;        // payload per append message
  NodeId preferred_leader = kNoNode;      // leadership goes there when it is caught up
  // true (etcd): a commit advance is sent to every follower at once, with no entries if need be.
  // false: followers learn it from the next append or heartbeat (at most heartbeat_ticks later),
  // which saves each follower a wake-up and the leader its answer per commit at low load.
  bool announce_commit_at_once = true;
  LogIndex applied;                  // restart: last index already applied by the driver
  common::Random* random = nullptr;  // REQUIRED; owned by the caller
  // Optional log sink for traces ("1 became leader at term 3"); the sim captures it.
  std::function<void(const std::string&)> logger;
};

struct Ready {
  std::optional<HardState> hard_state;  // persist before sending (changed since last Ready)
  std::vector<Entry> entries;           // append (replacing a conflicting suffix), then persist
  std::vector<Message> messages;        // send after persisting
  LogIndex commit;                      // the commit index; entries up to it may be applied
  std::optional<SoftState> soft_state;  // role/leader/term changed
  bool empty() const { return !hard_state && entries.empty() && messages.empty() && !soft_state; }
};

class Raft {
 public:
  // `storage` holds the persisted log and hard state (restart) and outlives the Raft.
  Raft(const RaftConfig& config, const LogStorage& storage);

  void tick();
  void step(Message m);
  // Leader only: appends an entry of this term and returns its index. Unavailable when not the
  // leader or during a leadership transfer (the remark names the leader when known).
  common::Result<LogIndex> propose(EntryType type, std::shared_ptr<const std::string> data);
  // Leader only: hands leadership to `target` once it is caught up (TimeoutNow).
  common::Status transfer_leadership(NodeId target);
  // Starts an election now (tests, operator "campaign").
  void campaign();

  bool has_ready() const;
  Ready ready();
  // REQUIRES: `rd` is the last Ready and the driver has persisted its entries and hard state.
  void advance(const Ready& rd);

  // State, for the driver and the tests.
  NodeId id() const { return id_; }
  Role role() const { return role_; }
  Term term() const { return term_; }
  NodeId leader() const { return lead_; }
  NodeId vote() const { return vote_; }
  LogIndex commit() const { return log_.committed(); }
  LogIndex last_index() const { return log_.last_index(); }
  // The leader has committed an entry of its own term (its no-op): it may serve (DESIGN.md).
  bool serving() const;
  const RaftLog& log() const { return log_; }
  const std::map<NodeId, Progress>& progress() const { return progress_; }
  NodeId transferee() const { return transferee_; }

 private:
  void become_follower(Term term, NodeId lead);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset(Term term);
  void reset_randomized_timeout();
  void campaign_internal(bool pre_vote, bool transfer);

  void tick_election();
  void tick_heartbeat();
  bool past_election_timeout() const { return election_elapsed_ >= randomized_timeout_; }

  void step_leader(Message& m);
  void step_candidate(Message& m);
  void step_follower(Message& m);
  void handle_append(Message& m);
  void handle_heartbeat(const Message& m);
  void handle_vote_request(const Message& m);
  void handle_append_response(const Message& m);
  int tally_vote(NodeId from, bool granted, size_t* rejected);

  void send(Message m);
  bool send_append(NodeId to, bool send_if_empty);
  void broadcast_append();
  void broadcast_heartbeat();
  void send_timeout_now(NodeId to);
  bool maybe_commit();
  bool append_own(std::vector<Entry> entries);
  size_t quorum() const { return peers_.size() / 2 + 1; }
  bool check_quorum_active();
  void abort_transfer();
  void maybe_transfer_to_preferred();
  void trace(const std::string& what) const;

  const NodeId id_;
  const std::vector<NodeId> peers_;
  const RaftConfig cfg_;
  common::Random& random_;
  RaftLog log_;

  Role role_ = Role::kFollower;
  Term term_;
  NodeId vote_ = kNoNode;
  NodeId lead_ = kNoNode;
  std::map<NodeId, Progress> progress_;  // leader only
  std::map<NodeId, bool> votes_;         // candidate only
  NodeId transferee_ = kNoNode;
  LogIndex noop_index_;  // leader: index of this term's no-op

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int transfer_elapsed_ = 0;
  int randomized_timeout_ = 0;

  std::vector<Message> msgs_;
  bool pending_broadcast_ = false;  // proposals to send with the next Ready
  HardState prev_hard_;
  SoftState prev_soft_;
};

}  // namespace rmq::dledger
