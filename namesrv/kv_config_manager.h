// KvConfigManager: the NameServer's small KV config, namespace -> key -> value (RocketMQ's
// KVConfigManager), served by PUT/GET/DELETE_KV_CONFIG and GET_KVLIST_BY_NAMESPACE. Kept in
// memory only: kvConfigPath is accepted and ignored, so the table starts empty on every start.
// Owned by NamesrvController; thread-safe (one mutex).
#pragma once

#include "common/thread_annotations.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace rmq::namesrv {

class KvConfigManager {
 public:
  using Table = std::map<std::string, std::string>;

  void put(std::string_view ns, std::string_view key, std::string_view value);
  std::optional<std::string> get(std::string_view ns, std::string_view key) const;
  // Returns false when the key was absent. A namespace whose last key goes is removed.
  bool remove(std::string_view ns, std::string_view key);
  // The namespace's entries, or nullopt when it has none.
  std::optional<Table> list(std::string_view ns) const;

 private:
  mutable common::Mutex mu_;
  std::map<std::string, Table, std::less<>> tables_ GUARDED_BY(mu_);
};

}  // namespace rmq::namesrv
