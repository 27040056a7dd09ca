// ConsumeQueue: the index of one (topic, queueId) into the CommitLog (RocketMQ ConsumeQueue):
// fixed 20-byte units [8 commit log offset][4 size][8 tags code], unit n at byte 20*n of the
// logical queue, units_per_file units per segment file under <root>/<topic>/<queueId>/.
// Written only by the dispatcher (one thread); read concurrently by pulls.
#pragma once

#include "common/result.h"
#include "store/mapped_file_queue.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace rmq::store {

inline constexpr uint32_t kCqUnitSize = 20;

struct CqUnit {
  int64_t commit_log_offset = 0;
  int32_t size = 0;
  int64_t tags_code = 0;
};

class ConsumeQueue {
 public:
  ConsumeQueue(FileSystem& fs, std::string root_dir, std::string topic, int32_t queue_id,
               uint32_t units_per_file);

  // Opens existing files and finds the end: the last unit whose size is non-zero. Units that point
  // at or past `max_commit_log_offset` (a log cut back after a crash) are removed.
  [[nodiscard]] common::Status load_and_recover(int64_t max_commit_log_offset);

  // Appends the unit for queue offset `cq_offset`. A unit already present (cq_offset below the
  // max) is ignored, which makes re-dispatch after a crash idempotent; a gap is filled with blank
  // units (RocketMQ does the same) and logged.
  [[nodiscard]] common::Status put(const CqUnit& unit, int64_t cq_offset);

  // The unit at queue offset `index`, nullopt if outside [min_offset, max_offset).
  std::optional<CqUnit> get(int64_t index) const;
  // Up to `max_units` units from `index` (for pulls): calls fn(index, unit) in order until it
  // returns false.
  void scan(int64_t index, uint32_t max_units,
            const std::function<bool(int64_t, const CqUnit&)>& fn) const;

  int64_t min_offset() const;  // first retained queue offset
  int64_t max_offset() const;  // next queue offset to be written (= number of units ever)
  // End (offset + size) in the commit log of the last unit, or -1 if empty.
  int64_t max_physical_end() const;

  // The first queue offset whose message was stored at or after `timestamp_ms`, found by binary
  // search; `store_time_of(commit_log_offset)` reads a message's store timestamp from the log.
  int64_t offset_by_time(int64_t timestamp_ms,
                         const std::function<std::optional<int64_t>(int64_t)>& store_time_of) const;

  // Removes units pointing at or beyond `commit_log_offset` (after the log was cut).
  [[nodiscard]] common::Status truncate_dirty(int64_t commit_log_offset);
  // Deletes whole files whose units all point below `min_commit_log_offset` and moves the min
  // offset past units that do. Returns files deleted.
  size_t delete_expired(int64_t min_commit_log_offset);

  common::Result<bool> flush(uint32_t least_pages);

  const std::string& topic() const { return topic_; }
  int32_t queue_id() const { return queue_id_; }

 private:
  FileSystem& fs_;
  const std::string topic_;
  const int32_t queue_id_;
  MappedFileQueue files_;
  std::atomic<int64_t> min_logic_offset_{0};  // in bytes of the logical queue
};

}  // namespace rmq::store
