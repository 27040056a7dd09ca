#include "namesrv/route_info_manager.h"

#include "common/logging.h"

#include <algorithm>
#include <utility>

namespace rmq::namesrv {
namespace {

using common::MutexLock;
using common::Result;
using common::Status;
using common::Term;

std::shared_ptr<spdlog::logger> logger() { return common::logger("namesrv"); }

}  // namespace

RouteInfoManager::RouteInfoManager(common::Clock& clock, RouteInfoOptions options)
    : clock_(clock), options_(options) {}

Result<RegisterBrokerResult> RouteInfoManager::register_broker(const RegisterBrokerRequest& r) {
  if (r.cluster_name.empty() || r.broker_addr.empty() || r.broker_name.empty()) {
    return Status::invalid_argument("clusterName, brokerAddr and brokerName must not be empty");
  }
  if (r.broker_id < 0) {
    return Status::invalid_argument("brokerId must not be negative: " +
                                    std::to_string(r.broker_id));
  }
  MutexLock lock(mu_);
  if (r.raft_term > Term(0)) {
    Term& highest = raft_terms_[r.broker_name];
    if (r.raft_term < highest) {
      logger()->warn("refused registration of {} as {}/{}: raftTerm {} < {}", r.broker_addr,
                     r.broker_name, r.broker_id, r.raft_term.value(), highest.value());
      return Status::aborted("stale raftTerm " + std::to_string(r.raft_term.value()) + " for " +
                             r.broker_name + " (id " + std::to_string(r.broker_id) +
                             "): the highest term seen is " + std::to_string(highest.value()));
    }
    highest = r.raft_term;
  }

  cluster_addr_table_[r.cluster_name].insert(r.broker_name);
  auto bd_it = broker_addr_table_.find(r.broker_name);
  bool register_first = false;
  if (bd_it == broker_addr_table_.end()) {
    register_first = true;
    BrokerData bd;
    bd.cluster = r.cluster_name;
    bd.broker_name = r.broker_name;
    bd_it = broker_addr_table_.emplace(r.broker_name, std::move(bd)).first;
  }
  auto& addrs = bd_it->second.broker_addrs;
  // One id per address: a slave promoted to id 0 (or a leader demoted) moves, it is not copied.
  std::erase_if(addrs,
                [&](const auto& e) { return e.second == r.broker_addr && e.first != r.broker_id; });
  std::string& slot = addrs[r.broker_id];
  register_first = register_first || slot.empty();
  const bool addr_changed = slot != r.broker_addr;
  if (r.broker_id == kMasterId && addr_changed && !slot.empty()) {
    logger()->info("{}: brokerId 0 moves from {} to {} (raftTerm {})", r.broker_name, slot,
                   r.broker_addr, r.raft_term.value());
  }
  slot = r.broker_addr;

  auto live_it = broker_live_table_.find(r.broker_addr);
  const bool version_changed =
      live_it == broker_live_table_.end() || live_it->second.data_version != r.body.data_version;
  if (r.broker_id == kMasterId && (version_changed || register_first || addr_changed)) {
    for (const TopicConfig& tc : r.body.topic_configs) upsert_queue_data(r.broker_name, tc);
  }
  if (live_it == broker_live_table_.end()) {
    logger()->info("new broker registered: {} {}/{} HAServer {}", r.broker_addr, r.broker_name,
                   r.broker_id, r.ha_server_addr);
    live_it = broker_live_table_.emplace(r.broker_addr, BrokerLiveInfo{}).first;
  }
  live_it->second =
      BrokerLiveInfo{clock_.now(), r.body.data_version, r.ha_server_addr, r.connection_id};

  RegisterBrokerResult result;
  if (r.broker_id != kMasterId) {
    const auto master = addrs.find(kMasterId);
    if (master != addrs.end()) {
      const auto master_live = broker_live_table_.find(master->second);
      if (master_live != broker_live_table_.end()) {
        result.ha_server_addr = master_live->second.ha_server_addr;
        result.master_addr = master->second;
      }
    }
  }
  return result;
}

void RouteInfoManager::upsert_queue_data(const std::string& broker_name, const TopicConfig& tc) {
  if (tc.topic_name.empty()) return;
  QueueData qd;
  qd.broker_name = broker_name;
  qd.read_queue_nums = tc.read_queue_nums;
  qd.write_queue_nums = tc.write_queue_nums;
  qd.perm = tc.perm;
  qd.topic_sys_flag = tc.topic_sys_flag;
  auto& by_broker = topic_queue_table_[tc.topic_name];
  auto it = by_broker.find(broker_name);
  if (it == by_broker.end()) {
    logger()->info("new topic registered: {} on {}", tc.topic_name, broker_name);
    by_broker.emplace(broker_name, std::move(qd));
  } else if (it->second != qd) {
    logger()->info("topic changed: {} on {}", tc.topic_name, broker_name);
    it->second = std::move(qd);
  }
}

bool RouteInfoManager::unregister_broker(std::string_view cluster_name,
                                         std::string_view broker_addr, std::string_view broker_name,
                                         int64_t broker_id) {
  MutexLock lock(mu_);
  const std::string addr(broker_addr);
  if (auto it = broker_live_table_.find(addr); it != broker_live_table_.end()) {
    broker_live_table_.erase(it);
  }
  const bool removed = remove_broker_addr(std::string(broker_name), addr);
  logger()->info("unregister broker {} {}/{} (cluster {}): {}", addr, broker_name, broker_id,
                 cluster_name, removed ? "removed" : "not registered");
  return removed;
}

bool RouteInfoManager::remove_broker_addr(const std::string& broker_name, const std::string& addr) {
  auto bd_it = broker_addr_table_.find(broker_name);
  if (bd_it == broker_addr_table_.end()) return false;
  const size_t n =
      std::erase_if(bd_it->second.broker_addrs, [&](const auto& e) { return e.second == addr; });
  if (n > 0 && bd_it->second.broker_addrs.empty()) remove_broker_name(broker_name);
  return n > 0;
}

void RouteInfoManager::remove_broker_name(const std::string& broker_name) {
  logger()->info("broker group {} has no address left: removing it and its queue datas",
                 broker_name);
  broker_addr_table_.erase(broker_name);
  raft_terms_.erase(broker_name);
  for (auto it = cluster_addr_table_.begin(); it != cluster_addr_table_.end();) {
    it->second.erase(broker_name);
    it = it->second.empty() ? cluster_addr_table_.erase(it) : std::next(it);
  }
  for (auto it = topic_queue_table_.begin(); it != topic_queue_table_.end();) {
    it->second.erase(broker_name);
    if (it->second.empty()) {
      logger()->info("topic {} has no queue data left: removed", it->first);
      it = topic_queue_table_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<TopicRouteData> RouteInfoManager::topic_route(std::string_view topic) const {
  MutexLock lock(mu_);
  const auto it = topic_queue_table_.find(topic);
  if (it == topic_queue_table_.end()) {
    return Status::not_found("no route for topic " + std::string(topic));
  }
  TopicRouteData route;
  for (const auto& [broker_name, qd] : it->second) {  // sorted by brokerName
    route.queue_datas.push_back(qd);
    if (const auto bd = broker_addr_table_.find(broker_name); bd != broker_addr_table_.end()) {
      route.broker_datas.push_back(bd->second);
    }
  }
  if (route.broker_datas.empty()) {
    return Status::not_found("no live broker for topic " + std::string(topic));
  }
  return route;
}

ClusterInfo RouteInfoManager::cluster_info() const {
  MutexLock lock(mu_);
  ClusterInfo info;
  info.broker_addr_table.insert(broker_addr_table_.begin(), broker_addr_table_.end());
  info.cluster_addr_table.insert(cluster_addr_table_.begin(), cluster_addr_table_.end());
  return info;
}

std::vector<std::string> RouteInfoManager::all_topics() const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  out.reserve(topic_queue_table_.size());
  for (const auto& entry : topic_queue_table_) out.push_back(entry.first);
  return out;
}

std::vector<std::string> RouteInfoManager::topics_by_cluster(std::string_view cluster) const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  const auto names = cluster_addr_table_.find(cluster);
  if (names == cluster_addr_table_.end()) return out;
  for (const auto& [topic, by_broker] : topic_queue_table_) {
    const bool on_cluster = std::any_of(by_broker.begin(), by_broker.end(), [&](const auto& e) {
      return names->second.count(e.first) > 0;
    });
    if (on_cluster) out.push_back(topic);
  }
  return out;
}

bool RouteInfoManager::delete_topic(std::string_view topic,
                                    std::optional<std::string_view> cluster) {
  MutexLock lock(mu_);
  const auto it = topic_queue_table_.find(topic);
  if (it == topic_queue_table_.end()) return false;
  if (!cluster) {
    topic_queue_table_.erase(it);
    return true;
  }
  const auto names = cluster_addr_table_.find(*cluster);
  if (names == cluster_addr_table_.end()) return false;
  size_t removed = 0;
  for (const std::string& name : names->second) removed += it->second.erase(name);
  if (it->second.empty()) topic_queue_table_.erase(it);
  return removed > 0;
}

std::vector<std::string> RouteInfoManager::scan_not_active_brokers() {
  MutexLock lock(mu_);
  const common::TimePoint now = clock_.now();
  std::vector<std::string> expired;
  for (const auto& [addr, live] : broker_live_table_) {
    if (live.last_update + options_.broker_expiry < now) expired.push_back(addr);
  }
  for (const std::string& addr : expired) {
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(
        now - broker_live_table_.at(addr).last_update);
    logger()->warn("broker {} expired: no registration for {} ms", addr, age.count());
    remove_live_broker(addr);
  }
  return expired;
}

std::vector<std::string> RouteInfoManager::on_connection_closed(uint64_t connection_id) {
  if (connection_id == 0) return {};
  MutexLock lock(mu_);
  std::vector<std::string> gone;
  for (const auto& [addr, live] : broker_live_table_) {
    if (live.connection_id == connection_id) gone.push_back(addr);
  }
  for (const std::string& addr : gone) {
    logger()->warn("broker {}: its connection closed, removing it from the routes", addr);
    remove_live_broker(addr);
  }
  return gone;
}

void RouteInfoManager::remove_live_broker(const std::string& addr) {
  broker_live_table_.erase(addr);
  // An address belongs to at most one group in practice; look in all of them (Java does too).
  std::vector<std::string> names;
  for (const auto& [name, bd] : broker_addr_table_) {
    for (const auto& e : bd.broker_addrs) {
      if (e.second == addr) names.push_back(name);
    }
  }
  for (const std::string& name : names) remove_broker_addr(name, addr);
}

std::vector<std::string> RouteInfoManager::live_broker_addrs() const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  for (const auto& entry : broker_live_table_) out.push_back(entry.first);
  return out;
}

common::Term RouteInfoManager::raft_term(std::string_view broker_name) const {
  MutexLock lock(mu_);
  const auto it = raft_terms_.find(broker_name);
  return it == raft_terms_.end() ? Term(0) : it->second;
}

}  // namespace rmq::namesrv
