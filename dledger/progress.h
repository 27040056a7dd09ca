// Progress: the leader's view of one follower (etcd tracker/progress.go). In kProbe the leader
// sends one append at a time until it finds where the logs match; in kReplicate it pipelines
// batches optimistically (next advances on send), bounded by in-flight messages and bytes.
#pragma once

#include "dledger/types.h"

#include <cstddef>
#include <deque>

namespace rmq::dledger {

struct Progress {
  enum class State { kProbe, kReplicate };

  LogIndex match;  // highest index known replicated on the follower
  LogIndex next;   // next index to send
  State state = State::kProbe;
  bool probe_sent = false;     // kProbe: an append is outstanding
  bool recent_active = false;  // heard from since the last check-quorum

  struct Inflight {
    LogIndex last;
    size_t bytes;
  };
  std::deque<Inflight> inflights;
  size_t inflight_bytes = 0;

  void become_probe() {
    state = State::kProbe;
    next = match.next();
    probe_sent = false;
    inflights.clear();
    inflight_bytes = 0;
  }
  void become_replicate() {
    state = State::kReplicate;
    next = match.next();
    probe_sent = false;
  }
  // A success up to `n`: true if it moved match.
  bool maybe_update(LogIndex n) {
    bool updated = false;
    if (match < n) {
      match = n;
      updated = true;
      probe_sent = false;
    }
    if (next < n.next()) next = n.next();
    return updated;
  }
  // A rejection of the append after `rejected`; `hint` is where the leader should retry from
  // (computed by the caller). False if the rejection is stale.
  bool maybe_decrease_to(LogIndex rejected, LogIndex hint) {
    if (state == State::kReplicate) {
      if (rejected <= match) return false;  // stale
      next = match.next();
      return true;
    }
    if (next.prev() != rejected) return false;  // stale
    next = std::max(std::min(rejected, hint.next()), LogIndex(1));
    probe_sent = false;
    return true;
  }
  void sent(LogIndex last, size_t bytes) {
    if (state == State::kReplicate) {
      inflights.push_back({last, bytes});
      inflight_bytes += bytes;
      next = last.next();
    } else {
      probe_sent = true;
    }
  }
  // Frees in-flight slots up to `index` (acknowledged).
  void free_to(LogIndex index) {
    while (!inflights.empty() && inflights.front().last <= index) {
      inflight_bytes -= inflights.front().bytes;
      inflights.pop_front();
    }
  }
  bool paused(size_t max_msgs, size_t max_bytes) const {
    if (state == State::kProbe) return probe_sent;
    return inflights.size() >= max_msgs || inflight_bytes >= max_bytes;
  }
};

}  // namespace rmq::dledger
