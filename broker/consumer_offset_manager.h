// ConsumerOffsetManager: committed consume progress per (group, topic, queue) (RocketMQ
// ConsumerOffsetManager), replicated through the MetadataLog so a new leader serves exactly the
// offsets the old one acknowledged. A commit is visible to queries on this node at once; it is
// acknowledged once the batch holding it is applied. Commits are group-committed: at most one
// batch is in flight, and every commit that arrives meanwhile rides in the next one; a commit of
// the offset already committed is acknowledged at once without a log entry.
// Thread-safe.
#pragma once

#include "broker/replication/metadata_log.h"
#include "store/meta/meta_store.h"

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rmq::broker {

class ConsumerOffsetManager {
 public:
  ConsumerOffsetManager(store::MetaStore& meta, MetadataLog& log);

  void commit(const store::OffsetKey& key, int64_t offset, MetadataLog::Done done);
  std::optional<int64_t> query(const store::OffsetKey& key) const;
  // queue id -> offset of (group, topic).
  std::map<int32_t, int64_t> offsets_of(const std::string& group, const std::string& topic) const;
  // Every committed offset (GET_ALL_CONSUMER_OFFSET, what a classic slave copies).
  std::map<store::OffsetKey, int64_t> all() const;
  std::set<std::string> groups_of_topic(const std::string& topic) const;
  std::set<std::string> topics_of_group(const std::string& group) const;
  // Leadership lost: uncommitted commits are dropped (clients commit again every 5 s).
  void on_leadership_lost();
  // Batches proposed so far (for tests and metrics: far fewer than commits under load).
  uint64_t batches() const;

 private:
  void flush_locked(std::unique_lock<std::mutex>& lock);
  void on_applied(const store::MetaBatch& batch);

  struct Pending {
    int64_t offset = 0;
    uint64_t seq = 0;
  };
  MetadataLog& log_;
  mutable std::mutex mu_;
  std::map<store::OffsetKey, int64_t> committed_;  // GUARDED_BY(mu_): applied from the log
  std::map<store::OffsetKey, Pending> pending_;    // GUARDED_BY(mu_): newer than committed_
  std::vector<MetadataLog::Done> waiting_;         // GUARDED_BY(mu_): not yet in a batch
  bool in_flight_ = false;                         // GUARDED_BY(mu_)
  uint64_t seq_ = 0;                               // GUARDED_BY(mu_)
  uint64_t batches_ = 0;                           // GUARDED_BY(mu_)
};

}  // namespace rmq::broker
