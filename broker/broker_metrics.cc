#include "broker/broker_metrics.h"

#include "broker/replication/dledger_commit_log.h"
#include "metrics/http_server.h"
#include "remoting/server.h"
#include "store/file_system.h"
#include "store/message_store.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace rmq::broker {

using dledger::Role;

// ---- RaftEventTracker --------------------------------------------------------------------------

void RaftEventTracker::on_soft_state(const dledger::SoftState& ss, int64_t now_ms) {
  std::lock_guard lock(mu_);
  const uint64_t term = ss.term.value();
  const bool won_here = ss.role == Role::kLeader && ss.leader == self_;
  if ((ss.role == Role::kCandidate || won_here) && term > election_term_) {
    ++elections_;
    election_term_ = term;
  }
  if (ss.leader == dledger::kNoNode) {
    // Leaderless: a failover starts here if a leader was known before.
    if (had_leader_ && leaderless_since_ < 0) leaderless_since_ = now_ms;
    awaiting_writable_ = false;
    return;
  }
  if (term > leader_term_) {
    ++leader_changes_;
    leader_term_ = term;
  }
  had_leader_ = true;
  if (leaderless_since_ < 0) return;
  if (won_here) {
    awaiting_writable_ = true;  // ends when this node accepts writes
  } else {
    last_failover_ms_ = now_ms - leaderless_since_;
    leaderless_since_ = -1;
    awaiting_writable_ = false;
  }
}

void RaftEventTracker::on_writable(int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (!awaiting_writable_ || leaderless_since_ < 0) return;
  last_failover_ms_ = now_ms - leaderless_since_;
  leaderless_since_ = -1;
  awaiting_writable_ = false;
}

uint64_t RaftEventTracker::elections_started() const {
  std::lock_guard lock(mu_);
  return elections_;
}

uint64_t RaftEventTracker::leader_changes() const {
  std::lock_guard lock(mu_);
  return leader_changes_;
}

int64_t RaftEventTracker::last_failover_ms() const {
  std::lock_guard lock(mu_);
  return last_failover_ms_;
}

// ---- BrokerMetrics -----------------------------------------------------------------------------

namespace {

constexpr std::array<std::pair<Role, const char*>, 4> kRoles = {{
    {Role::kFollower, "follower"},
    {Role::kPreCandidate, "pre_candidate"},
    {Role::kCandidate, "candidate"},
    {Role::kLeader, "leader"},
}};

// "n2" (built by appending: GCC 12's -Wrestrict misfires on "n" + std::to_string() here).
std::string node_name(dledger::NodeId id) {
  std::string s = "n";
  s += std::to_string(id.value());
  return s;
}

std::string node_label(const BrokerContext& ctx) {
  return ctx.dledger == nullptr ? std::string("local") : node_name(ctx.dledger->options().self);
}

template <typename T>
double as_double(T v) {
  return static_cast<double>(v);
}

}  // namespace

// One consistent view per scrape, taken by the on_scrape hook (render() holds the registry's
// lock, so the series that read it never see a half-written snapshot).
struct BrokerMetrics::Snapshot {
  dledger::net::NodeStatus raft;
  bool writable = false;
  double disk_total = NAN;
  double disk_free = NAN;
};

BrokerMetrics::BrokerMetrics(const BrokerConfig& config, BrokerContext& ctx,
                             std::function<size_t()> client_connections)
    : config_(config),
      ctx_(ctx),
      client_connections_(std::move(client_connections)),
      raft_events_(ctx.dledger != nullptr ? ctx.dledger->options().self : dledger::kNoNode),
      snap_(std::make_unique<Snapshot>()),
      registry_(metrics::Labels{{"cluster", config.broker_cluster_name},
                                {"broker", config.broker_name},
                                {"node", node_label(ctx)}}) {
  register_all();
}

BrokerMetrics::~BrokerMetrics() { stop(); }

void BrokerMetrics::take_snapshot() {
  Snapshot& s = *snap_;
  if (ctx_.dledger != nullptr) s.raft = ctx_.dledger->node().status();
  s.writable = ctx_.writable_node();
  auto du = store::posix_file_system().disk_usage(config_.store_path_root_dir);
  s.disk_total = du.ok() ? static_cast<double>(du->total_bytes) : NAN;
  s.disk_free = du.ok() ? static_cast<double>(du->free_bytes) : NAN;
}

void BrokerMetrics::register_all() {
  metrics::Registry& r = registry_;
  BrokerStats& stats = ctx_.stats;
  const Snapshot& s = *snap_;
  r.on_scrape([this] { take_snapshot(); });

  // Message path: what BrokerStats counts anyway.
  r.counter_fn("raftmq_put_messages_total", "Messages stored by sends on this node.",
               [&stats] { return as_double(stats.put_msgs()); });
  r.counter_fn("raftmq_put_bytes_total", "Bytes of messages stored by sends on this node.",
               [&stats] { return as_double(stats.put_bytes()); });
  r.counter_fn("raftmq_put_failures_total", "Sends the store refused or failed.",
               [&stats] { return as_double(stats.put_failures()); });
  r.counter_fn("raftmq_get_messages_total", "Messages returned by pulls from this node.",
               [&stats] { return as_double(stats.get_msgs()); });
  r.counter_fn("raftmq_get_bytes_total", "Bytes of messages returned by pulls from this node.",
               [&stats] { return as_double(stats.get_bytes()); });
  r.add_histogram_ref("raftmq_send_latency_seconds",
                      "Time from a send request's arrival to its response being written, for "
                      "sends that reached the store (in DLedger mode: includes the majority "
                      "commit).",
                      stats.send_latency());
  r.gauge_fn("raftmq_broker_writable", "1 when this node accepts sends (leader, ready).",
             [&s] { return s.writable ? 1.0 : 0.0; });
  r.gauge_fn("raftmq_client_connections", "Open client connections on the remoting port.", [this] {
    return client_connections_ ? static_cast<double>(client_connections_()) : 0;
  });

  // Store: dispatch and disk.
  store::MessageStore& st = ctx_.store;
  r.gauge_fn("raftmq_commitlog_confirm_offset_bytes",
             "End of the committed (dispatchable) commit log, as a position in bytes.",
             [&st] { return static_cast<double>(st.commit_log().confirm_offset()); });
  r.gauge_fn("raftmq_commitlog_uncommitted_bytes",
             "Bytes written to the log and not yet committed (max minus confirm offset).", [&st] {
               return static_cast<double>(std::max<int64_t>(
                   0, st.commit_log().max_offset() - st.commit_log().confirm_offset()));
             });
  r.gauge_fn("raftmq_dispatch_lag_bytes",
             "Committed bytes not yet dispatched to consume queues and index (confirm offset "
             "minus dispatched offset).",
             [&st] { return static_cast<double>(std::max<int64_t>(0, st.reput().behind())); });
  r.gauge_fn("raftmq_store_disk_total_bytes", "Size of the file system holding the store.",
             [&s] { return s.disk_total; });
  r.gauge_fn("raftmq_store_disk_free_bytes", "Free bytes on the file system holding the store.",
             [&s] { return s.disk_free; });
  r.gauge_fn("raftmq_store_disk_used_bytes",
             "Used bytes on the file system holding the store (total minus free).",
             [&s] { return s.disk_total - s.disk_free; });
  r.gauge_fn("raftmq_store_disk_full", "1 while writes are refused because the disk is full.",
             [&st] { return st.disk_full() ? 1.0 : 0.0; });

  if (ctx_.dledger == nullptr) return;  // local mode: no Raft series

  for (const auto& [role, name] : kRoles) {
    r.gauge_fn("raftmq_raft_role", "1 for this node's current Raft role, 0 for the others.",
               [&s, role = role] { return s.raft.soft.role == role ? 1.0 : 0.0; },
               {{"role", name}});
  }
  r.gauge_fn("raftmq_raft_term", "Current Raft term.",
             [&s] { return as_double(s.raft.soft.term.value()); });
  r.gauge_fn("raftmq_raft_leader_id", "Node id of the known leader (n2 -> 2), 0 when none.",
             [&s] { return as_double(s.raft.soft.leader.value()); });
  r.gauge_fn("raftmq_raft_commit_index", "Highest log index known committed.",
             [&s] { return as_double(s.raft.commit.value()); });
  r.gauge_fn("raftmq_raft_last_index", "Highest log index in this node's log.",
             [&s] { return as_double(s.raft.last_index.value()); });
  const dledger::NodeId self = ctx_.dledger->options().self;
  r.collector("raftmq_raft_peer_match_index",
              "Leader only: highest log index known replicated on each follower.",
              metrics::MetricType::kGauge, [&s, self](std::vector<metrics::Sample>& out) {
                if (s.raft.soft.role != Role::kLeader) return;
                for (const auto& [id, match] : s.raft.match) {
                  if (id == self) continue;
                  out.push_back({{{"peer", node_name(id)}}, as_double(match.value())});
                }
              });
  r.collector(
      "raftmq_raft_peer_lag_entries",
      "Leader only: entries each follower lacks (leader's last index minus its match "
      "index).",
      metrics::MetricType::kGauge, [&s, self](std::vector<metrics::Sample>& out) {
        if (s.raft.soft.role != Role::kLeader) return;
        for (const auto& [id, match] : s.raft.match) {
          if (id == self) continue;
          const auto lag = s.raft.last_index.value() - match.value();
          out.push_back({{{"peer", node_name(id)}}, as_double(std::max<decltype(lag)>(0, lag))});
        }
      });
  r.counter_fn("raftmq_raft_elections_started_total", "Elections this node started.",
               [this] { return as_double(raft_events_.elections_started()); });
  r.counter_fn("raftmq_raft_leader_changes_total",
               "Leaders this node has seen take office (one per term with a leader).",
               [this] { return as_double(raft_events_.leader_changes()); });
  r.collector("raftmq_raft_last_failover_seconds",
              "Last failover this node measured: from losing its leader to accepting writes "
              "(new leader) or learning the new leader (follower); absent before the first.",
              metrics::MetricType::kGauge, [this](std::vector<metrics::Sample>& out) {
                const int64_t ms = raft_events_.last_failover_ms();
                if (ms >= 0) out.push_back({{}, static_cast<double>(ms) / 1000.0});
              });
}

common::Status BrokerMetrics::start() {
  const int32_t port = effective_metrics_port(config_);
  if (port < 0 || http_) return common::Status::ok();
  metrics::HttpServerOptions o;
  o.bind_address = config_.bind_address;
  o.port = static_cast<uint16_t>(port);
  o.name = "broker-metrics";
  auto http = std::make_unique<metrics::HttpServer>(o, registry_);
  RMQ_RETURN_IF_ERROR(http->start());
  http_ = std::move(http);
  return common::Status::ok();
}

void BrokerMetrics::stop() {
  if (http_) http_->stop();
}

uint16_t BrokerMetrics::port() const { return http_ ? http_->port() : 0; }

}  // namespace rmq::broker
