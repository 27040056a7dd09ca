// BrokerMetrics: the broker's Prometheus series (metrics/README.md lists them) and its /metrics
// HTTP server. Counters on the message path are the ones BrokerStats keeps anyway (relaxed
// atomics), read at scrape time; Raft, store and disk state is sampled once per scrape (one
// RaftNode::status() and one statvfs). RaftEventTracker turns role changes into election and
// leader-change counts and the duration of the last failover.
// Owned by the BrokerController: constructed in build(), start() after the remoting server is up,
// stop() first thing in the controller's stop(). Thread-safe.
#pragma once

#include "broker/broker_config.h"
#include "broker/broker_context.h"
#include "common/status.h"
#include "dledger/types.h"
#include "metrics/registry.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

namespace rmq::metrics {
class HttpServer;
}  // namespace rmq::metrics

namespace rmq::broker {

// Counts Raft events from the role changes a node reports (SoftState: role, leader, term).
// - An election started by this node: a new term in which it is a candidate (or already the
//   leader, when the candidate step fell into the same Ready).
// - A leader change: a leader seen for a new term (so the first election counts too).
// - A failover: from the first report without a leader after one was known, to this node
//   accepting writes (when it is the new leader: on_writable()) or learning the new leader (as a
//   follower). A node that learns the new leader without ever being leaderless measures none.
// Pure (times are passed in); thread-safe.
class RaftEventTracker {
 public:
  explicit RaftEventTracker(dledger::NodeId self) : self_(self) {}

  void on_soft_state(const dledger::SoftState& ss, int64_t now_ms);
  // This node, leader, now accepts writes (no-op committed, dispatch caught up).
  void on_writable(int64_t now_ms);

  uint64_t elections_started() const;
  uint64_t leader_changes() const;
  // Milliseconds of the last failover this node measured; -1 before the first.
  int64_t last_failover_ms() const;

 private:
  const dledger::NodeId self_;
  mutable std::mutex mu_;
  uint64_t elections_ = 0;          // GUARDED_BY(mu_)
  uint64_t leader_changes_ = 0;     // GUARDED_BY(mu_)
  int64_t last_failover_ms_ = -1;   // GUARDED_BY(mu_)
  uint64_t election_term_ = 0;      // GUARDED_BY(mu_): term of the last election counted
  uint64_t leader_term_ = 0;        // GUARDED_BY(mu_): term of the last leader counted
  bool had_leader_ = false;         // GUARDED_BY(mu_)
  int64_t leaderless_since_ = -1;   // GUARDED_BY(mu_): wall ms, -1 when not in a failover
  bool awaiting_writable_ = false;  // GUARDED_BY(mu_): this node won; ends at on_writable()
};

class BrokerMetrics {
 public:
  // `client_connections` reports the remoting server's connection count (called at scrape time,
  // only after start()). REQUIRES: `ctx` and what it refers to outlive this object.
  BrokerMetrics(const BrokerConfig& config, BrokerContext& ctx,
                std::function<size_t()> client_connections);
  ~BrokerMetrics();
  BrokerMetrics(const BrokerMetrics&) = delete;
  BrokerMetrics& operator=(const BrokerMetrics&) = delete;

  // Serves GET /metrics on bindAddress:effective_metrics_port(config); nothing when that is -1.
  // IOError when the port cannot be bound.
  [[nodiscard]] common::Status start();
  void stop();
  // The bound port; 0 when disabled or not started.
  uint16_t port() const;

  RaftEventTracker& raft_events() { return raft_events_; }
  metrics::Registry& registry() { return registry_; }

 private:
  struct Snapshot;
  void register_all();
  void take_snapshot();

  const BrokerConfig& config_;
  BrokerContext& ctx_;
  std::function<size_t()> client_connections_;
  RaftEventTracker raft_events_;
  std::unique_ptr<Snapshot> snap_;  // written by the on_scrape hook, read by the series after it
  metrics::Registry registry_;
  std::unique_ptr<metrics::HttpServer> http_;
};

}  // namespace rmq::broker
