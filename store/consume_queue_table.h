// ConsumeQueueTable: every ConsumeQueue of the store by (topic, queueId), created on first
// dispatch, loaded from <root>/consumequeue/<topic>/<queueId>/ at start. It is the dispatcher that
// builds consume queues from committed messages. find() is thread-safe (shared lock); the
// dispatcher thread is the only writer of queue contents.
#pragma once

#include "store/consume_queue.h"
#include "store/dispatch.h"

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

namespace rmq::store {

class ConsumeQueueTable final : public CommitLogDispatcher {
 public:
  ConsumeQueueTable(FileSystem& fs, std::string root_dir, uint32_t units_per_file);

  // Opens every queue on disk and cuts units past `max_commit_log_offset`.
  [[nodiscard]] common::Status load(int64_t max_commit_log_offset);
  void dispatch(const DispatchRequest& request) override;

  std::shared_ptr<ConsumeQueue> find(const std::string& topic, int32_t queue_id) const;
  std::shared_ptr<ConsumeQueue> find_or_create(const std::string& topic, int32_t queue_id);
  std::vector<std::shared_ptr<ConsumeQueue>> all() const;
  // Removes a queue and its files (corrupt queue before a rebuild, or a deleted topic).
  [[nodiscard]] common::Status remove(const std::string& topic, int32_t queue_id);
  [[nodiscard]] common::Status remove_topic(const std::string& topic);

  void flush_all(uint32_t least_pages);
  // (topic, queueId) -> max offset, for the checkpoint manifest.
  std::map<std::pair<std::string, int32_t>, int64_t> max_offsets() const;

 private:
  FileSystem& fs_;
  const std::string root_;
  const uint32_t units_per_file_;
  mutable std::shared_mutex mu_;
  std::map<std::pair<std::string, int32_t>, std::shared_ptr<ConsumeQueue>>
      queues_;  // GUARDED_BY(mu_)
};

}  // namespace rmq::store
