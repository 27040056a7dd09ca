// LocalCommitLog: the single-node CommitLog over a MappedFileQueue (RocketMQ CommitLog): one
// writer at a time appends under a lock (encoding happens before, outside it), a segment that
// cannot hold the next records is closed with a blank record, and the flush policy decides when
// the append completes: at once (async flush) or after the group commit made it durable (sync).
// Recovery finds the end of valid data: trusted from the checkpoint after a clean shutdown,
// otherwise by scanning with CRC checks from the last durable point and cutting a torn tail.
// Thread-safe.
#pragma once

#include "common/clock.h"
#include "store/checkpoint.h"
#include "store/commit_log.h"
#include "store/flush_service.h"
#include "store/mapped_file_queue.h"
#include "store/queue_offset_table.h"
#include "store/store_config.h"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

namespace rmq::store {

class LocalCommitLog final : public CommitLog {
 public:
  LocalCommitLog(FileSystem& fs, const StoreConfig& config, common::Clock& clock,
                 QueueOffsetTable& queue_offsets);
  ~LocalCommitLog() override;

  [[nodiscard]] common::Status load() override;
  // Returns the end of valid data and cuts the log there. `clean` = the last run shut down cleanly.
  common::Result<int64_t> recover(const Checkpoint& checkpoint, bool clean) override;
  common::Status start() override;
  void shutdown() override;

  void append(EncodedMessages msgs, AppendCallback done) override;
  common::Result<LogSlice> read(int64_t offset, uint32_t size) override;
  common::Result<LogSlice> read_record(int64_t offset) override;
  common::Result<LogSlice> read_available(int64_t offset, int64_t limit) override;
  int64_t min_offset() const override { return files_.min_offset(); }
  int64_t max_offset() const override { return files_.max_offset(); }
  // A slave's log may end inside a record (the master's bytes arrive in pieces): dispatch stops
  // at the end of the last whole record.
  int64_t confirm_offset() const override {
    return replica_only_.load(std::memory_order_acquire) ? confirm_.load(std::memory_order_acquire)
                                                         : files_.max_offset();
  }
  int64_t roll_next_file(int64_t offset) const override;

  int64_t flushed_offset() const override { return files_.flushed_offset(); }
  void set_disk_full(bool full) override { disk_full_.store(full, std::memory_order_release); }
  bool disk_full() const override { return disk_full_.load(std::memory_order_acquire); }
  // Local mode confirms at append: on_confirm runs after every append.
  void set_hooks(Hooks hooks) override { on_append_ = std::move(hooks.on_confirm); }
  MappedFileQueue& files() { return files_; }
  FlushService& flush_service() { return flush_; }

  // ---- Classic master/slave HA (broker/ha/) ----
  // Master: sees every successful append (after queue offsets and the physical offset are
  // assigned) and completes `done` itself: at once (ASYNC_MASTER) or once a slave holds the bytes
  // (SYNC_MASTER, else kFlushSlaveTimeout / kSlaveNotAvailable). With sync flush both the flush
  // and the hook must finish; the first non-OK status wins (flush first). Set before start().
  using ReplicaHook = std::function<void(const AppendResult&, AppendCallback done)>;
  void set_replica_hook(ReplicaHook hook) { replica_hook_ = std::move(hook); }
  // Slave: append() is refused (kServiceNotAvailable); bytes come only through append_raw().
  // Set before load().
  void set_replica_only(bool on) { replica_only_.store(on, std::memory_order_release); }
  // Slave: writes the master's log bytes `bytes` at `offset`, which must be the end of this log
  // (for an empty log: a segment start) and lie in one segment. Wakes the dispatcher; with sync
  // flush, asks the flusher for them. The bytes are not checked: they are the master's records.
  [[nodiscard]] common::Status append_raw(int64_t offset, common::ByteView bytes);
  // Slave: the start of the record holding `offset` (a record boundary), `offset` itself when it
  // is the end of the log or outside it.
  int64_t record_start_at_or_before(int64_t offset) const;
  // Slave: cuts the log at `offset` (a record boundary). REQUIRES: no concurrent append_raw.
  [[nodiscard]] common::Status truncate_to(int64_t offset);

 private:
  AppendResult append_locked(EncodedMessages& msgs);
  int64_t scan_valid_end(int64_t from);
  // The end of the last whole record in [from, to), walking from the record boundary `from`.
  int64_t whole_records_end(int64_t from, int64_t to) const;

  const StoreConfig& config_;
  common::Clock& clock_;
  QueueOffsetTable& queue_offsets_;
  MappedFileQueue files_;
  FlushService flush_;
  std::mutex append_mu_;
  std::atomic<bool> disk_full_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> replica_only_{false};
  std::atomic<int64_t> confirm_{0};  // replica_only_: end of the last whole record
  std::function<void()> on_append_;
  ReplicaHook replica_hook_;
};

}  // namespace rmq::store
