// TopicConfigManager: the broker's topics (RocketMQ TopicConfigManager). Reads come from an
// in-memory table; changes go through the MetadataLog and reach the table when applied, on every
// node of the group. System topics (TBW102, SCHEDULE_TOPIC_XXXX, the cluster and broker-name
// topics, OFFSET_MOVED_EVENT) live in memory only, as in Java. The data version changes with every
// applied change, so the NameServer re-reads the topics. Thread-safe.
#pragma once

#include "broker/replication/metadata_log.h"
#include "broker/system_topics.h"
#include "common/clock.h"
#include "store/meta/meta_store.h"

#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace rmq::broker {

inline constexpr int32_t kPermRead = 4;
inline constexpr int32_t kPermWrite = 2;
inline constexpr int32_t kPermInherit = 1;

// RocketMQ's topic name rule: [%|a-zA-Z0-9_-]+, at most 127 bytes (PROTOCOL.md §6.1).
// Returns the reason it is invalid, or "".
std::string check_topic_name(std::string_view topic);

struct DataVersion {
  int64_t timestamp = 0;
  int64_t counter = 0;
};

class TopicConfigManager {
 public:
  struct Options {
    std::string cluster_name;
    std::string broker_name;
    bool auto_create_topic_enable = true;
    int32_t default_topic_queue_nums = 8;
    int32_t schedule_levels = 18;
  };
  TopicConfigManager(Options options, store::MetaStore& meta, MetadataLog& log,
                     common::Clock& clock);

  std::optional<store::TopicConfig> find(const std::string& topic) const;
  std::vector<store::TopicConfig> all() const;
  DataVersion data_version() const;
  // A change the NameServers must re-read although no topic changed (e.g. broker permission).
  void bump_data_version();
  bool is_system_topic(const std::string& topic) const;

  // Creates or replaces `config` through the log; `done` runs once it is applied here.
  void update(const store::TopicConfig& config, MetadataLog::Done done);
  void remove(const std::string& topic, MetadataLog::Done done);
  // Auto-creation on send (TBW102 must allow it) and %RETRY%/%DLQ% topics: creates `topic` with
  // `queues` queues and `perm` unless it exists; `done` gets the config (existing or created).
  void create_if_missing(const std::string& topic, int32_t queues, int32_t perm,
                         std::function<void(common::Result<store::TopicConfig>)> done);

  // Called after every applied change (topic name, deleted?), e.g. to re-register with the
  // NameServers and drop a deleted topic's queues. Set before start.
  void set_change_listener(std::function<void(const std::string&, bool deleted)> l) {
    change_listener_ = std::move(l);
  }

 private:
  void on_applied(const store::MetaBatch& batch);

  const Options options_;
  MetadataLog& log_;
  common::Clock& clock_;
  mutable std::shared_mutex mu_;
  std::map<std::string, store::TopicConfig> topics_;  // GUARDED_BY(mu_)
  std::map<std::string, store::TopicConfig> system_;  // immutable after construction
  DataVersion version_;                               // GUARDED_BY(mu_)
  std::function<void(const std::string&, bool)> change_listener_;
};

}  // namespace rmq::broker
