// SubscriptionGroupManager: consumer group configs (RocketMQ SubscriptionGroupManager): retry
// queue count, max reconsume times, consume enable. Reads from memory; changes through the
// MetadataLog, applied on every node. Unknown groups get the default config when
// autoCreateSubscriptionGroup is on (persisted on the leader in the background). Thread-safe.
#pragma once

#include "broker/replication/metadata_log.h"
#include "store/meta/meta_store.h"

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace rmq::broker {

class SubscriptionGroupManager {
 public:
  SubscriptionGroupManager(bool auto_create, store::MetaStore& meta, MetadataLog& log);

  // The group's config; for an unknown group the default when auto-creation is on (and the
  // leader records it), nullopt otherwise.
  std::optional<store::SubscriptionGroupConfig> find_or_create(const std::string& group);
  std::optional<store::SubscriptionGroupConfig> find(const std::string& group) const;
  std::vector<store::SubscriptionGroupConfig> all() const;
  void update(const store::SubscriptionGroupConfig& config, MetadataLog::Done done);
  void remove(const std::string& group, MetadataLog::Done done);

 private:
  void on_applied(const store::MetaBatch& batch);

  const bool auto_create_;
  MetadataLog& log_;
  mutable std::shared_mutex mu_;
  std::map<std::string, store::SubscriptionGroupConfig> groups_;  // GUARDED_BY(mu_)
};

}  // namespace rmq::broker
