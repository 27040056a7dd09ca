// SimCluster: N Raft nodes (MemoryLogStorage + Raft + a state machine that records what it
// applied) on a SimNetwork, driven in logical steps by one thread. It is the driver of the Raft
// contract (persist, sync, send, apply, advance) with fault injection: crash-restart at a Ready
// boundary or in the middle of one (entries written, not synced), pauses and partitions. Every
// call into a Raft is followed by the Invariants hooks; after the first violation ok() is false.
// Owned by a test; the nemesis schedule and the scenarios drive it from outside.
#pragma once

#include "common/random.h"
#include "dledger/memory_log_storage.h"
#include "dledger/raft.h"
#include "tests/sim/invariants.h"
#include "tests/sim/sim_network.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rmq::dledger::sim {

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 3;
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  NodeId preferred_leader = kNoNode;
  size_t max_msg_bytes = 1u << 20;
  size_t max_inflight_msgs = 64;
  size_t history = 60;  // events kept for a failure report
};

enum class CrashPoint {
  kNow,       // between two Readys: whatever was synced survives
  kMidReady,  // at the node's next Ready that writes: entries and hard state written, not synced
};
enum class KeepApplied {
  kYes,  // the state machine survives; Raft restarts with config.applied = what it applied
  kNo,   // the state machine starts over from index 1
};

// A value a client handed to a leader.
struct Proposal {
  NodeId node;
  LogIndex index;
  Term term;
  std::string value;
};

class SimCluster {
 public:
  explicit SimCluster(const SimOptions& options);
  ~SimCluster();
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  // One logical step: tick every running, unpaused node (in a random order), then deliver every
  // message due, handling the receiver's Ready after each one.
  void step();
  // Steps until `done()` holds (checked before each step) or `max_steps` ran, or a violation.
  bool run_until(const std::function<bool()>& done, int max_steps);
  void run(int steps);

  const SimOptions& options() const { return options_; }
  int64_t now() const { return now_; }
  const std::vector<NodeId>& ids() const { return ids_; }
  SimNetwork& network() { return network_; }
  common::Random& random() { return random_; }
  Invariants& invariants() { return invariants_; }
  History& history() { return history_; }
  bool ok() const { return invariants_.ok(); }
  void note(const std::string& text) { history_.line(now_, text); }

  // Faults.
  void crash(NodeId id, CrashPoint point);
  void restart(NodeId id, KeepApplied keep);
  bool up(NodeId id) const;  // not crashed (a paused node is up)
  bool crash_pending(NodeId id) const;
  void pause(NodeId id);
  void resume(NodeId id);
  bool paused(NodeId id) const { return network_.paused(id); }
  // Symmetric partition: `side` against everyone else.
  void isolate(const std::vector<NodeId>& side);
  void heal_partitions();

  // Client and operator calls; nullopt / error when the node is down, paused or refuses.
  std::optional<Proposal> propose(NodeId id, const std::string& value);
  common::Status transfer_leadership(NodeId from, NodeId target);
  void campaign(NodeId id);
  const std::vector<Proposal>& acknowledged() const { return acked_; }

  // Observation. raft() is null while the node is down.
  const Raft* raft(NodeId id) const;
  const MemoryLogStorage& storage(NodeId id) const;
  LogIndex applied(NodeId id) const;
  // The leader with the highest term among nodes that are up, or kNoNode.
  NodeId leader() const;
  // `p` was applied (same index and term) by node `id` / by every node.
  bool applied_by(NodeId id, const Proposal& p) const;
  bool applied_everywhere(const Proposal& p) const;

  // Hash of the full history and every node's log, hard state and applied sequence.
  uint64_t fingerprint() const;
  // "seed=N step=M: <violation>" followed by the last events.
  std::string report() const;
  // Called with every message a node sends, before the network sees it.
  void set_send_observer(std::function<void(const Message&)> f) { send_observer_ = std::move(f); }

  // The cluster whose step is running on this thread (for the abort handler), or null.
  static const SimCluster* current();

 private:
  struct Node;
  Node& node(NodeId id);
  const Node& node(NodeId id) const;
  void start(Node& n, LogIndex applied);
  void handle_ready(Node& n);
  void apply_to(Node& n, LogIndex commit);
  void crash_now(Node& n, const char* how);
  void observe(Node& n);

  SimOptions options_;
  common::Random random_;
  SimNetwork network_;
  History history_;
  std::vector<NodeId> ids_;
  Invariants invariants_;
  std::vector<std::unique_ptr<Node>> nodes_;  // nodes_[i] has id i + 1
  std::vector<Proposal> acked_;
  std::function<void(const Message&)> send_observer_;
  int64_t now_ = 0;
};

}  // namespace rmq::dledger::sim
