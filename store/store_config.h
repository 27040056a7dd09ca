// StoreConfig: the message store's settings, named after RocketMQ's MessageStoreConfig keys (the
// broker binds them to broker.conf with common::ConfigSchema). Plain values; no behaviour.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace rmq::store {

enum class FlushDiskType { kAsyncFlush, kSyncFlush };

struct StoreConfig {
  std::string store_path_root_dir = "/tmp/raftmq/store";         // storePathRootDir
  uint64_t mapped_file_size_commit_log = 1024ull * 1024 * 1024;  // mappedFileSizeCommitLog
  // Flushed commit-log bytes kept in the page cache behind the end (commitLogCacheWindow; 0: all).
  uint64_t commit_log_cache_window = 0;
  uint32_t consume_queue_units_per_file = 300'000;  // mappedFileSizeConsumeQueue / 20
  size_t max_message_size = 4 * 1024 * 1024;        // maxMessageSize

  FlushDiskType flush_disk_type = FlushDiskType::kAsyncFlush;            // flushDiskType
  std::chrono::milliseconds flush_interval_commit_log{500};              // flushIntervalCommitLog
  uint32_t flush_commit_log_least_pages = 4;                             // flushCommitLogLeastPages
  std::chrono::milliseconds flush_commit_log_thorough_interval{10'000};  // ...ThoroughInterval
  std::chrono::milliseconds sync_flush_timeout{5'000};                   // syncFlushTimeout
  std::chrono::milliseconds flush_interval_consume_queue{1'000};  // flushIntervalConsumeQueue
  uint32_t flush_consume_queue_least_pages = 2;                   // flushConsumeQueueLeastPages

  bool message_index_enable = true;        // messageIndexEnable
  uint32_t max_hash_slot_num = 5'000'000;  // maxHashSlotNum
  uint32_t max_index_num = 20'000'000;     // maxIndexNum

  bool warm_mapped_file_enable = false;  // warmMapedFileEnable: pre-create + pre-touch next segment

  // Retention (CleanCommitLogService / CleanConsumeQueueService).
  uint32_t file_reserved_time_hours = 72;         // fileReservedTime
  std::string delete_when = "04";                 // deleteWhen: hours "04;16"
  uint32_t disk_max_used_space_ratio = 75;        // diskMaxUsedSpaceRatio (percent)
  double disk_space_clean_forcibly_ratio = 0.85;  // diskSpaceCleanForciblyRatio
  double disk_space_warning_level_ratio = 0.90;   // diskSpaceWarningLevelRatio: refuse writes
  std::chrono::milliseconds clean_resource_interval{10'000};  // cleanResourceInterval
  uint32_t delete_commit_log_files_interval_ms = 100;         // deleteCommitLogFilesInterval

  std::string commit_log_dir() const { return store_path_root_dir + "/commitlog"; }
  std::string consume_queue_dir() const { return store_path_root_dir + "/consumequeue"; }
  std::string index_dir() const { return store_path_root_dir + "/index"; }
  std::string checkpoint_path() const { return store_path_root_dir + "/checkpoint"; }
  std::string abort_path() const { return store_path_root_dir + "/abort"; }
  std::string meta_dir() const { return store_path_root_dir + "/meta"; }
};

}  // namespace rmq::store
