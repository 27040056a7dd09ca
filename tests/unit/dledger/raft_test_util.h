// Helpers for the Raft core tests: a Raft over a MemoryLogStorage with a fixed-seed Random, a
// "persist and advance" driver for Ready, message filters and builders, and a tiny in-test network.
// Everything is deterministic: no threads, no clocks, randomness only from seeded common::Random.
#pragma once

#include "common/random.h"
#include "dledger/memory_log_storage.h"
#include "dledger/raft.h"
#include "dledger/types.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace rmq::dledger::testing {

inline NodeId nid(uint32_t v) { return NodeId(v); }
inline LogIndex idx(int64_t v) { return LogIndex(v); }

// ---------------------------------------------------------------------------------------------
// Entries.

inline Entry make_entry(uint64_t t, int64_t i, EntryType type = EntryType::kNoop,
                        const std::string& data = "") {
  Entry e;
  e.term = Term(t);
  e.index = LogIndex(i);
  e.type = type;
  if (!data.empty()) e.data = std::make_shared<const std::string>(data);
  return e;
}

inline Entry data_entry(uint64_t t, int64_t i, const std::string& data) {
  return make_entry(t, i, EntryType::kMessage, data);
}

// Entries 1..n with the given terms (entry i has terms[i-1]); kNoop, no data.
inline std::vector<Entry> entries_with_terms(const std::vector<uint64_t>& terms,
                                             int64_t first_index = 1) {
  std::vector<Entry> out;
  for (size_t k = 0; k < terms.size(); ++k) {
    out.push_back(make_entry(terms[k], first_index + static_cast<int64_t>(k)));
  }
  return out;
}

// Every persisted entry of `s`, in index order.
inline std::vector<Entry> all_entries(const LogStorage& s) {
  if (s.last_index() < s.first_index()) return {};
  auto r = s.entries(s.first_index(), s.last_index().next(), std::numeric_limits<size_t>::max());
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<Entry>{};
}

inline std::string describe(const Entry& e) {
  std::ostringstream os;
  os << e.index << "@" << e.term;
  if (e.type == EntryType::kMessage) os << "(msg)";
  if (e.type == EntryType::kMetadata) os << "(meta)";
  if (e.data) os << "'" << *e.data << "'";
  return os.str();
}

inline std::string describe(const std::vector<Entry>& es) {
  std::string s = "[";
  for (size_t k = 0; k < es.size(); ++k) s += (k ? " " : "") + describe(es[k]);
  return s + "]";
}

inline std::string describe(const Message& m) {
  std::ostringstream os;
  os << to_string(m.type) << " " << m.from << "->" << m.to << " term=" << m.term
     << " log=" << m.log_index << "@" << m.log_term << " commit=" << m.commit;
  if (!m.entries.empty()) os << " entries=" << describe(m.entries);
  if (m.reject) os << " reject hint=" << m.reject_hint << "@" << m.reject_hint_term;
  if (m.transfer) os << " transfer";
  return os.str();
}

inline std::string describe(const std::vector<Message>& ms) {
  std::string s;
  for (const auto& m : ms) s += "  " + describe(m) + "\n";
  return s.empty() ? "  (none)\n" : s;
}

// ---------------------------------------------------------------------------------------------
// Messages.

inline Message make_msg(MessageType type, uint32_t from, uint32_t to, uint64_t t) {
  Message m;
  m.type = type;
  m.from = NodeId(from);
  m.to = NodeId(to);
  m.term = Term(t);
  return m;
}

// kAppend: `entries` follow (prev_index, prev_term).
inline Message append_msg(uint32_t from, uint32_t to, uint64_t t, int64_t prev_index,
                          uint64_t prev_term, std::vector<Entry> entries = {}, int64_t commit = 0) {
  Message m = make_msg(MessageType::kAppend, from, to, t);
  m.log_index = LogIndex(prev_index);
  m.log_term = Term(prev_term);
  m.entries = std::move(entries);
  m.commit = LogIndex(commit);
  return m;
}

// Successful kAppendResponse: the follower's log matches the leader's up to `index`.
inline Message append_ok(uint32_t from, uint32_t to, uint64_t t, int64_t index) {
  Message m = make_msg(MessageType::kAppendResponse, from, to, t);
  m.log_index = LogIndex(index);
  return m;
}

// The successful answer a follower gives to `app` (an append it accepted in full).
inline Message accept(const Message& app) {
  return append_ok(app.to.value(), app.from.value(), app.term.value(),
                   app.log_index.value() + static_cast<int64_t>(app.entries.size()));
}

inline Message heartbeat_msg(uint32_t from, uint32_t to, uint64_t t, int64_t commit = 0) {
  Message m = make_msg(MessageType::kHeartbeat, from, to, t);
  m.commit = LogIndex(commit);
  return m;
}

// kVote / kPreVote from a candidate whose last entry is (last_index, last_term).
inline Message vote_msg(MessageType type, uint32_t from, uint32_t to, uint64_t t,
                        int64_t last_index, uint64_t last_term) {
  Message m = make_msg(type, from, to, t);
  m.log_index = LogIndex(last_index);
  m.log_term = Term(last_term);
  return m;
}

inline Message vote_resp(MessageType type, uint32_t from, uint32_t to, uint64_t t, bool reject) {
  Message m = make_msg(type, from, to, t);
  m.reject = reject;
  return m;
}

// Messages of type `type` (and to `to`, unless kNoNode), in send order.
inline std::vector<Message> filter(const std::vector<Message>& ms, MessageType type,
                                   NodeId to = kNoNode) {
  std::vector<Message> out;
  for (const auto& m : ms) {
    if (m.type == type && (to == kNoNode || m.to == to)) out.push_back(m);
  }
  return out;
}

inline std::vector<Message> to_node(const std::vector<Message>& ms, NodeId to) {
  std::vector<Message> out;
  for (const auto& m : ms) {
    if (m.to == to) out.push_back(m);
  }
  return out;
}

inline void sort_by_recipient(std::vector<Message>& ms) {
  std::stable_sort(ms.begin(), ms.end(),
                   [](const Message& a, const Message& b) { return a.to < b.to; });
}

// ---------------------------------------------------------------------------------------------
// A node: MemoryLogStorage + Random + Raft.

struct NodeSpec {
  uint32_t id = 1;
  uint32_t peers = 3;  // voters 1..peers
  // Paper tests default to the plain algorithm; extensions turn these on explicitly.
  bool pre_vote = false;
  bool check_quorum = false;
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  size_t max_inflight_msgs = 64;
  size_t max_inflight_bytes = 32u << 20;
  size_t max_msg_bytes = 1u << 20;
  uint64_t seed = 1;
  std::vector<uint64_t> log_terms;  // persisted log before start: entry i has log_terms[i-1]
  HardState hard_state;             // persisted hard state before start

  // Fluent setters: make_node(NodeSpec().with_id(2).with_log({1, 2}).with_hard_state(2)).
  NodeSpec& with_id(uint32_t v) { return id = v, *this; }
  NodeSpec& with_peers(uint32_t v) { return peers = v, *this; }
  NodeSpec& with_pre_vote(bool v = true) { return pre_vote = v, *this; }
  NodeSpec& with_check_quorum(bool v = true) { return check_quorum = v, *this; }
  NodeSpec& with_election_ticks(int v) { return election_ticks = v, *this; }
  NodeSpec& with_heartbeat_ticks(int v) { return heartbeat_ticks = v, *this; }
  NodeSpec& with_max_inflight_msgs(size_t v) { return max_inflight_msgs = v, *this; }
  NodeSpec& with_seed(uint64_t v) { return seed = v, *this; }
  NodeSpec& with_log(std::vector<uint64_t> terms) { return log_terms = std::move(terms), *this; }
  NodeSpec& with_hard_state(uint64_t t, uint32_t vote = 0, int64_t commit = 0) {
    hard_state.term = Term(t);
    hard_state.vote = NodeId(vote);
    hard_state.commit = LogIndex(commit);
    return *this;
  }
};

// What one or more persist-and-advance rounds produced.
struct Drained {
  std::vector<Message> messages;
  std::vector<Entry> entries;  // handed to storage, in order
  std::vector<HardState> hard_states;
  std::vector<SoftState> soft_states;
  std::vector<LogIndex> commits;  // Ready::commit of every round
  int readies = 0;

  void merge(Drained o) {
    for (auto& m : o.messages) messages.push_back(std::move(m));
    for (auto& e : o.entries) entries.push_back(std::move(e));
    for (auto& h : o.hard_states) hard_states.push_back(h);
    for (auto& s : o.soft_states) soft_states.push_back(s);
    for (auto& c : o.commits) commits.push_back(c);
    readies += o.readies;
  }
};

class TestNode {
 public:
  explicit TestNode(const NodeSpec& spec) : spec_(spec), random_(spec.seed) {
    if (!spec.log_terms.empty()) {
      EXPECT_TRUE(storage_.append(entries_with_terms(spec.log_terms)).is_ok());
    }
    EXPECT_TRUE(storage_.set_hard_state(spec.hard_state).is_ok());
    EXPECT_TRUE(storage_.sync().is_ok());
    RaftConfig c;
    c.id = NodeId(spec.id);
    for (uint32_t p = 1; p <= spec.peers; ++p) c.peers.push_back(NodeId(p));
    c.election_ticks = spec.election_ticks;
    c.heartbeat_ticks = spec.heartbeat_ticks;
    c.pre_vote = spec.pre_vote;
    c.check_quorum = spec.check_quorum;
    c.max_inflight_msgs = spec.max_inflight_msgs;
    c.max_inflight_bytes = spec.max_inflight_bytes;
    c.max_msg_bytes = spec.max_msg_bytes;
    c.random = &random_;
    c.logger = [this](const std::string& line) { trace_.push_back(line); };
    raft_ = std::make_unique<Raft>(c, storage_);
  }
  TestNode(const TestNode&) = delete;
  TestNode& operator=(const TestNode&) = delete;

  Raft& raft() { return *raft_; }
  Raft* operator->() { return raft_.get(); }
  MemoryLogStorage& storage() { return storage_; }
  const NodeSpec& spec() const { return spec_; }
  uint32_t id() const { return spec_.id; }
  const std::vector<std::string>& trace() const { return trace_; }

  // One Ready, persisted (entries, hard state, sync) and acknowledged.
  Drained persist_and_advance() { return persist_and_advance(raft_->ready()); }

  // `rd` (the last Ready) persisted and acknowledged.
  Drained persist_and_advance(const Ready& rd) {
    Drained d;
    if (!rd.entries.empty()) {
      EXPECT_TRUE(storage_.append(rd.entries).is_ok());
    }
    if (rd.hard_state) {
      EXPECT_TRUE(storage_.set_hard_state(*rd.hard_state).is_ok());
    }
    EXPECT_TRUE(storage_.sync().is_ok());
    d.messages = rd.messages;
    d.entries = rd.entries;
    if (rd.hard_state) d.hard_states.push_back(*rd.hard_state);
    if (rd.soft_state) d.soft_states.push_back(*rd.soft_state);
    d.commits.push_back(rd.commit);
    d.readies = 1;
    raft_->advance(rd);
    return d;
  }

  // Persist-and-advance until the node has nothing more to say.
  Drained drain() {
    Drained all;
    for (int round = 0; raft_->has_ready(); ++round) {
      if (round >= 100) {
        ADD_FAILURE() << "node " << spec_.id << " still has a Ready after 100 rounds";
        break;
      }
      all.merge(persist_and_advance());
    }
    return all;
  }

  // step(m) then drain().
  Drained deliver(const Message& m) {
    raft_->step(m);
    return drain();
  }

  // Ticks once and drains.
  Drained tick() {
    raft_->tick();
    return drain();
  }

  // Ticks (draining after each) until `pred(drained of that tick)` holds; returns the number of
  // ticks it took, or -1 after `max` ticks. `out` receives what the last tick produced.
  template <typename Pred>
  int tick_until(Pred pred, int max, Drained* out = nullptr) {
    for (int t = 1; t <= max; ++t) {
      Drained d = tick();
      if (pred(d)) {
        if (out) *out = std::move(d);
        return t;
      }
    }
    return -1;
  }

  // Campaigns and grants it every vote it asks for (pre-vote included) until it leads. Returns
  // everything drained after winning (the new leader's appends of its no-op).
  Drained elect() {
    raft_->campaign();
    Drained d = drain();
    if (raft_->role() == Role::kPreCandidate) {
      const uint64_t next = raft_->term().value() + 1;
      for (uint32_t p = 1; p <= spec_.peers && raft_->role() == Role::kPreCandidate; ++p) {
        if (p == spec_.id) continue;
        raft_->step(vote_resp(MessageType::kPreVoteResponse, p, spec_.id, next, false));
        d.merge(drain());
      }
    }
    for (uint32_t p = 1; p <= spec_.peers && raft_->role() == Role::kCandidate; ++p) {
      if (p == spec_.id) continue;
      raft_->step(vote_resp(MessageType::kVoteResponse, p, spec_.id, raft_->term().value(), false));
      d.merge(drain());
    }
    EXPECT_EQ(raft_->role(), Role::kLeader)
        << "elect() did not make node " << spec_.id << " leader";
    return d;
  }

  // Leader: answers every kAppend in `pending` (and whatever that provokes) with success on behalf
  // of the followers in `acceptors`, until the leader sends them nothing more. Returns every
  // message drained on the way (the acknowledged appends excluded).
  Drained replicate(std::vector<Message> pending, const std::set<uint32_t>& acceptors) {
    Drained out;
    for (int round = 0;; ++round) {
      if (round >= 200) {
        ADD_FAILURE() << "replicate did not settle";
        break;
      }
      std::vector<Message> acks;
      for (const auto& m : pending) {
        if (m.type == MessageType::kAppend && acceptors.count(m.to.value()) > 0) {
          acks.push_back(accept(m));
        } else {
          out.messages.push_back(m);
        }
      }
      if (acks.empty()) break;
      Drained d;
      for (const auto& a : acks) {
        raft_->step(a);
        d.merge(drain());
      }
      pending = std::move(d.messages);
      d.messages.clear();
      out.merge(std::move(d));
    }
    return out;
  }

  // elect() and then every follower acknowledges the no-op: the leader commits it and every
  // follower's progress is in replicate state with nothing in flight.
  void elect_and_commit_noop() {
    Drained d = elect();
    std::set<uint32_t> all;
    for (uint32_t p = 1; p <= spec_.peers; ++p) {
      if (p != spec_.id) all.insert(p);
    }
    replicate(std::move(d.messages), all);
    EXPECT_EQ(raft_->commit(), raft_->last_index());
  }

  // Leader: proposes one kMessage entry and returns its index.
  LogIndex propose(const std::string& data) {
    auto r = raft_->propose(EntryType::kMessage, std::make_shared<const std::string>(data));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : LogIndex();
  }

 private:
  NodeSpec spec_;
  common::Random random_;
  MemoryLogStorage storage_;
  std::vector<std::string> trace_;
  std::unique_ptr<Raft> raft_;  // last: refers to storage_ and random_
};

inline std::unique_ptr<TestNode> make_node(const NodeSpec& spec) {
  return std::make_unique<TestNode>(spec);
}

// ---------------------------------------------------------------------------------------------
// A minimal network for tests that need two or three real nodes: messages are delivered in send
// order, messages to absent or cut-off nodes are dropped.

class Network {
 public:
  TestNode& add(const NodeSpec& spec) {
    auto& slot = nodes_[spec.id];
    slot = make_node(spec);
    return *slot;
  }
  TestNode& node(uint32_t id) { return *nodes_.at(id); }

  void isolate(uint32_t id) { isolated_.insert(id); }
  void heal() { isolated_.clear(); }
  bool cut(const Message& m) const {
    return isolated_.count(m.from.value()) > 0 || isolated_.count(m.to.value()) > 0 ||
           nodes_.count(m.to.value()) == 0;
  }

  void send(std::vector<Message> ms) {
    for (auto& m : ms) queue_.push_back(std::move(m));
  }
  void send(const Message& m) { queue_.push_back(m); }

  // Ticks node `id` `n` times, sending what it says after each tick.
  void tick(uint32_t id, int n = 1) {
    for (int k = 0; k < n; ++k) send(node(id).tick().messages);
  }

  // Drains every node and delivers every message until the network is quiet. Returns everything
  // that was delivered or dropped, in order.
  std::vector<Message> stabilize(int max_steps = 10000) {
    std::vector<Message> seen;
    for (int step = 0;; ++step) {
      if (step >= max_steps) {
        ADD_FAILURE() << "network did not stabilize";
        break;
      }
      for (auto& [id, n] : nodes_) send(n->drain().messages);
      if (queue_.empty()) break;
      std::vector<Message> batch;
      batch.swap(queue_);
      for (auto& m : batch) {
        seen.push_back(m);
        if (cut(m)) continue;
        uint32_t to = m.to.value();
        nodes_.at(to)->raft().step(std::move(m));
        send(nodes_.at(to)->drain().messages);
      }
    }
    return seen;
  }

 private:
  std::map<uint32_t, std::unique_ptr<TestNode>> nodes_;
  std::set<uint32_t> isolated_;
  std::vector<Message> queue_;
};

}  // namespace rmq::dledger::testing
