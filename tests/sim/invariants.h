// Safety checks for the simulated cluster (STYLE.md §5, LogCabin checkBasic/checkDelta) and the
// history printed when one fails. SimCluster calls the hooks after every call into a node's Raft,
// after every durable Ready, on every apply, crash and restart; the first violation is kept and
// the cluster stops there. Not thread-safe; owned by one SimCluster.
//
// Checked: at most one leader per term (whole history); log matching (an (index, term) pair names
// one entry and one prefix for all nodes and all time: prefix hashes); entries a node committed are
// never rewritten; applied sequences are prefixes of one committed sequence; term, vote and commit
// only move forward (term and vote also across restarts, they are persisted); leader completeness
// (a new leader of term T holds every entry some leader of a term below T had committed, among
// them every acknowledged one); every acknowledged value is applied exactly once.
#pragma once

#include "dledger/memory_log_storage.h"
#include "dledger/raft.h"
#include "dledger/types.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace rmq::dledger::sim {

// 64-bit FNV-1a, the hash of traces and logs (stable across platforms and runs).
class Fnv {
 public:
  void add(const void* p, size_t n);
  void add_u64(uint64_t v) { add(&v, sizeof v); }
  void add_str(const std::string& s) {
    add_u64(s.size());
    add(s.data(), s.size());
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 14695981039346656037ull;
};

// What happened, most recent last: keeps the last `keep` events in full and a hash of all of them.
// Messages are stored compactly and formatted only when dumped.
class History {
 public:
  explicit History(size_t keep) : keep_(keep) {}
  void line(int64_t step, std::string text);
  void message(int64_t step, const Message& m);  // a delivered message
  uint64_t hash() const { return hash_.value(); }
  std::string dump() const;

 private:
  struct Event {
    int64_t step;
    std::string text;  // empty for a message
    Message msg;       // entries cleared, their count in n_entries
    size_t n_entries = 0;
  };
  void push(Event e);
  size_t keep_;
  std::deque<Event> events_;
  Fnv hash_;
};

std::string describe(const Message& m, size_t n_entries);

class Invariants {
 public:
  explicit Invariants(const std::vector<NodeId>& nodes);

  // After every call into `raft` (tick, step, propose, campaign, transfer_leadership).
  void observe(NodeId id, const Raft& raft);
  // After a Ready was made durable: `written` was appended (may be empty) and synced.
  void persisted(NodeId id, const MemoryLogStorage& storage, const std::vector<Entry>& written);
  // A node came back on its crashed storage with a new Raft; `applied` is what its state machine
  // kept (0 when it starts over).
  void restarted(NodeId id, const Raft& raft, const MemoryLogStorage& storage, LogIndex applied);
  // The node applied `e`; entries arrive in index order.
  void applied(NodeId id, const Entry& e);
  // A client was told `value` (proposed at index in term) is committed.
  void acknowledged(LogIndex index, Term term, const std::string& value);
  // End of a run: every acknowledged value was applied exactly once, at its index, and no value
  // was applied twice.
  void check_final();
  // Records a violation found by the driver.
  void fail(std::string what);

  bool ok() const { return !failure_; }
  const std::string& failure() const { return *failure_; }
  // The longest applied sequence; entry i has index i + 1.
  const std::vector<Entry>& committed() const { return committed_; }
  size_t acknowledged_count() const { return acked_.size(); }
  const std::map<Term, NodeId>& leaders() const { return leaders_; }

 private:
  struct NodeState {
    // This incarnation (reset on restart).
    Term term;
    NodeId vote = kNoNode;
    LogIndex commit;
    Term leader_checked;  // the term whose leadership was already checked
    bool leader = false;
    LogIndex applied;
    // Durable (survives restarts).
    Term persisted_term;
    NodeId persisted_vote = kNoNode;
    LogIndex max_commit;           // highest commit this node has known in any incarnation
    std::vector<uint64_t> prefix;  // prefix hash of the durable log; prefix[i] covers 1..i+1
  };
  struct Acked {
    Term term;
    std::string value;
  };
  struct KeyHash {
    size_t operator()(const std::pair<int64_t, uint64_t>& k) const {
      return std::hash<int64_t>()(k.first) * 31 + std::hash<uint64_t>()(k.second);
    }
  };

  NodeState& node(NodeId id);
  void check_leader_completeness(NodeId id, const Raft& raft);
  void extend_prefix(NodeId id, NodeState& n, const Entry& e);

  std::map<NodeId, NodeState> nodes_;
  std::map<Term, NodeId> leaders_;
  std::map<Term, LogIndex> committed_in_;  // the highest commit index a leader of the term had
  std::unordered_map<std::pair<int64_t, uint64_t>, uint64_t, KeyHash> prefix_of_;  // (i, t) -> h
  std::vector<Entry> committed_;
  std::map<LogIndex, Acked> acked_;
  std::optional<std::string> failure_;
};

}  // namespace rmq::dledger::sim
