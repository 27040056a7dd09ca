// RouteCache: topic routes from the NameServers (GET_ROUTEINFO_BY_TOPIC, 105), cached per topic and
// refreshed on demand (after a "not leader" or connection error) or when older than `max_age`
// (30 s, as RocketMQ clients poll). Tries each NameServer in turn. Thread-safe.
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "remoting/client.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rmq::client {

struct QueueRef {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;
  friend auto operator<=>(const QueueRef&, const QueueRef&) = default;
};

struct BrokerRoute {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> addrs;  // brokerId -> "ip:port"; 0 = master/leader
  int32_t read_queues = 0;
  int32_t write_queues = 0;
  int32_t perm = 0;
};

struct TopicRoute {
  std::string topic;
  std::vector<BrokerRoute> brokers;  // sorted by broker name
  // Queues a producer may send to (WRITE perm and a brokerId-0 address), in a stable order.
  std::vector<QueueRef> publish_queues() const;
  // Queues a consumer reads (READ perm).
  std::vector<QueueRef> subscribe_queues() const;
  // The brokerId-0 address of a broker name ("" if none).
  std::string master_addr(const std::string& broker_name) const;
  common::TimePoint fetched{};
};

// Parses a TopicRouteData body (quoted or unquoted integer brokerAddrs keys).
[[nodiscard]] common::Result<TopicRoute> parse_topic_route(const std::string& topic,
                                                           std::string_view body);
std::vector<std::string> split_addresses(std::string_view list);  // "a:1;b:2" (or ',')

class RouteCache {
 public:
  RouteCache(remoting::Client& client, std::string namesrv_list, common::Clock& clock,
             common::Duration max_age = std::chrono::seconds(30));
  // The cached route, fetched when absent, stale, or `refresh`.
  common::Result<std::shared_ptr<const TopicRoute>> get(const std::string& topic,
                                                        bool refresh = false);
  // The cached route without asking a NameServer (null when none); *stale (if given) tells
  // whether it is older than `max_age`. For callers that must not block (I/O threads).
  std::shared_ptr<const TopicRoute> cached(const std::string& topic, bool* stale = nullptr);
  void invalidate(const std::string& topic);
  const std::vector<std::string>& namesrvs() const { return namesrvs_; }

 private:
  remoting::Client& client_;
  std::vector<std::string> namesrvs_;
  common::Clock& clock_;
  common::Duration max_age_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const TopicRoute>> routes_;  // GUARDED_BY(mu_)
  size_t next_ns_ = 0;                                               // GUARDED_BY(mu_)
};

}  // namespace rmq::client
