#include "broker/subscription_group_manager.h"

#include "common/logging.h"
#include "store/meta/meta_codec.h"

#include <mutex>

namespace rmq::broker {

using store::SubscriptionGroupConfig;

SubscriptionGroupManager::SubscriptionGroupManager(bool auto_create, store::MetaStore& meta,
                                                   MetadataLog& log)
    : auto_create_(auto_create), log_(log) {
  for (auto& g : meta.groups()) groups_[g.group_name] = g;
  log_.add_listener([this](const store::MetaBatch& b) { on_applied(b); });
}

std::optional<SubscriptionGroupConfig> SubscriptionGroupManager::find(
    const std::string& group) const {
  std::shared_lock lock(mu_);
  auto it = groups_.find(group);
  if (it == groups_.end()) return std::nullopt;
  return it->second;
}

std::optional<SubscriptionGroupConfig> SubscriptionGroupManager::find_or_create(
    const std::string& group) {
  if (auto g = find(group)) return g;
  if (!auto_create_) return std::nullopt;
  SubscriptionGroupConfig g;
  g.group_name = group;
  if (log_.writable()) update(g, [](common::Status) {});
  return g;
}

std::vector<SubscriptionGroupConfig> SubscriptionGroupManager::all() const {
  std::shared_lock lock(mu_);
  std::vector<SubscriptionGroupConfig> out;
  for (const auto& [name, g] : groups_) out.push_back(g);
  return out;
}

void SubscriptionGroupManager::update(const SubscriptionGroupConfig& config,
                                      MetadataLog::Done done) {
  store::MetaBatch b;
  b.put_group(config);
  log_.submit(std::move(b), std::move(done));
}

void SubscriptionGroupManager::remove(const std::string& group, MetadataLog::Done done) {
  store::MetaBatch b;
  b.delete_group(group);
  b.delete_offsets_of_group(group);
  log_.submit(std::move(b), std::move(done));
}

void SubscriptionGroupManager::on_applied(const store::MetaBatch& batch) {
  std::unique_lock lock(mu_);
  for (const auto& op : batch.ops()) {
    using K = store::MetaBatch::Op::Kind;
    if (op.kind == K::kPutGroup) {
      auto g = store::decode_subscription_group_config(op.value);
      if (!g.ok()) {
        common::logger("broker")->error("bad group config in metadata: {}", g.status().to_string());
        continue;
      }
      groups_[g->group_name] = *g;
    } else if (op.kind == K::kDelGroup) {
      groups_.erase(op.key);
    }
  }
}

}  // namespace rmq::broker
