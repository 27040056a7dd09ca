// RouteInfoManager: the NameServer's route tables (RocketMQ's RouteInfoManager). Pure: no sockets,
// no threads; liveness is judged by the injected Clock, so tests drive expiry with a ManualClock.
// Owned by NamesrvController; thread-safe (one mutex around every table), called from the request
// executor and the expiry scan.
//
// DLedger rule (PROTOCOL.md §4): each brokerName publishes exactly one brokerId-0 address, the
// current Raft leader. A brokerId-0 registration from a new address replaces the old one, and a
// registration carrying a Raft term lower than the highest term seen for its brokerName is refused,
// so a deposed leader cannot take id 0 back with a late registration.
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "common/strong_id.h"
#include "common/thread_annotations.h"
#include "namesrv/route_data.h"

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::namesrv {

struct RouteInfoOptions {
  // A broker that has not registered for this long is removed by scan_not_active_brokers().
  common::Duration broker_expiry = std::chrono::seconds(120);
};

struct RegisterBrokerRequest {
  std::string cluster_name;
  std::string broker_addr;  // "ip:port" clients connect to
  std::string broker_name;
  int64_t broker_id = kMasterId;
  std::string ha_server_addr;
  RegisterBrokerBody body;
  // Raft term of the registering member (extField raftTerm). Zero: unknown, never refused.
  common::Term raft_term{0};
  // The remoting connection the registration arrived on (0: unknown). When that connection
  // closes, the broker is removed at once (RocketMQ's onChannelDestroy) instead of expiring.
  uint64_t connection_id = 0;
};

// What a slave learns about its master (empty for a master or when no live master is known).
struct RegisterBrokerResult {
  std::string ha_server_addr;
  std::string master_addr;
};

class RouteInfoManager {
 public:
  explicit RouteInfoManager(common::Clock& clock, RouteInfoOptions options = {});
  RouteInfoManager(const RouteInfoManager&) = delete;
  RouteInfoManager& operator=(const RouteInfoManager&) = delete;

  // Registers (or refreshes) one broker and, for brokerId 0, its topics' queue datas: when the
  // data version changed, on the first registration, or when the id-0 address changed. An
  // address registered under another id of the same brokerName moves to `broker_id`.
  // InvalidArgument: empty cluster/addr/name or a negative id. Aborted: raft_term is below the
  // highest term seen for the brokerName (nothing changes).
  [[nodiscard]] common::Result<RegisterBrokerResult> register_broker(
      const RegisterBrokerRequest& request);

  // Removes `broker_addr` from `broker_name` (whatever id it is registered under) and from the
  // live table. When the group has no address left, its queue datas and cluster entry go too.
  // `broker_id` is informational: a deposed leader unregistering as id 0 never removes the new
  // leader's address. Returns false when the address was not registered under that name.
  bool unregister_broker(std::string_view cluster_name, std::string_view broker_addr,
                         std::string_view broker_name, int64_t broker_id);

  // NotFound when the topic has no queue data, or none of its brokers is known.
  [[nodiscard]] common::Result<TopicRouteData> topic_route(std::string_view topic) const;
  ClusterInfo cluster_info() const;
  std::vector<std::string> all_topics() const;  // sorted
  // Topics with queue data on a broker of `cluster` (sorted); empty for an unknown cluster.
  std::vector<std::string> topics_by_cluster(std::string_view cluster) const;
  // Removes the topic's queue datas on every broker, or only on the brokers of `cluster`; the
  // topic disappears when no queue data is left. Returns false if nothing was removed.
  bool delete_topic(std::string_view topic, std::optional<std::string_view> cluster = std::nullopt);

  // Removes every broker whose last registration is older than options.broker_expiry, as if it
  // had unregistered. Returns the removed broker addresses.
  std::vector<std::string> scan_not_active_brokers();
  // Removes every broker whose latest registration came over connection `connection_id` (it
  // closed: the broker died or restarted), as if it had unregistered. Returns their addresses.
  std::vector<std::string> on_connection_closed(uint64_t connection_id);

  // Addresses of the brokers in the live table (sorted), for tests and status output.
  std::vector<std::string> live_broker_addrs() const;
  // The highest Raft term seen for `broker_name` (0 when none).
  common::Term raft_term(std::string_view broker_name) const;

 private:
  struct BrokerLiveInfo {
    common::TimePoint last_update;
    DataVersion data_version;
    std::string ha_server_addr;
    uint64_t connection_id = 0;
  };

  // Drops `addr` from the live table and from every group listing it.
  void remove_live_broker(const std::string& addr) REQUIRES(mu_);

  void upsert_queue_data(const std::string& broker_name, const TopicConfig& config) REQUIRES(mu_);
  // Removes `addr` from `broker_name`'s addresses; drops the whole group when none is left.
  bool remove_broker_addr(const std::string& broker_name, const std::string& addr) REQUIRES(mu_);
  void remove_broker_name(const std::string& broker_name) REQUIRES(mu_);

  common::Clock& clock_;
  const RouteInfoOptions options_;
  mutable common::Mutex mu_;
  // topic -> brokerName -> queues
  std::map<std::string, std::map<std::string, QueueData>, std::less<>> topic_queue_table_
      GUARDED_BY(mu_);
  std::map<std::string, BrokerData, std::less<>> broker_addr_table_ GUARDED_BY(mu_);
  std::map<std::string, std::set<std::string>, std::less<>> cluster_addr_table_ GUARDED_BY(mu_);
  std::map<std::string, BrokerLiveInfo, std::less<>> broker_live_table_ GUARDED_BY(mu_);
  // brokerName -> highest Raft term seen; forgotten with the group.
  std::map<std::string, common::Term, std::less<>> raft_terms_ GUARDED_BY(mu_);
};

}  // namespace rmq::namesrv
