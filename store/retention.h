// RetentionService: RocketMQ's CleanCommitLogService / CleanConsumeQueueService. One pass
// (run_once, called periodically by the store's service thread, or by tests):
//   - reads disk use; above diskSpaceWarningLevelRatio the commit log refuses writes (disk full),
//   - at a deleteWhen hour, or when disk use passes diskMaxUsedSpaceRatio, deletes commit log
//     segments older than fileReservedTime (age = store time of the next segment's first message,
//     so the injected clock decides), and above diskSpaceCleanForciblyRatio deletes the oldest
//     segments regardless of age; never the last segment, never undispatched data,
//   - then moves consume queue and index minimums past the deleted log.
#pragma once

#include "common/clock.h"
#include "store/consume_queue_table.h"
#include "store/index_file.h"
#include "store/local_commit_log.h"
#include "store/reput_service.h"
#include "store/store_config.h"

#include <cstdint>
#include <set>

namespace rmq::store {

class RetentionService {
 public:
  RetentionService(const StoreConfig& config, FileSystem& fs, common::Clock& clock,
                   LocalCommitLog& log, ConsumeQueueTable& cqs, IndexService& index,
                   ReputService& reput);

  struct Pass {
    double disk_used_ratio = 0;
    bool disk_full = false;
    bool deleting = false;  // time or space asked for deletion this pass
    bool forced = false;
    size_t commit_log_files_deleted = 0;
    size_t consume_queue_files_deleted = 0;
    size_t index_files_deleted = 0;
  };
  Pass run_once();
  // Deletes expired segments on the next pass whatever the hour (admin "deleteExpiredCommitLog").
  void request_manual_delete() { manual_ = true; }

 private:
  bool is_delete_hour() const;
  std::optional<int64_t> first_store_time(int64_t segment_start);

  const StoreConfig& config_;
  FileSystem& fs_;
  common::Clock& clock_;
  LocalCommitLog& log_;
  ConsumeQueueTable& cqs_;
  IndexService& index_;
  ReputService& reput_;
  std::set<int> delete_hours_;
  std::atomic<bool> manual_{false};
  bool was_full_ = false;
};

}  // namespace rmq::store
