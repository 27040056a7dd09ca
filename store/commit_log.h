// CommitLog: the interface of the message log, implemented locally (LocalCommitLog, one node,
// flush policy) and over Raft (broker/replication/DLedgerCommitLog). Appends complete through a
// callback once the message is as durable as the policy asks (flushed, replicated), so no thread
// blocks per request. Reads return slices that keep their segment alive.
#pragma once

#include "common/bytes.h"
#include "common/result.h"
#include "store/checkpoint.h"
#include "store/message.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace rmq::store {

// RocketMQ's PutMessageStatus, plus the reasons our modes add. The broker maps these to response
// codes in one place.
enum class PutStatus {
  kOk,
  kFlushDiskTimeout,        // stored, but the sync flush did not finish in time
  kFlushSlaveTimeout,       // stored, but no slave acknowledged in time (classic HA)
  kSlaveNotAvailable,       // stored, but no slave is connected (classic HA)
  kServiceNotAvailable,     // store shutting down, not writable, or not the leader
  kCreateMappedFileFailed,  // could not create the next segment (I/O error)
  kMessageIllegal,          // bad topic, too large
  kPropertiesSizeExceeded,
  kOsPageCacheBusy,
  kDiskFull,  // refused: disk use above the hard limit (nothing stored)
  kUnknownError,
};
std::string_view to_string(PutStatus s);

struct AppendResult {
  PutStatus status = PutStatus::kUnknownError;
  int64_t physical_offset = 0;  // of the first record
  uint32_t wrote_bytes = 0;
  int64_t queue_offset = 0;  // of the first record
  uint32_t msg_count = 0;
  int64_t store_timestamp = 0;
  int64_t log_index = 0;  // replicated logs: the entry's index and term (0 otherwise)
  int64_t log_term = 0;
  std::string remark;  // for errors
};
using AppendCallback = std::function<void(const AppendResult&)>;

// Bytes of the log, valid while `holder` lives.
struct LogSlice {
  std::shared_ptr<const void> holder;
  common::ByteView bytes;
  int64_t offset = 0;
};

class CommitLog {
 public:
  virtual ~CommitLog() = default;

  // Lifecycle, driven by MessageStore: load() opens the files, recover() returns the end of the
  // data consumers may see after a restart (everything past it is cut from queues and index),
  // start() begins accepting appends, shutdown() stops and makes everything durable.
  [[nodiscard]] virtual common::Status load() = 0;
  virtual common::Result<int64_t> recover(const Checkpoint& checkpoint, bool clean) = 0;
  // start() fails (e.g. a port in use) leave the log stopped; the store does not start.
  virtual common::Status start() = 0;
  virtual void shutdown() = 0;
  virtual int64_t flushed_offset() const = 0;
  virtual bool disk_full() const = 0;
  virtual void set_disk_full(bool full) = 0;
  // What the store gives its log, set once before start().
  struct Hooks {
    std::function<void()> on_confirm;  // the confirm offset moved: wake the dispatcher
    // Or dispatch a bounded amount on the calling thread (what a log whose confirmations come
    // from one thread, the Raft node's, uses once that thread is done with its current work).
    std::function<void()> dispatch_now;
    std::function<int64_t()> dispatched_offset;  // how far the dispatcher has got
    std::function<void()> reset_queue_offsets;   // rebuild next queue offsets from the queues
  };
  virtual void set_hooks(Hooks hooks) = 0;
  // How the dispatcher reads the log's bytes: stored messages, plus any framing of the log itself
  // to skip (kSkip) or a segment's blank tail (kBlank).
  virtual RecordProbe probe(common::ByteView bytes) const { return probe_record(bytes, false); }

  // Appends the records of `msgs`, assigning consecutive queue offsets for (topic, queue),
  // physical offsets and the store timestamp, and calls `done` exactly once (possibly on another
  // thread, possibly before append() returns).
  virtual void append(EncodedMessages msgs, AppendCallback done) = 0;

  // `size` bytes at `offset`; NotFound when the offset is not in the log (deleted or beyond).
  virtual common::Result<LogSlice> read(int64_t offset, uint32_t size) = 0;
  // The whole record at `offset` (its size read from the record).
  virtual common::Result<LogSlice> read_record(int64_t offset) = 0;
  // Every readable byte from `offset` up to `limit` that lies in one segment (the reput service
  // walks many records per call). NotFound when nothing is readable there.
  virtual common::Result<LogSlice> read_available(int64_t offset, int64_t limit) = 0;

  virtual int64_t min_offset() const = 0;
  virtual int64_t max_offset() const = 0;  // end of written data
  // End of the data consumers may see: written (local) or committed (Raft). Dispatch stops here.
  virtual int64_t confirm_offset() const = 0;
  // Start of the segment following the one holding `offset` (skipping a blank tail).
  virtual int64_t roll_next_file(int64_t offset) const = 0;
};

}  // namespace rmq::store
