// RouteCache: topic routes from the NameServers (GET_ROUTEINFO_BY_TOPIC, 105), cached per topic and
// refreshed on demand (after a "not leader" or connection error) or when older than `max_age`
// (30 s, as RocketMQ clients poll). Tries each NameServer in turn. Every broker address of a
// group is kept (brokerId -> address: 0 the master / DLedger leader, others slaves / followers);
// consumers pick where to read with find_broker_for_read (RocketMQ's findBrokerAddressInSubscribe)
// and skip addresses that just failed at the transport level (mark_unreachable: the NameServer
// keeps a killed broker listed until it expires, 120 s). Thread-safe.
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "remoting/client.h"
#include "remoting/protocol/message_queue.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace rmq::client {

// A queue (topic, brokerName, queueId): Java's MessageQueue, ordered like its compareTo.
using QueueRef = remoting::protocol::MessageQueue;

// A broker of a group chosen for a request.
struct BrokerPick {
  int64_t id = -1;   // brokerId (0: master / leader); -1 when none
  std::string addr;  // "" when the group has no address
  bool found() const { return !addr.empty(); }
  bool master() const { return id == 0; }
};

struct BrokerRoute {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> addrs;  // brokerId -> "ip:port"; 0 = master/leader
  int32_t read_queues = 0;
  int32_t write_queues = 0;
  int32_t perm = 0;

  // RocketMQ's findBrokerAddressInSubscribe(brokerName, suggested_id, onlyThisBroker=false): the
  // suggested broker's address when listed, else the master's (id 0), else the slave with the
  // lowest id. Addresses `usable` rejects (when given) are passed over while another one is
  // listed; when every address is rejected the same order applies to all of them.
  BrokerPick find_for_read(int64_t suggested_id,
                           const std::function<bool(const std::string&)>& usable = {}) const;
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
  // BrokerRoute::find_for_read of the broker name (none found when the name is not routed).
  BrokerPick find_broker_for_read(const std::string& broker_name, int64_t suggested_id,
                                  const std::function<bool(const std::string&)>& usable = {}) const;
  common::TimePoint fetched{};
};

// Parses a TopicRouteData body (quoted or unquoted integer brokerAddrs keys).
[[nodiscard]] common::Result<TopicRoute> parse_topic_route(const std::string& topic,
                                                           std::string_view body);
std::vector<std::string> split_addresses(std::string_view list);  // "a:1;b:2" (or ',')

class RouteCache {
 public:
  RouteCache(remoting::Client& client, std::string namesrv_list, common::Clock& clock,
             common::Duration max_age = std::chrono::seconds(30),
             common::Duration unreachable_for = std::chrono::seconds(10));
  // The cached route, fetched when absent, stale, or `refresh`. When no NameServer answers, a
  // cached route is still returned (RocketMQ keeps its route table): the brokers may be fine.
  common::Result<std::shared_ptr<const TopicRoute>> get(const std::string& topic,
                                                        bool refresh = false);
  // The cached route without asking a NameServer (null when none); *stale (if given) tells
  // whether it is older than `max_age`. For callers that must not block (I/O threads).
  std::shared_ptr<const TopicRoute> cached(const std::string& topic, bool* stale = nullptr);
  // After no NameServer answered, a kept route is used this long before they are asked again.
  static constexpr common::Duration kNamesrvRetryAfter = std::chrono::seconds(1);
  // The next get() asks a NameServer again, keeping the route meanwhile (and if none answers).
  void mark_stale(const std::string& topic);
  const std::vector<std::string>& namesrvs() const { return namesrvs_; }

  // A request to `addr` failed at the transport level (refused, closed, timed out): reads avoid it
  // for `unreachable_for`, or until mark_reachable (an answer from it).
  void mark_unreachable(const std::string& addr);
  void mark_reachable(const std::string& addr);
  bool reachable(const std::string& addr);
  // route.find_broker_for_read passing over the addresses marked unreachable.
  BrokerPick find_broker_for_read(const TopicRoute& route, const std::string& broker_name,
                                  int64_t suggested_id);
  // The master (id 0) of the broker name when it is listed and not marked unreachable ("" else):
  // where offsets are committed, locks taken and messages sent back.
  std::string reachable_master(const TopicRoute& route, const std::string& broker_name);

  // Sends the request `make` builds to the master of `broker_name` per topic's route (fetched
  // again once when it lists no reachable master: a leader change). With `slave_ok`, a master that
  // is unreachable (marked, or failing now at the transport level) is replaced by
  // find_broker_for_read(broker_name, 0): RocketMQ's offset queries, findBrokerAddressInSubscribe
  // with onlyThisBroker=false. Transport failures mark the address unreachable, answers reachable.
  // *addr_used: the address of the returned answer or error ("" when none was tried).
  common::Result<remoting::RemotingCommand> invoke_group(
      const std::string& topic, const std::string& broker_name,
      const std::function<remoting::RemotingCommand()>& make, bool slave_ok,
      common::Duration timeout, std::string* addr_used);

 private:
  remoting::Client& client_;
  std::vector<std::string> namesrvs_;
  common::Clock& clock_;
  common::Duration max_age_;
  common::Duration unreachable_for_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const TopicRoute>> routes_;  // GUARDED_BY(mu_)
  std::set<std::string> stale_;  // GUARDED_BY(mu_): topics whose route must be fetched again
  size_t next_ns_ = 0;           // GUARDED_BY(mu_)
  std::map<std::string, common::TimePoint> unreachable_;  // GUARDED_BY(mu_): addr -> until
};

}  // namespace rmq::client
