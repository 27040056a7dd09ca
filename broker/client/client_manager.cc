#include "broker/client/client_manager.h"

#include "common/logging.h"

#include <algorithm>
#include <utility>

namespace rmq::broker {

std::vector<std::string> ClientManager::register_heartbeat(const HeartbeatData& hb,
                                                           const ClientChannel& ch) {
  common::MutexLock lock(mu_);
  const common::TimePoint now = clock_.now();
  for (const std::string& group : hb.producer_groups) {
    producers_[group][hb.client_id] = ClientEntry{ch, now};
  }
  std::vector<std::string> changed;
  for (const ConsumerData& cd : hb.consumers) {
    if (register_consumer_locked(cd, hb.client_id, ch)) changed.push_back(cd.group);
  }
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  return changed;
}

void ClientManager::register_producer(const std::string& group, const std::string& client_id,
                                      const ClientChannel& ch) {
  common::MutexLock lock(mu_);
  producers_[group][client_id] = ClientEntry{ch, clock_.now()};
}

bool ClientManager::register_consumer(const ConsumerData& data, const std::string& client_id,
                                      const ClientChannel& ch) {
  common::MutexLock lock(mu_);
  return register_consumer_locked(data, client_id, ch);
}

bool ClientManager::register_consumer_locked(const ConsumerData& data, const std::string& client_id,
                                             const ClientChannel& ch) {
  ConsumerGroup& g = consumers_[data.group];
  const auto before = subscription_view(g);
  g.consume_type = data.consume_type;
  g.message_model = data.message_model;
  g.consume_from_where = data.consume_from_where;
  auto [it, inserted] = g.clients.try_emplace(client_id);
  ConsumerEntry& e = it->second;
  if (!inserted && e.client.channel.connection_id != ch.connection_id) {
    common::logger("broker")->info("consumer {} of group {} moved from {} to {}", client_id,
                                   data.group, e.client.channel.remote_address, ch.remote_address);
  }
  e.client = ClientEntry{ch, clock_.now()};
  e.subscriptions = data.subscriptions;
  if (inserted) {
    common::logger("broker")->info("new consumer {} in group {} from {}", client_id, data.group,
                                   ch.remote_address);
  }
  return inserted || subscription_view(g) != before;
}

template <typename Pred>
std::vector<std::string> ClientManager::remove_if_locked(Pred pred) {
  for (auto git = producers_.begin(); git != producers_.end();) {
    std::erase_if(git->second, [&](const auto& kv) { return pred(kv.second); });
    git = git->second.empty() ? producers_.erase(git) : std::next(git);
  }
  std::vector<std::string> changed;  // ascending, since consumers_ is ordered
  for (auto git = consumers_.begin(); git != consumers_.end();) {
    const size_t n =
        std::erase_if(git->second.clients, [&](const auto& kv) { return pred(kv.second.client); });
    if (n > 0) changed.push_back(git->first);
    git = git->second.clients.empty() ? consumers_.erase(git) : std::next(git);
  }
  return changed;
}

bool ClientManager::unregister(const std::string& client_id, const std::string& producer_group,
                               const std::string& consumer_group) {
  common::MutexLock lock(mu_);
  if (!producer_group.empty()) {
    if (auto it = producers_.find(producer_group); it != producers_.end()) {
      it->second.erase(client_id);
      if (it->second.empty()) producers_.erase(it);
    }
  }
  if (consumer_group.empty()) return false;
  auto it = consumers_.find(consumer_group);
  if (it == consumers_.end() || it->second.clients.erase(client_id) == 0) return false;
  common::logger("broker")->info("consumer {} left group {}", client_id, consumer_group);
  if (it->second.clients.empty()) consumers_.erase(it);
  return true;
}

std::vector<std::string> ClientManager::on_connection_closed(uint64_t connection_id) {
  common::MutexLock lock(mu_);
  return remove_if_locked(
      [&](const ClientEntry& e) { return e.channel.connection_id == connection_id; });
}

std::vector<std::string> ClientManager::scan_expired(common::Duration timeout) {
  common::MutexLock lock(mu_);
  const common::TimePoint now = clock_.now();
  return remove_if_locked([&](const ClientEntry& e) {
    if (now - e.last_update <= timeout) return false;
    common::logger("broker")->warn(
        "client from {} expired: no heartbeat for {} ms", e.channel.remote_address,
        std::chrono::duration_cast<std::chrono::milliseconds>(now - e.last_update).count());
    return true;
  });
}

std::vector<std::string> ClientManager::consumer_ids(const std::string& group) const {
  common::MutexLock lock(mu_);
  std::vector<std::string> ids;
  if (auto it = consumers_.find(group); it != consumers_.end()) {
    for (const auto& [id, e] : it->second.clients) ids.push_back(id);  // map order: sorted
  }
  return ids;
}

std::optional<SubscriptionData> ClientManager::find_subscription(const std::string& group,
                                                                 const std::string& topic) const {
  common::MutexLock lock(mu_);
  auto it = consumers_.find(group);
  if (it == consumers_.end()) return std::nullopt;
  const SubscriptionData* best = nullptr;
  for (const auto& [id, e] : it->second.clients) {
    for (const SubscriptionData& sd : e.subscriptions) {
      if (sd.topic == topic && (best == nullptr || sd.sub_version > best->sub_version)) best = &sd;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::optional<ConsumerGroupInfo> ClientManager::consumer_group_info(
    const std::string& group) const {
  common::MutexLock lock(mu_);
  auto it = consumers_.find(group);
  if (it == consumers_.end()) return std::nullopt;
  const ConsumerGroup& g = it->second;
  ConsumerGroupInfo info;
  info.group = group;
  info.consume_type = g.consume_type;
  info.message_model = g.message_model;
  info.consume_from_where = g.consume_from_where;
  for (const auto& [id, e] : g.clients) {
    info.connections.push_back(ClientConnectionInfo{
        id, e.client.channel.remote_address, e.client.channel.language, e.client.channel.version,
        e.client.channel.connection_id, e.client.last_update});
  }
  info.subscriptions = merged_subscriptions(g);
  return info;
}

std::vector<std::weak_ptr<remoting::Connection>> ClientManager::connections_of(
    const std::string& group) const {
  common::MutexLock lock(mu_);
  std::vector<std::weak_ptr<remoting::Connection>> out;
  if (auto it = consumers_.find(group); it != consumers_.end()) {
    for (const auto& [id, e] : it->second.clients) out.push_back(e.client.channel.connection);
  }
  return out;
}

std::vector<std::string> ClientManager::all_consumer_groups() const {
  common::MutexLock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [group, g] : consumers_) out.push_back(group);
  return out;
}

std::vector<std::string> ClientManager::producer_groups() const {
  common::MutexLock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [group, clients] : producers_) out.push_back(group);
  return out;
}

std::map<std::string, SubscriptionData> ClientManager::merged_subscriptions(
    const ConsumerGroup& g) {
  std::map<std::string, SubscriptionData> out;
  for (const auto& [id, e] : g.clients) {
    for (const SubscriptionData& sd : e.subscriptions) {
      auto [it, inserted] = out.try_emplace(sd.topic, sd);
      if (!inserted && sd.sub_version > it->second.sub_version) it->second = sd;
    }
  }
  return out;
}

std::map<std::string, std::string> ClientManager::subscription_view(const ConsumerGroup& g) {
  std::map<std::string, std::string> out;
  for (auto& [topic, sd] : merged_subscriptions(g)) {
    out.emplace(topic, sd.expression_type + '\n' + sd.sub_string);
  }
  return out;
}

}  // namespace rmq::broker
