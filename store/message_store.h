// MessageStore: the broker's view of the store (RocketMQ DefaultMessageStore): put and get
// messages, queue offsets, lookups by offset, key and time; it owns the commit log, the consume
// queues, the index, the reput service, checkpointing, recovery and retention.
// Lifecycle: construct, load() (recovery: the log is cut to valid data, consume queues and index
// are rebuilt or completed from it), start(), shutdown() (clean: flushes and marks the checkpoint
// so the next load scans nothing). Thread-safe after start().
#pragma once

#include "common/clock.h"
#include "store/commit_log.h"
#include "store/consume_queue_table.h"
#include "store/index_file.h"
#include "store/local_commit_log.h"
#include "store/queue_offset_table.h"
#include "store/reput_service.h"
#include "store/retention.h"
#include "store/store_config.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rmq::store {

// RocketMQ's GetMessageStatus; the broker maps it to pull response codes.
enum class GetStatus {
  kFound,
  kNoMatchedMessage,
  kMessageWasRemoving,
  kOffsetFoundNull,
  kOffsetOverflowBadly,
  kOffsetOverflowOne,
  kOffsetTooSmall,
  kNoMatchedLogicQueue,
  kNoMessageInQueue,
};
std::string_view to_string(GetStatus s);

struct GetMessageResult {
  GetStatus status = GetStatus::kNoMatchedLogicQueue;
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  std::vector<LogSlice> messages;  // whole stored records, queue order
  uint64_t total_bytes = 0;
};

struct QueryMessageResult {
  std::vector<LogSlice> messages;
  int64_t index_last_update_timestamp = 0;
  int64_t index_last_update_phy_offset = 0;
};

class MessageStore {
 public:
  // Local (single-node) mode: the store owns a LocalCommitLog.
  MessageStore(StoreConfig config, FileSystem& fs, common::Clock& clock);
  // Another log (DLedger mode): `make_log` builds it over the store's queue offset table.
  using CommitLogFactory = std::function<std::unique_ptr<CommitLog>(QueueOffsetTable&)>;
  MessageStore(StoreConfig config, FileSystem& fs, common::Clock& clock,
               const CommitLogFactory& make_log);
  ~MessageStore();
  MessageStore(const MessageStore&) = delete;
  MessageStore& operator=(const MessageStore&) = delete;

  [[nodiscard]] common::Status load();
  [[nodiscard]] common::Status start();
  void shutdown();

  void put_message(const MessageInput& msg, AppendCallback done);
  void put_batch(const MessageInput& common, common::ByteView batch_body, AppendCallback done);

  // Up to max_count messages (and about max_bytes) of (topic, queue) from queue offset `offset`
  // whose tags code passes `filter` (null: all).
  GetMessageResult get_message(const std::string& topic, int32_t queue_id, int64_t offset,
                               uint32_t max_count, uint64_t max_bytes,
                               const std::function<bool(int64_t tags_code)>& filter = nullptr);
  int64_t max_offset_in_queue(const std::string& topic, int32_t queue_id) const;
  int64_t min_offset_in_queue(const std::string& topic, int32_t queue_id) const;
  int64_t offset_in_queue_by_time(const std::string& topic, int32_t queue_id, int64_t ts_ms);
  std::optional<int64_t> earliest_message_time(const std::string& topic, int32_t queue_id);
  // The stored record at commit log offset `phys` (VIEW_MESSAGE_BY_ID).
  common::Result<LogSlice> look_message_by_offset(int64_t phys);
  QueryMessageResult query_message(const std::string& topic, const std::string& key,
                                   uint32_t max_num, int64_t begin_ms, int64_t end_ms);

  // Drops topics' consume queues and queue offsets (DELETE_TOPIC); their log bytes age out.
  void delete_topic(const std::string& topic);

  // Classic HA slave: its log past `offset` differs from the master's. Cuts the log at the start
  // of the record holding `offset`, the consume queues and the dispatch position with it, and
  // writes a checkpoint; returns where it cut. Index entries past the cut stay (lookups check the
  // record they find). REQUIRES: local mode, started, the caller is the only writer.
  [[nodiscard]] common::Result<int64_t> truncate_to(int64_t offset);

  void set_arrival_listener(ReputService::ArrivalListener l);
  void set_request_builder(ReputService::RequestBuilder b);

  CommitLog& commit_log() { return *log_; }
  // REQUIRES: local mode.
  LocalCommitLog& local_log() { return *local_; }
  ConsumeQueueTable& consume_queues() { return cqs_; }
  IndexService& index() { return index_; }
  ReputService& reput() { return reput_; }
  // REQUIRES: local mode (DLedger-mode retention is not built yet).
  RetentionService& retention() { return *retention_; }
  QueueOffsetTable& queue_offsets() { return queue_offsets_; }
  const StoreConfig& config() const { return config_; }
  bool disk_full() const { return log_->disk_full(); }
  // Writes consume queues, index and the checkpoint now (the periodic service does it too).
  [[nodiscard]] common::Status checkpoint_now();
  // How the last load() went, for logs and tests.
  struct RecoveryInfo {
    bool abnormal = false;
    int64_t commit_log_end = 0;
    int64_t reput_from = 0;
    std::vector<std::string> rebuilt;  // why a rebuild from an earlier offset was needed
  };
  const RecoveryInfo& recovery_info() const { return recovery_; }

 private:
  int64_t decide_reput_from(const Checkpoint& cp, int64_t end);
  bool queue_tail_matches(const ConsumeQueue& cq);
  void service_loop();

  StoreConfig config_;
  FileSystem& fs_;
  common::Clock& clock_;
  QueueOffsetTable queue_offsets_;
  std::unique_ptr<CommitLog> log_;
  LocalCommitLog* local_ = nullptr;  // log_ in local mode
  ConsumeQueueTable cqs_;
  IndexService index_;
  ReputService reput_;
  std::unique_ptr<RetentionService> retention_;  // local mode only
  RecoveryInfo recovery_;
  bool loaded_ = false;
  bool started_ = false;
  std::mutex svc_mu_;
  std::condition_variable svc_cv_;
  bool svc_stop_ = false;  // GUARDED_BY(svc_mu_)
  std::thread svc_thread_;
  std::mutex checkpoint_mu_;  // one checkpoint writer at a time
};

}  // namespace rmq::store
