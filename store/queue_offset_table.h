// QueueOffsetTable: the next queue offset of every (topic, queueId) (RocketMQ's topicQueueTable).
// The commit log assigns offsets from it at append time; recovery sets it from the consume queues.
// Thread-safe (one small mutex; appends already serialize on the commit log's append lock).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rmq::store {

class QueueOffsetTable {
 public:
  // Reserves `n` consecutive offsets and returns the first.
  int64_t assign(std::string_view topic, int32_t queue_id, uint32_t n);
  int64_t next(std::string_view topic, int32_t queue_id) const;
  // Raises the next offset to at least `next` (recovery, followers applying replicated records).
  void advance_to(std::string_view topic, int32_t queue_id, int64_t next);
  void set(std::string_view topic, int32_t queue_id, int64_t next);
  void erase_topic(std::string_view topic);
  void clear();

  static std::string key(std::string_view topic, int32_t queue_id);

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, int64_t> next_;  // GUARDED_BY(mu_)
};

}  // namespace rmq::store
