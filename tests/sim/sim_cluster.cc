#include "tests/sim/sim_cluster.h"

#include <algorithm>
#include <limits>
#include <sstream>

namespace rmq::dledger::sim {
namespace {

thread_local const SimCluster* g_current = nullptr;

std::vector<NodeId> make_ids(int n) {
  std::vector<NodeId> ids;
  for (int i = 1; i <= n; ++i) ids.push_back(NodeId(static_cast<uint32_t>(i)));
  return ids;
}

std::string name(NodeId id) {
  std::string s("n");  // not "n" + ...: GCC 12 raises a false -Wrestrict on that
  s += std::to_string(id.value());
  return s;
}

// Bounds on work inside one step; hitting one means the core loops.
constexpr int kMaxReadyRounds = 1000;
constexpr int kMaxDeliveriesPerStep = 200000;

}  // namespace

struct SimCluster::Node {
  NodeId id;
  MemoryLogStorage storage;
  std::unique_ptr<common::Random> random;
  std::unique_ptr<Raft> raft;  // null while down
  LogIndex applied;
  std::vector<Entry> applied_entries;  // this state machine's history; [i] has index i + 1
  int incarnation = 0;
  bool crash_mid_ready = false;
  std::vector<Proposal> pending;  // proposed here, outcome not yet known
};

SimCluster::SimCluster(const SimOptions& options)
    : options_(options),
      random_(options.seed),
      network_(random_),
      history_(options.history),
      ids_(make_ids(options.nodes)),
      invariants_(ids_) {
  g_current = this;
  for (NodeId id : ids_) {
    auto n = std::make_unique<Node>();
    n->id = id;
    nodes_.push_back(std::move(n));
  }
  for (auto& n : nodes_) start(*n, LogIndex(0));
}

SimCluster::~SimCluster() {
  if (g_current == this) g_current = nullptr;
}

const SimCluster* SimCluster::current() { return g_current; }

SimCluster::Node& SimCluster::node(NodeId id) { return *nodes_.at(id.value() - 1); }
const SimCluster::Node& SimCluster::node(NodeId id) const { return *nodes_.at(id.value() - 1); }

void SimCluster::start(Node& n, LogIndex applied) {
  RaftConfig cfg;
  cfg.id = n.id;
  cfg.peers = ids_;
  cfg.election_ticks = options_.election_ticks;
  cfg.heartbeat_ticks = options_.heartbeat_ticks;
  cfg.pre_vote = options_.pre_vote;
  cfg.check_quorum = options_.check_quorum;
  cfg.max_msg_bytes = options_.max_msg_bytes;
  cfg.max_inflight_msgs = options_.max_inflight_msgs;
  cfg.preferred_leader = options_.preferred_leader;
  cfg.applied = applied;
  n.random = std::make_unique<common::Random>(random_.next_u64());
  cfg.random = n.random.get();
  cfg.logger = [this](const std::string& line) { history_.line(now_, "raft " + line); };
  n.raft = std::make_unique<Raft>(cfg, n.storage);
  ++n.incarnation;
}

void SimCluster::observe(Node& n) { invariants_.observe(n.id, *n.raft); }

void SimCluster::step() {
  g_current = this;
  if (!ok()) return;
  ++now_;
  std::vector<Node*> order;
  for (auto& n : nodes_) {
    if (n->raft && !paused(n->id)) order.push_back(n.get());
  }
  // Fisher-Yates through Random::uniform, so the order depends on the seed alone.
  for (size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1],
              order[static_cast<size_t>(random_.uniform(0, static_cast<int64_t>(i) - 1))]);
  }
  for (Node* n : order) {
    if (!n->raft) continue;
    n->raft->tick();
    observe(*n);
    handle_ready(*n);
    if (!ok()) return;
  }
  Message m;
  int delivered = 0;
  while (network_.next_due(now_, &m)) {
    if (++delivered > kMaxDeliveriesPerStep) {
      return invariants_.fail("more than " + std::to_string(kMaxDeliveriesPerStep) +
                              " deliveries in one step (message storm)");
    }
    Node& to = node(m.to);
    if (!to.raft) continue;  // a crashed node loses what arrives
    history_.message(now_, m);
    to.raft->step(std::move(m));
    observe(to);
    handle_ready(to);
    if (!ok()) return;
  }
}

bool SimCluster::run_until(const std::function<bool()>& done, int max_steps) {
  for (int i = 0; i < max_steps; ++i) {
    if (!ok()) return false;
    if (done()) return true;
    step();
  }
  return ok() && done();
}

void SimCluster::run(int steps) {
  for (int i = 0; i < steps && ok(); ++i) step();
}

void SimCluster::handle_ready(Node& n) {
  for (int round = 0; n.raft && n.raft->has_ready(); ++round) {
    if (round == kMaxReadyRounds) return invariants_.fail(name(n.id) + ": has_ready() never ends");
    Ready rd = n.raft->ready();
    observe(n);
    if (rd.soft_state) {
      history_.line(now_, name(n.id) + " is " + to_string(rd.soft_state->role) + " of term " +
                              std::to_string(rd.soft_state->term.value()) + ", leader " +
                              std::to_string(rd.soft_state->leader.value()));
    }
    // 1. Persist: append (truncating a conflicting suffix), hard state, then sync.
    if (!rd.entries.empty()) {
      if (common::Status st = n.storage.append(rd.entries); !st.is_ok()) {
        return invariants_.fail(name(n.id) + ": storage append of index " +
                                std::to_string(rd.entries.front().index.value()) +
                                " failed: " + st.to_string());
      }
    }
    if (rd.hard_state) {
      if (common::Status st = n.storage.set_hard_state(*rd.hard_state); !st.is_ok()) {
        return invariants_.fail(name(n.id) + ": set_hard_state failed: " + st.to_string());
      }
    }
    if (n.crash_mid_ready && (!rd.entries.empty() || rd.hard_state)) {
      return crash_now(n, "crashed mid-Ready (written, not synced)");
    }
    if (common::Status st = n.storage.sync(); !st.is_ok()) {
      return invariants_.fail(name(n.id) + ": sync failed: " + st.to_string());
    }
    invariants_.persisted(n.id, n.storage, rd.entries);
    if (!ok()) return;
    // 2. Send.
    for (Message& m : rd.messages) {
      if (m.from != n.id || m.to.value() < 1 || m.to.value() > ids_.size() || m.to == n.id) {
        return invariants_.fail(name(n.id) +
                                " sent a misaddressed message: " + describe(m, m.entries.size()));
      }
      if (send_observer_) send_observer_(m);
      network_.send(std::move(m), now_);
    }
    // 3. Apply, 4. advance.
    apply_to(n, rd.commit);
    if (!ok()) return;
    n.raft->advance(rd);
    observe(n);
    if (!ok()) return;
  }
}

void SimCluster::apply_to(Node& n, LogIndex commit) {
  if (commit <= n.applied) return;
  if (commit > n.storage.last_index()) {
    return invariants_.fail(name(n.id) + ": Ready commit " + std::to_string(commit.value()) +
                            " beyond the persisted log (" +
                            std::to_string(n.storage.last_index().value()) + ")");
  }
  auto entries =
      n.storage.entries(n.applied.next(), commit.next(), std::numeric_limits<size_t>::max());
  if (!entries.ok()) {
    return invariants_.fail(name(n.id) +
                            ": cannot read committed entries: " + entries.status().to_string());
  }
  for (Entry& e : *entries) {
    invariants_.applied(n.id, e);
    if (!ok()) return;
    n.applied = e.index;
    n.applied_entries.push_back(std::move(e));
  }
  if (n.applied != commit) {
    return invariants_.fail(name(n.id) + ": storage returned entries up to " +
                            std::to_string(n.applied.value()) + ", wanted " +
                            std::to_string(commit.value()));
  }
  // Tell clients: a proposal is acknowledged when its index is committed with its term.
  auto resolved = std::remove_if(n.pending.begin(), n.pending.end(), [&](const Proposal& p) {
    if (p.index > n.applied) return false;
    const Entry& e = n.applied_entries[static_cast<size_t>(p.index.value() - 1)];
    if (e.term == p.term && e.data && *e.data == p.value) {
      invariants_.acknowledged(p.index, p.term, p.value);
      acked_.push_back(p);
      history_.line(now_, "ack '" + p.value + "' at " + std::to_string(p.index.value()));
    } else {
      history_.line(now_, "lost '" + p.value + "' at " + std::to_string(p.index.value()));
    }
    return true;
  });
  n.pending.erase(resolved, n.pending.end());
}

void SimCluster::crash_now(Node& n, const char* how) {
  n.raft.reset();
  n.storage.crash();
  n.crash_mid_ready = false;
  for (const Proposal& p : n.pending) {
    history_.line(now_, "unknown '" + p.value + "' (proposer crashed)");
  }
  n.pending.clear();
  history_.line(now_, name(n.id) + " " + how + "; durable log " +
                          std::to_string(n.storage.last_index().value()) + " entries");
}

void SimCluster::crash(NodeId id, CrashPoint point) {
  Node& n = node(id);
  if (!n.raft) return;
  if (point == CrashPoint::kMidReady) {
    n.crash_mid_ready = true;
    history_.line(now_, name(id) + " will crash in its next Ready");
  } else {
    crash_now(n, "crashed");
  }
}

void SimCluster::restart(NodeId id, KeepApplied keep) {
  Node& n = node(id);
  if (n.raft) return;
  if (keep == KeepApplied::kNo) {
    n.applied = LogIndex(0);
    n.applied_entries.clear();
  }
  start(n, n.applied);
  history_.line(now_, name(id) + " restarted (incarnation " + std::to_string(n.incarnation) +
                          ", applied " + std::to_string(n.applied.value()) + ")");
  invariants_.restarted(id, *n.raft, n.storage, n.applied);
  handle_ready(n);
}

bool SimCluster::up(NodeId id) const { return node(id).raft != nullptr; }
bool SimCluster::crash_pending(NodeId id) const { return node(id).crash_mid_ready; }

void SimCluster::pause(NodeId id) {
  network_.pause(id);
  history_.line(now_, name(id) + " paused");
}

void SimCluster::resume(NodeId id) {
  network_.resume(id, now_);
  history_.line(now_, name(id) + " resumed");
}

void SimCluster::isolate(const std::vector<NodeId>& side) {
  network_.isolate(side, ids_);
  std::string s("partition:");
  for (NodeId id : side) {
    s += ' ';
    s += name(id);
  }
  s += " | rest";
  history_.line(now_, s);
}

void SimCluster::heal_partitions() {
  network_.clear_grudges();
  history_.line(now_, "partitions healed");
}

std::optional<Proposal> SimCluster::propose(NodeId id, const std::string& value) {
  Node& n = node(id);
  if (!n.raft || paused(id)) return std::nullopt;
  auto r = n.raft->propose(EntryType::kMessage, std::make_shared<const std::string>(value));
  observe(n);
  if (!r.ok()) {
    handle_ready(n);
    return std::nullopt;
  }
  Proposal p{id, *r, n.raft->term(), value};
  if (p.index != n.raft->last_index() || n.raft->log().term(p.index) != p.term) {
    invariants_.fail(name(id) + ": propose returned index " + std::to_string(p.index.value()) +
                     " but the log ends at " + std::to_string(n.raft->last_index().value()));
  }
  n.pending.push_back(p);
  history_.line(now_, name(id) + " proposed '" + value + "' at " + std::to_string(p.index.value()) +
                          " term " + std::to_string(p.term.value()));
  handle_ready(n);
  return p;
}

common::Status SimCluster::transfer_leadership(NodeId from, NodeId target) {
  Node& n = node(from);
  if (!n.raft || paused(from)) return common::Status::unavailable("node down or paused");
  common::Status st = n.raft->transfer_leadership(target);
  history_.line(now_, name(from) + " transfer leadership to " + name(target) + ": " +
                          (st.is_ok() ? std::string("ok") : st.to_string()));
  observe(n);
  handle_ready(n);
  return st;
}

void SimCluster::campaign(NodeId id) {
  Node& n = node(id);
  if (!n.raft || paused(id)) return;
  history_.line(now_, name(id) + " campaigns");
  n.raft->campaign();
  observe(n);
  handle_ready(n);
}

const Raft* SimCluster::raft(NodeId id) const { return node(id).raft.get(); }
const MemoryLogStorage& SimCluster::storage(NodeId id) const { return node(id).storage; }
LogIndex SimCluster::applied(NodeId id) const { return node(id).applied; }

NodeId SimCluster::leader() const {
  NodeId best = kNoNode;
  Term best_term;
  for (const auto& n : nodes_) {
    if (n->raft && n->raft->role() == Role::kLeader &&
        (best == kNoNode || n->raft->term() > best_term)) {
      best = n->id;
      best_term = n->raft->term();
    }
  }
  return best;
}

bool SimCluster::applied_by(NodeId id, const Proposal& p) const {
  const Node& n = node(id);
  if (p.index > n.applied) return false;
  const Entry& e = n.applied_entries[static_cast<size_t>(p.index.value() - 1)];
  return e.term == p.term && e.data && *e.data == p.value;
}

bool SimCluster::applied_everywhere(const Proposal& p) const {
  return std::all_of(ids_.begin(), ids_.end(), [&](NodeId id) { return applied_by(id, p); });
}

uint64_t SimCluster::fingerprint() const {
  Fnv h;
  h.add_u64(history_.hash());
  for (const auto& n : nodes_) {
    const HardState hs = n->storage.hard_state();
    h.add_u64(hs.term.value());
    h.add_u64(hs.vote.value());
    h.add_u64(static_cast<uint64_t>(hs.commit.value()));
    const LogIndex last = n->storage.last_index();
    if (last >= LogIndex(1)) {
      auto all = n->storage.entries(LogIndex(1), last.next(), std::numeric_limits<size_t>::max());
      if (all.ok()) {
        for (const Entry& e : *all) {
          h.add_u64(e.term.value());
          h.add_str(e.data ? *e.data : std::string());
        }
      }
    }
    h.add_u64(static_cast<uint64_t>(n->applied.value()));
    for (const Entry& e : n->applied_entries) h.add_u64(e.term.value());
  }
  return h.value();
}

std::string SimCluster::report() const {
  std::ostringstream os;
  os << "seed=" << options_.seed << " step=" << now_ << " nodes=" << options_.nodes << ": "
     << (ok() ? std::string("no violation") : invariants_.failure()) << "\n";
  for (const auto& n : nodes_) {
    os << "  " << name(n->id) << ": ";
    if (n->raft) {
      os << to_string(n->raft->role()) << " term=" << n->raft->term()
         << " leader=" << n->raft->leader() << " commit=" << n->raft->commit()
         << " last=" << n->raft->last_index();
    } else {
      os << "down";
    }
    os << " applied=" << n->applied << " durable=" << n->storage.last_index()
       << (paused(n->id) ? " paused" : "") << "\n";
  }
  os << "last events:\n" << history_.dump();
  return os.str();
}

}  // namespace rmq::dledger::sim
