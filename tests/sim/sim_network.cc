#include "tests/sim/sim_network.h"

#include <algorithm>

namespace rmq::dledger::sim {

void SimNetwork::push(Message m, int64_t at) {
  heap_.push_back(Slot{at, seq_++, std::move(m)});
  std::push_heap(heap_.begin(), heap_.end(), Later());
}

void SimNetwork::send(Message m, int64_t now) {
  ++stats_.sent;
  // Always draw the same number of values per message, so that changing a probability does not
  // shift the rest of the random stream more than necessary.
  const bool lost = random_.chance(faults_.drop);
  const bool dup = random_.chance(faults_.duplicate);
  const int64_t delay = faults_.max_delay > 0 ? random_.uniform(0, faults_.max_delay) : 0;
  if (lost) {
    ++stats_.dropped;
    return;
  }
  if (dup) {
    ++stats_.duplicated;
    const int64_t delay2 = faults_.max_delay > 0 ? random_.uniform(0, faults_.max_delay) : 0;
    push(m, now + delay2);
  }
  push(std::move(m), now + delay);
}

bool SimNetwork::next_due(int64_t now, Message* out) {
  while (!heap_.empty() && heap_.front().deliver_at <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    Message m = std::move(heap_.back().msg);
    heap_.pop_back();
    if (has_grudge(m.from, m.to)) {
      ++stats_.grudged;
      continue;
    }
    if (paused(m.to)) {
      held_[m.to].push_back(std::move(m));
      continue;
    }
    ++stats_.delivered;
    *out = std::move(m);
    return true;
  }
  return false;
}

void SimNetwork::isolate(const std::vector<NodeId>& side, const std::vector<NodeId>& all) {
  for (NodeId a : side) {
    for (NodeId b : all) {
      if (std::find(side.begin(), side.end(), b) != side.end()) continue;
      add_grudge(a, b);
      add_grudge(b, a);
    }
  }
}

void SimNetwork::resume(NodeId n, int64_t now) {
  paused_.erase(n);
  auto it = held_.find(n);
  if (it == held_.end()) return;
  for (Message& m : it->second) push(std::move(m), now);
  held_.erase(it);
}

}  // namespace rmq::dledger::sim
