// SimNetwork: the simulation's network on a logical clock (STYLE.md §5, "Randomized nemesis").
// A min-heap of (deliver_at tick, send sequence, message); delay, drop and duplication are drawn
// from the one seeded Random the cluster owns, so a seed replays exactly. Grudges (directed
// from->to pairs that drop) model symmetric and asymmetric partitions; messages to a paused node
// are held until it resumes. Owned by SimCluster; single-threaded.
#pragma once

#include "common/random.h"
#include "dledger/types.h"

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace rmq::dledger::sim {

struct NetworkFaults {
  int max_delay = 0;       // delay drawn uniformly in [0, max_delay] ticks
  double drop = 0.0;       // probability a sent message is lost
  double duplicate = 0.0;  // probability a sent message is delivered twice
};

struct NetworkStats {
  uint64_t sent = 0;
  uint64_t dropped = 0;  // random loss
  uint64_t grudged = 0;  // cut by a partition
  uint64_t duplicated = 0;
  uint64_t delivered = 0;
};

class SimNetwork {
 public:
  // `random` is the cluster's generator and outlives the network.
  explicit SimNetwork(common::Random& random) : random_(random) {}

  void set_faults(const NetworkFaults& faults) { faults_ = faults; }
  const NetworkFaults& faults() const { return faults_; }

  // Queues `m` for delivery at now + delay; it may be lost or duplicated.
  void send(Message m, int64_t now);
  // Pops the next message due at or before `now`, in (deliver_at, seq) order. Messages cut by a
  // grudge are dropped here (delivery time, so a partition also cuts messages in flight);
  // messages to a paused node are moved aside until resume(). False when nothing is due.
  bool next_due(int64_t now, Message* out);

  // Directed partitions: messages from -> to are dropped while the grudge holds.
  void add_grudge(NodeId from, NodeId to) { grudges_.insert({from, to}); }
  void remove_grudge(NodeId from, NodeId to) { grudges_.erase({from, to}); }
  bool has_grudge(NodeId from, NodeId to) const { return grudges_.count({from, to}) != 0; }
  void clear_grudges() { grudges_.clear(); }
  bool partitioned() const { return !grudges_.empty(); }
  // Symmetric partition: `side` cannot talk to the rest of `all`, in either direction.
  void isolate(const std::vector<NodeId>& side, const std::vector<NodeId>& all);

  void pause(NodeId n) { paused_.insert(n); }
  // Releases held messages for `n`, due at `now`, in their original order.
  void resume(NodeId n, int64_t now);
  bool paused(NodeId n) const { return paused_.count(n) != 0; }

  size_t in_flight() const { return heap_.size(); }
  const NetworkStats& stats() const { return stats_; }

 private:
  struct Slot {
    int64_t deliver_at;
    uint64_t seq;
    Message msg;
  };
  struct Later {  // heap order: the earliest (deliver_at, seq) on top
    bool operator()(const Slot& a, const Slot& b) const {
      return a.deliver_at != b.deliver_at ? a.deliver_at > b.deliver_at : a.seq > b.seq;
    }
  };
  void push(Message m, int64_t at);

  common::Random& random_;
  NetworkFaults faults_;
  std::vector<Slot> heap_;
  uint64_t seq_ = 0;
  std::set<std::pair<NodeId, NodeId>> grudges_;
  std::set<NodeId> paused_;
  std::map<NodeId, std::vector<Message>> held_;  // to a paused node, in arrival order
  NetworkStats stats_;
};

}  // namespace rmq::dledger::sim
