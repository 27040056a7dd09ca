#include "client/route.h"

#include "common/logging.h"
#include "remoting/protocol/route_data.h"
#include "remoting/request_code.h"

#include <algorithm>

namespace rmq::client {

using common::Result;
using common::Status;

std::vector<std::string> split_addresses(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < list.size()) {
    size_t end = list.find_first_of(";,", start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view p = list.substr(start, end - start);
    while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
    while (!p.empty() && p.back() == ' ') p.remove_suffix(1);
    if (!p.empty()) out.emplace_back(p);
    start = end + 1;
  }
  return out;
}

std::vector<QueueRef> TopicRoute::publish_queues() const {
  std::vector<QueueRef> out;
  for (const auto& b : brokers) {
    if ((b.perm & 2) == 0 || !b.addrs.contains(0)) continue;
    for (int32_t q = 0; q < b.write_queues; ++q) out.push_back({topic, b.broker_name, q});
  }
  return out;
}

std::vector<QueueRef> TopicRoute::subscribe_queues() const {
  std::vector<QueueRef> out;
  for (const auto& b : brokers) {
    if ((b.perm & 4) == 0) continue;
    for (int32_t q = 0; q < b.read_queues; ++q) out.push_back({topic, b.broker_name, q});
  }
  return out;
}

std::string TopicRoute::master_addr(const std::string& broker_name) const {
  for (const auto& b : brokers) {
    if (b.broker_name != broker_name) continue;
    auto it = b.addrs.find(0);
    return it == b.addrs.end() ? std::string() : it->second;
  }
  return {};
}

BrokerPick BrokerRoute::find_for_read(int64_t suggested_id,
                                      const std::function<bool(const std::string&)>& usable) const {
  auto pick = [&](bool check) -> BrokerPick {
    auto ok = [&](const std::string& a) { return !check || !usable || usable(a); };
    if (auto it = addrs.find(suggested_id); it != addrs.end() && ok(it->second)) {
      return {it->first, it->second};
    }
    if (auto it = addrs.find(0); it != addrs.end() && ok(it->second)) return {0, it->second};
    for (const auto& [id, a] : addrs) {  // ascending ids: the lowest slave first
      if (id != 0 && ok(a)) return {id, a};
    }
    return {};
  };
  BrokerPick p = pick(true);
  if (!p.found() && usable) p = pick(false);
  return p;
}

BrokerPick TopicRoute::find_broker_for_read(
    const std::string& broker_name, int64_t suggested_id,
    const std::function<bool(const std::string&)>& usable) const {
  for (const auto& b : brokers) {
    if (b.broker_name == broker_name) return b.find_for_read(suggested_id, usable);
  }
  return {};
}

Result<TopicRoute> parse_topic_route(const std::string& topic, std::string_view body) {
  RMQ_ASSIGN_OR_RETURN(remoting::protocol::TopicRouteData data,
                       remoting::protocol::parse_topic_route_data(common::as_bytes(body)));
  TopicRoute r;
  r.topic = topic;
  std::map<std::string, BrokerRoute> by_name;
  for (auto& bd : data.broker_datas) {
    BrokerRoute& b = by_name[bd.broker_name];
    b.cluster = bd.cluster;
    b.broker_name = bd.broker_name;
    b.addrs = std::move(bd.broker_addrs);
  }
  for (const auto& qd : data.queue_datas) {
    BrokerRoute& b = by_name[qd.broker_name];
    b.broker_name = qd.broker_name;
    b.read_queues = qd.read_queue_nums;
    b.write_queues = qd.write_queue_nums;
    b.perm = qd.perm;
  }
  for (auto& [name, b] : by_name) r.brokers.push_back(std::move(b));
  return r;
}

RouteCache::RouteCache(remoting::Client& client, std::string namesrv_list, common::Clock& clock,
                       common::Duration max_age, common::Duration unreachable_for)
    : client_(client),
      namesrvs_(split_addresses(namesrv_list)),
      clock_(clock),
      max_age_(max_age),
      unreachable_for_(unreachable_for) {}

void RouteCache::mark_unreachable(const std::string& addr) {
  if (addr.empty()) return;
  std::lock_guard lock(mu_);
  unreachable_[addr] = clock_.now() + unreachable_for_;
}

void RouteCache::mark_reachable(const std::string& addr) {
  std::lock_guard lock(mu_);
  if (!unreachable_.empty()) unreachable_.erase(addr);
}

bool RouteCache::reachable(const std::string& addr) {
  std::lock_guard lock(mu_);
  auto it = unreachable_.find(addr);
  if (it == unreachable_.end()) return true;
  if (clock_.now() < it->second) return false;
  unreachable_.erase(it);
  return true;
}

BrokerPick RouteCache::find_broker_for_read(const TopicRoute& route, const std::string& broker_name,
                                            int64_t suggested_id) {
  {
    std::lock_guard lock(mu_);
    if (unreachable_.empty()) return route.find_broker_for_read(broker_name, suggested_id);
  }
  return route.find_broker_for_read(broker_name, suggested_id,
                                    [this](const std::string& a) { return reachable(a); });
}

std::string RouteCache::reachable_master(const TopicRoute& route, const std::string& broker_name) {
  std::string addr = route.master_addr(broker_name);
  if (addr.empty() || !reachable(addr)) return {};
  return addr;
}

std::shared_ptr<const TopicRoute> RouteCache::cached(const std::string& topic, bool* stale) {
  std::lock_guard lock(mu_);
  auto it = routes_.find(topic);
  if (it == routes_.end()) {
    if (stale != nullptr) *stale = true;
    return nullptr;
  }
  if (stale != nullptr) {
    *stale = clock_.now() - it->second->fetched >= max_age_ || stale_.contains(topic);
  }
  return it->second;
}

void RouteCache::mark_stale(const std::string& topic) {
  std::lock_guard lock(mu_);
  if (routes_.contains(topic)) stale_.insert(topic);
}

Result<remoting::RemotingCommand> RouteCache::invoke_group(
    const std::string& topic, const std::string& broker_name,
    const std::function<remoting::RemotingCommand()>& make, bool slave_ok, common::Duration timeout,
    std::string* addr_used) {
  addr_used->clear();
  RMQ_ASSIGN_OR_RETURN(auto route, get(topic));
  std::string master = reachable_master(*route, broker_name);
  if (master.empty()) {
    // The route may predate a leader change: ask once more.
    RMQ_ASSIGN_OR_RETURN(route, get(topic, /*refresh=*/true));
    master = reachable_master(*route, broker_name);
  }
  const std::string listed = route->master_addr(broker_name);
  Status failed = Status::unavailable(
      "broker " + broker_name + " has no reachable master" +
      (listed.empty() ? std::string(" in the route") : " (" + listed + " failed recently)"));
  if (!master.empty()) {
    *addr_used = master;
    auto r = client_.invoke_sync(master, make(), timeout);
    if (r.ok()) {
      mark_reachable(master);
      return r;
    }
    mark_unreachable(master);
    failed = r.status();
    if (!slave_ok) return failed;
    if (auto again = get(topic, /*refresh=*/true); again.ok()) route = *again;
  }
  if (!slave_ok) return failed;
  const BrokerPick p = find_broker_for_read(*route, broker_name, 0);
  if (!p.found() || p.addr == master) return failed;
  *addr_used = p.addr;
  auto r = client_.invoke_sync(p.addr, make(), timeout);
  if (r.ok()) {
    mark_reachable(p.addr);
  } else {
    mark_unreachable(p.addr);
  }
  return r;
}

Result<std::shared_ptr<const TopicRoute>> RouteCache::get(const std::string& topic, bool refresh) {
  size_t start = 0;
  {
    std::lock_guard lock(mu_);
    auto it = routes_.find(topic);
    if (!refresh && it != routes_.end() && clock_.now() - it->second->fetched < max_age_ &&
        !stale_.contains(topic)) {
      return it->second;
    }
    start = next_ns_;
  }
  if (namesrvs_.empty()) return Status::invalid_argument("no NameServer address given");
  std::string errors;
  for (size_t k = 0; k < namesrvs_.size(); ++k) {
    const std::string& ns = namesrvs_[(start + k) % namesrvs_.size()];
    auto req = remoting::RemotingCommand::request(remoting::RequestCode::kGetRouteinfoByTopic);
    req.ext_fields.set("topic", topic);
    auto r = client_.invoke_sync(ns, std::move(req), std::chrono::seconds(3));
    if (!r.ok()) {
      errors += (errors.empty() ? "" : "; ") + ns + ": " + r.status().to_string();
      continue;
    }
    if (r->code == 17) {
      return Status::not_found("topic " + topic + " has no route (namesrv " + ns + ": " +
                               r->remark.value_or("") + ")");
    }
    if (r->code != 0) {
      errors += (errors.empty() ? "" : "; ") + ns + ": code " + std::to_string(r->code) + " " +
                r->remark.value_or("");
      continue;
    }
    auto route = parse_topic_route(
        topic, std::string_view(reinterpret_cast<const char*>(r->body.data()), r->body.size()));
    if (!route.ok()) return route.status();
    route->fetched = clock_.now();
    auto shared = std::make_shared<const TopicRoute>(std::move(route).value());
    std::lock_guard lock(mu_);
    routes_[topic] = shared;
    stale_.erase(topic);
    next_ns_ = (start + k) % namesrvs_.size();
    return shared;
  }
  {
    std::lock_guard lock(mu_);
    if (auto it = routes_.find(topic); it != routes_.end()) {
      common::logger("client")->warn(
          "no NameServer answered for topic {} ({}); using its route "
          "from before",
          topic, errors);
      // Keep it for kNamesrvRetryAfter before asking again, so that every send does not wait for
      // the NameServers' timeouts first.
      auto kept = std::make_shared<TopicRoute>(*it->second);
      kept->fetched = clock_.now() - (max_age_ - std::min(max_age_, kNamesrvRetryAfter));
      std::shared_ptr<const TopicRoute> shared = std::move(kept);
      routes_[topic] = shared;
      stale_.erase(topic);
      return shared;
    }
  }
  return Status::unavailable("no NameServer answered for topic " + topic + ": " + errors);
}

}  // namespace rmq::client
