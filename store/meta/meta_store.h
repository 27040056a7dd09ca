// MetaStore: the broker's metadata in RocksDB (store/meta): topic configs, subscription groups,
// consumer offsets and small key/value records (Raft term/vote, checkpoints), each behind a small
// interface; every write is an atomic batch with a synced WAL, so it survives kill -9.
// Thread-safe.
#pragma once

#include "common/result.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rmq::store {

struct TopicConfig {
  std::string topic_name;
  int32_t read_queue_nums = 4;
  int32_t write_queue_nums = 4;
  int32_t perm = 6;  // READ 4 | WRITE 2 | INHERIT 1
  std::string topic_filter_type = "SINGLE_TAG";
  int32_t topic_sys_flag = 0;
  bool order = false;
  friend bool operator==(const TopicConfig&, const TopicConfig&) = default;
};

struct SubscriptionGroupConfig {
  std::string group_name;
  bool consume_enable = true;
  bool consume_from_min_enable = true;
  bool consume_broadcast_enable = true;
  int32_t retry_queue_nums = 1;
  int32_t retry_max_times = 16;
  int64_t broker_id = 0;
  int64_t which_broker_when_consume_slowly = 1;
  bool notify_consumer_ids_changed_enable = true;
  friend bool operator==(const SubscriptionGroupConfig&, const SubscriptionGroupConfig&) = default;
};

struct OffsetKey {
  std::string group;
  std::string topic;
  int32_t queue_id = 0;
  friend auto operator<=>(const OffsetKey&, const OffsetKey&) = default;
};

// One atomic group of changes; apply() commits all or nothing.
class MetaBatch {
 public:
  void put_topic(const TopicConfig& t);
  void delete_topic(const std::string& topic);
  void put_group(const SubscriptionGroupConfig& g);
  void delete_group(const std::string& group);
  void put_offset(const OffsetKey& key, int64_t offset);
  void delete_offsets_of_group(const std::string& group);  // resolved at apply time
  void put_kv(const std::string& key, const std::string& value);
  void delete_kv(const std::string& key);
  bool empty() const { return ops_.empty(); }

  struct Op {
    enum class Kind {
      kPutTopic,
      kDelTopic,
      kPutGroup,
      kDelGroup,
      kPutOffset,
      kDelGroupOffsets,
      kPutKv,
      kDelKv
    };
    Kind kind;
    std::string key;
    std::string value;
  };
  const std::vector<Op>& ops() const { return ops_; }
  // Adds an op whose key and value are already encoded (meta_codec.h), e.g. decoded from a
  // replicated metadata entry.
  void add(Op op) { ops_.push_back(std::move(op)); }

 private:
  std::vector<Op> ops_;
};

class MetaStore {
 public:
  virtual ~MetaStore() = default;

  [[nodiscard]] virtual common::Status apply(const MetaBatch& batch) = 0;

  virtual std::optional<TopicConfig> topic(const std::string& name) const = 0;
  virtual std::vector<TopicConfig> topics() const = 0;
  virtual std::optional<SubscriptionGroupConfig> group(const std::string& name) const = 0;
  virtual std::vector<SubscriptionGroupConfig> groups() const = 0;
  virtual std::optional<int64_t> offset(const OffsetKey& key) const = 0;
  virtual std::map<OffsetKey, int64_t> offsets() const = 0;
  virtual std::optional<std::string> kv(const std::string& key) const = 0;
};

// Opens (creating if needed) a RocksDB metadata store in `dir`. `sync` = fsync the WAL on every
// batch (default; needed to survive power loss, kill -9 is survived either way).
common::Result<std::unique_ptr<MetaStore>> open_rocksdb_meta_store(const std::string& dir,
                                                                   bool sync = true);

}  // namespace rmq::store
