#include "tests/sim/invariants.h"

#include <cstdio>
#include <limits>
#include <sstream>

namespace rmq::dledger::sim {
namespace {

std::string data_of(const Entry& e) { return e.data ? *e.data : std::string(); }

std::string show(const Entry& e) {
  std::ostringstream os;
  os << "{i=" << e.index << " t=" << e.term << " type=" << static_cast<int>(e.type) << " '"
     << data_of(e) << "'}";
  return os.str();
}

bool same(const Entry& a, const Entry& b) {
  return a.index == b.index && a.term == b.term && a.type == b.type && data_of(a) == data_of(b);
}

}  // namespace

void Fnv::add(const void* p, size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) {
    h_ ^= b[i];
    h_ *= 1099511628211ull;
  }
}

std::string describe(const Message& m, size_t n_entries) {
  std::ostringstream os;
  os << m.from << "->" << m.to << " " << to_string(m.type) << " t=" << m.term;
  switch (m.type) {
    case MessageType::kPreVote:
    case MessageType::kVote:
      os << " last=" << m.log_index << "/" << m.log_term << (m.transfer ? " transfer" : "");
      break;
    case MessageType::kAppend:
      os << " prev=" << m.log_index << "/" << m.log_term << " n=" << n_entries
         << " commit=" << m.commit;
      break;
    case MessageType::kHeartbeat:
      os << " commit=" << m.commit;
      break;
    case MessageType::kAppendResponse:
      os << " index=" << m.log_index;
      if (m.reject) os << " reject hint=" << m.reject_hint << "/" << m.reject_hint_term;
      break;
    default:
      if (m.reject) os << " reject";
      break;
  }
  return os.str();
}

void History::push(Event e) {
  events_.push_back(std::move(e));
  if (events_.size() > keep_) events_.pop_front();
}

void History::line(int64_t step, std::string text) {
  hash_.add_u64(static_cast<uint64_t>(step));
  hash_.add_str(text);
  push(Event{step, std::move(text), Message{}, 0});
}

void History::message(int64_t step, const Message& m) {
  hash_.add_u64(static_cast<uint64_t>(step));
  const uint64_t fields[] = {static_cast<uint64_t>(m.type),
                             m.from.value(),
                             m.to.value(),
                             m.term.value(),
                             static_cast<uint64_t>(m.log_index.value()),
                             m.log_term.value(),
                             static_cast<uint64_t>(m.commit.value()),
                             m.entries.size(),
                             static_cast<uint64_t>(m.reject)};
  hash_.add(fields, sizeof fields);
  if (keep_ == 0) return;
  Event e{step, {}, Message{}, m.entries.size()};
  e.msg.type = m.type;
  e.msg.from = m.from;
  e.msg.to = m.to;
  e.msg.term = m.term;
  e.msg.log_index = m.log_index;
  e.msg.log_term = m.log_term;
  e.msg.commit = m.commit;
  e.msg.reject = m.reject;
  e.msg.reject_hint = m.reject_hint;
  e.msg.reject_hint_term = m.reject_hint_term;
  e.msg.transfer = m.transfer;
  push(std::move(e));
}

std::string History::dump() const {
  std::string out;
  for (const Event& e : events_) {
    out += "  [" + std::to_string(e.step) + "] ";
    out += e.text.empty() ? describe(e.msg, e.n_entries) : e.text;
    out += '\n';
  }
  return out;
}

Invariants::Invariants(const std::vector<NodeId>& nodes) {
  for (NodeId id : nodes) nodes_[id] = NodeState{};
}

Invariants::NodeState& Invariants::node(NodeId id) { return nodes_.at(id); }

void Invariants::fail(std::string what) {
  if (!failure_) failure_ = std::move(what);
}

void Invariants::observe(NodeId id, const Raft& raft) {
  NodeState& n = node(id);
  const Term term = raft.term();
  const NodeId vote = raft.vote();
  const LogIndex commit = raft.commit();
  const bool bad =
      term < n.term || term < n.persisted_term ||
      (term == n.term && n.vote != kNoNode && vote != n.vote) ||
      (term == n.persisted_term && n.persisted_vote != kNoNode && vote != n.persisted_vote) ||
      commit < n.commit || commit > raft.last_index();
  if (bad) {  // the message is built only here: observe() runs after every call into a Raft
    std::ostringstream os;
    os << "node " << id << ": term " << term << " vote " << vote << " commit " << commit << " last "
       << raft.last_index() << " after term " << n.term << " vote " << n.vote << " commit "
       << n.commit << " (persisted term " << n.persisted_term << " vote " << n.persisted_vote
       << "): ";
    os << (term < n.term || term < n.persisted_term ? "term went back"
           : commit < n.commit                      ? "commit went back"
           : commit > raft.last_index()             ? "commit beyond the last index"
                                                    : "vote changed within a term");
    return fail(os.str());
  }
  n.term = term;
  n.vote = vote;
  n.commit = commit;
  if (n.commit > n.max_commit) n.max_commit = n.commit;

  n.leader = raft.role() == Role::kLeader;
  if (!n.leader) return;
  if (n.leader_checked != term) {
    n.leader_checked = term;
    auto [it, inserted] = leaders_.emplace(term, id);
    if (!inserted && it->second != id) {
      return fail("two leaders in term " + std::to_string(term.value()) + ": " +
                  std::to_string(it->second.value()) + " and " + std::to_string(id.value()));
    }
    check_leader_completeness(id, raft);
  }
  LogIndex& c = committed_in_[term];
  if (n.commit > c) c = n.commit;
}

// §5.4.3: an entry committed in term T is in the log of every leader of a later term. An entry
// counts as committed in T once a leader of T had it below its commit index (so a late leader of
// an older term is not held to entries committed after its term).
void Invariants::check_leader_completeness(NodeId id, const Raft& raft) {
  LogIndex required;
  for (auto it = committed_in_.begin(); it != committed_in_.end() && it->first < raft.term();
       ++it) {
    if (it->second > required) required = it->second;
  }
  const std::string who = "new leader " + std::to_string(id.value()) + " of term " +
                          std::to_string(raft.term().value());
  if (raft.last_index() < required) {
    return fail(who + " has " + std::to_string(raft.last_index().value()) +
                " entries but earlier terms committed " + std::to_string(required.value()) +
                " (leader completeness)");
  }
  const auto n = std::min(static_cast<size_t>(required.value()), committed_.size());
  if (n == 0) return;
  auto entries = raft.log().entries_from(LogIndex(1), std::numeric_limits<size_t>::max());
  if (!entries.ok()) return fail(who + ": cannot read its log: " + entries.status().to_string());
  const std::vector<Entry>& log = *entries;
  for (size_t i = 0; i < n; ++i) {
    if (i >= log.size() || !same(log[i], committed_[i])) {
      return fail(who + " lacks committed entry " + show(committed_[i]) + "; it has " +
                  (i < log.size() ? show(log[i]) : std::string("nothing")) +
                  " (leader completeness)");
    }
  }
  for (const auto& [index, a] : acked_) {
    if (index > required) break;
    const auto i = static_cast<size_t>(index.value() - 1);
    if (i >= log.size() || log[i].term != a.term || data_of(log[i]) != a.value) {
      return fail(who + " lacks acknowledged '" + a.value + "' at " +
                  std::to_string(index.value()) + " (leader completeness)");
    }
  }
}

void Invariants::extend_prefix(NodeId id, NodeState& n, const Entry& e) {
  const std::string who = "node " + std::to_string(id.value());
  if (e.index.value() != static_cast<int64_t>(n.prefix.size()) + 1) {
    return fail(who + " wrote " + show(e) + " after " + std::to_string(n.prefix.size()) +
                " entries (not contiguous)");
  }
  Fnv h;
  h.add_u64(n.prefix.empty() ? 0 : n.prefix.back());
  h.add_u64(static_cast<uint64_t>(e.index.value()));
  h.add_u64(e.term.value());
  h.add_u64(static_cast<uint64_t>(e.type));
  h.add_str(data_of(e));
  auto [it, inserted] =
      prefix_of_.emplace(std::make_pair(e.index.value(), e.term.value()), h.value());
  if (!inserted && it->second != h.value()) {
    return fail(who + " holds " + show(e) +
                " whose prefix differs from another node's entry "
                "with the same index and term (log matching)");
  }
  n.prefix.push_back(h.value());
}

void Invariants::persisted(NodeId id, const MemoryLogStorage& storage,
                           const std::vector<Entry>& written) {
  NodeState& n = node(id);
  const std::string who = "node " + std::to_string(id.value());
  const HardState hs = storage.hard_state();
  if (hs.term < n.persisted_term) {
    return fail(who + " persisted term " + std::to_string(hs.term.value()) + " below " +
                std::to_string(n.persisted_term.value()));
  }
  if (hs.term == n.persisted_term && n.persisted_vote != kNoNode && hs.vote != n.persisted_vote) {
    return fail(who + " persisted a second vote in term " + std::to_string(hs.term.value()) + ": " +
                std::to_string(n.persisted_vote.value()) + " then " +
                std::to_string(hs.vote.value()));
  }
  n.persisted_term = hs.term;
  n.persisted_vote = hs.vote;
  if (hs.commit > n.max_commit) n.max_commit = hs.commit;
  if (written.empty()) return;

  const auto first = static_cast<size_t>(written.front().index.value());
  if (first == 0 || first > n.prefix.size() + 1) {
    return fail(who + " wrote " + show(written.front()) + " past its log end " +
                std::to_string(n.prefix.size()));
  }
  n.prefix.resize(first - 1);
  Term prev_term = n.prefix.empty() ? Term(0) : *storage.term(LogIndex(first - 1));
  for (const Entry& e : written) {
    if (e.term < prev_term) return fail(who + " log term goes down at " + show(e));
    prev_term = e.term;
    // Entries at or below what this node already knew committed must be the committed ones.
    const auto i = static_cast<size_t>(e.index.value());
    if (e.index <= n.max_commit && i <= committed_.size() && !same(e, committed_[i - 1])) {
      return fail(who + " rewrote committed entry " + show(committed_[i - 1]) + " with " + show(e));
    }
    extend_prefix(id, n, e);
    if (failure_) return;
  }
  if (static_cast<int64_t>(n.prefix.size()) != storage.last_index().value()) {
    return fail(who + " storage has " + std::to_string(storage.last_index().value()) +
                " entries after appending up to " + std::to_string(n.prefix.size()));
  }
}

void Invariants::restarted(NodeId id, const Raft& raft, const MemoryLogStorage& storage,
                           LogIndex applied) {
  NodeState& n = node(id);
  const std::string who = "restarted node " + std::to_string(id.value());
  const HardState hs = storage.hard_state();
  if (hs.term < n.persisted_term ||
      (hs.term == n.persisted_term && n.persisted_vote != kNoNode && hs.vote != n.persisted_vote)) {
    return fail(who + ": storage lost synced hard state (term " + std::to_string(hs.term.value()) +
                " vote " + std::to_string(hs.vote.value()) + ", synced term " +
                std::to_string(n.persisted_term.value()) + ")");
  }
  if (raft.term() != hs.term || raft.commit() < hs.commit || raft.commit() < applied ||
      raft.last_index() != storage.last_index()) {
    return fail(
        who + ": Raft did not load its storage: term " + std::to_string(raft.term().value()) + "/" +
        std::to_string(hs.term.value()) + " commit " + std::to_string(raft.commit().value()) + "/" +
        std::to_string(hs.commit.value()) + " last " + std::to_string(raft.last_index().value()) +
        "/" + std::to_string(storage.last_index().value()));
  }
  // Rebuild the prefix hashes from what survived the crash.
  n.prefix.clear();
  const LogIndex last = storage.last_index();
  if (last >= LogIndex(1)) {
    auto all = storage.entries(LogIndex(1), last.next(), std::numeric_limits<size_t>::max());
    if (!all.ok()) return fail(who + ": cannot read storage: " + all.status().to_string());
    for (const Entry& e : *all) {
      extend_prefix(id, n, e);
      if (failure_) return;
    }
  }
  n.term = raft.term();
  n.vote = raft.vote();
  n.commit = raft.commit();
  n.leader_checked = Term(0);
  n.leader = false;
  n.applied = applied;
  observe(id, raft);
}

void Invariants::applied(NodeId id, const Entry& e) {
  NodeState& n = node(id);
  const std::string who = "node " + std::to_string(id.value());
  if (e.index != n.applied.next()) {
    return fail(who + " applied " + show(e) + " after " + std::to_string(n.applied.value()));
  }
  n.applied = e.index;
  const auto i = static_cast<size_t>(e.index.value());
  if (i <= committed_.size()) {
    if (!same(e, committed_[i - 1])) {
      return fail(who + " applied " + show(e) + " but " + show(committed_[i - 1]) +
                  " was applied elsewhere (committed prefix)");
    }
  } else {
    committed_.push_back(e);
  }
}

void Invariants::acknowledged(LogIndex index, Term term, const std::string& value) {
  acked_[index] = Acked{term, value};
}

void Invariants::check_final() {
  std::unordered_map<std::string, std::vector<int64_t>> where;
  for (const Entry& e : committed_) {
    if (e.type == EntryType::kMessage) where[data_of(e)].push_back(e.index.value());
  }
  for (const auto& [value, at] : where) {
    if (at.size() > 1) {
      return fail("value '" + value + "' applied " + std::to_string(at.size()) + " times, at " +
                  std::to_string(at[0]) + " and " + std::to_string(at[1]));
    }
  }
  for (const auto& [index, a] : acked_) {
    auto it = where.find(a.value);
    if (it == where.end()) return fail("acknowledged '" + a.value + "' was never applied (lost)");
    if (it->second[0] != index.value()) {
      return fail("acknowledged '" + a.value + "' at " + std::to_string(index.value()) +
                  " applied at " + std::to_string(it->second[0]));
    }
  }
}

}  // namespace rmq::dledger::sim
