#include "namesrv/kv_config_manager.h"

namespace rmq::namesrv {

using common::MutexLock;

void KvConfigManager::put(std::string_view ns, std::string_view key, std::string_view value) {
  MutexLock lock(mu_);
  auto it = tables_.find(ns);
  if (it == tables_.end()) it = tables_.emplace(std::string(ns), Table{}).first;
  it->second[std::string(key)] = std::string(value);
}

std::optional<std::string> KvConfigManager::get(std::string_view ns, std::string_view key) const {
  MutexLock lock(mu_);
  const auto it = tables_.find(ns);
  if (it == tables_.end()) return std::nullopt;
  const auto kv = it->second.find(std::string(key));
  if (kv == it->second.end()) return std::nullopt;
  return kv->second;
}

bool KvConfigManager::remove(std::string_view ns, std::string_view key) {
  MutexLock lock(mu_);
  const auto it = tables_.find(ns);
  if (it == tables_.end()) return false;
  const bool erased = it->second.erase(std::string(key)) > 0;
  if (it->second.empty()) tables_.erase(it);
  return erased;
}

std::optional<KvConfigManager::Table> KvConfigManager::list(std::string_view ns) const {
  MutexLock lock(mu_);
  const auto it = tables_.find(ns);
  if (it == tables_.end()) return std::nullopt;
  return it->second;
}

}  // namespace rmq::namesrv
