// EntryLog: the production LogStorage (DLedger's DLedgerMmapFileStore): entries in a data log and
// 32-byte units in an index log (two MappedFileQueues under one directory) plus a hard-state file;
// layouts in dledger/FORMAT.md. Placement is deterministic, so replicas are byte-identical. One
// writer (the Raft driver's strand) calls open/append/set_hard_state/sync/close; readers (entries,
// term, read_at, locate) may run on other threads for entries that cannot be truncated meanwhile.
#pragma once

#include "common/result.h"
#include "dledger/log_storage.h"
#include "store/commit_log.h"
#include "store/file_system.h"
#include "store/mapped_file_queue.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace rmq::dledger {

// When appended entries become durable.
enum class EntryLogSync : uint8_t {
  kExplicit,     // only when sync() is called (the driver syncs once per Ready)
  kEveryAppend,  // append() syncs before it returns
};

struct EntryLogOptions {
  std::string dir;                                     // holds data/, index/, hardstate, clean
  uint64_t data_file_size = 1024ull * 1024 * 1024;     // identical on every replica of a group
  uint64_t index_file_size = 32ull * 5 * 1024 * 1024;  // a multiple of 32 (5 Mi units)
  EntryLogSync sync = EntryLogSync::kExplicit;
  bool preallocate_next = false;  // create and warm the next data segment in the background
  uint64_t warm_ahead = 0;        // data-log bytes kept populated past the end (0: off)
  uint64_t cache_window = 0;      // data-log bytes kept cached before the synced end (0: all)
};

// What a clean shutdown left in the marker file: the log it closed.
struct CleanMark {
  LogIndex last_index;
  int64_t data_end = 0;
};

// Where an entry lives in the data log (the contents of its index unit).
struct EntryLocation {
  LogIndex index;
  Term term;
  int64_t position = 0;  // data-log offset of the entry's header
  uint32_t size = 0;     // header + body
  friend bool operator==(const EntryLocation&, const EntryLocation&) = default;
};

class EntryLog final : public LogStorage {
 public:
  // Layout constants (FORMAT.md).
  static constexpr uint32_t kEntryMagic = 0xD1ED0E01;
  static constexpr uint32_t kBlankMagic = 0xD1ED0B1A;
  static constexpr uint32_t kIndexMagic = 0xD1ED01DC;
  static constexpr uint32_t kHeaderSize = 48;
  static constexpr uint32_t kTypeOffset = 32;  // the entry type byte within the header
  static constexpr uint32_t kIndexUnitSize = 32;
  static constexpr uint32_t kBlankSize = 8;  // minimum tail a segment keeps for a blank record
  // Data segments examined with CRC checks on recovery after a crash (RocketMQ's last 3 files).
  static constexpr size_t kRecoverSegments = 3;

  EntryLog(store::FileSystem& fs, EntryLogOptions options);
  ~EntryLog() override;
  EntryLog(const EntryLog&) = delete;
  EntryLog& operator=(const EntryLog&) = delete;

  // Loads the hard state and both logs and recovers them: finds the last valid entry (header CRC,
  // body CRC, index, position), cuts a torn or corrupt tail in both logs and rebuilds index units
  // of entries that reached the data log only. Corruption when the hard state file is damaged.
  [[nodiscard]] common::Status open();
  // Syncs and leaves a clean-shutdown marker naming the last entry, so the next open() scans only
  // the last segment and may trust that the bytes past the end are zero.
  // Nothing may be called afterwards except the destructor. The destructor does not sync.
  [[nodiscard]] common::Status close();

  LogIndex first_index() const override { return LogIndex(1); }
  LogIndex last_index() const override {
    return LogIndex(last_index_.load(std::memory_order_acquire));
  }
  std::optional<Term> term(LogIndex index) const override;
  common::Result<std::vector<Entry>> entries(LogIndex lo, LogIndex hi,
                                             size_t max_bytes) const override;

  // Entries whose `position` is >= 0 must land exactly there (Corruption otherwise, and nothing
  // is written); entries with -1 are placed by the log. A batch that fails midway is rolled back
  // to the last entry written whole.
  common::Status append(const std::vector<Entry>& entries) override;
  // The leader's path: as append(), and fills each entry's `position` with where it landed.
  [[nodiscard]] common::Status append_assign(std::vector<Entry>& entries);
  common::Status set_hard_state(const HardState& hs) override;
  HardState hard_state() const override { return hard_; }
  // Makes the data log, then the index log, durable up to what was appended.
  common::Status sync() override;
  // The same from any thread while the writer goes on (async flush's periodic sync): flushes what
  // was written when it looks; serialized with truncations.
  common::Status flush_written();

  // For the replicated CommitLog: `size` bytes of the data log at `position`, kept alive by the
  // slice's holder. NotFound outside the written data log.
  common::Result<store::LogSlice> read_at(int64_t position, uint32_t size) const;
  // The index unit of `index`; OutOfRange outside [first_index, last_index].
  common::Result<EntryLocation> locate(LogIndex index) const;
  common::Result<int64_t> position_of(LogIndex index) const;
  // End of the last entry (where the next one starts unless it rolls to the next segment).
  int64_t data_end() const { return data_end_.load(std::memory_order_acquire); }
  // Offset of an entry's body from its position.
  static constexpr uint32_t body_offset() { return kHeaderSize; }
  // Where an entry of `size` bytes (header + body) lands after one that ended at `end`.
  int64_t landing_position(int64_t end, uint64_t size) const;

  const EntryLogOptions& options() const { return options_; }

  // Called as each entry's body is copied into the data log, before its CRC is computed, with the
  // entry's position: the replicated CommitLog stamps each message's PHYSICALOFFSET here, so the
  // stored bytes carry the final offset on every replica. Set before the first append; runs on the
  // appending (node) thread.
  using AppendHook =
      std::function<void(const Entry& entry, uint8_t* stored_body, int64_t position)>;
  void set_append_hook(AppendHook hook) { append_hook_ = std::move(hook); }

 private:
  common::Status check_options() const;
  common::Status load_hard_state();
  common::Status recover(std::optional<CleanMark> clean);
  common::Status append_impl(const std::vector<Entry>& entries, std::vector<int64_t>* landed);
  common::Status write_entry(const Entry& e, int64_t position);
  common::Status append_unit(const EntryLocation& unit);
  common::Status truncate_from(LogIndex index);
  void roll_back();

  store::FileSystem& fs_;
  const EntryLogOptions options_;
  store::MappedFileQueue data_;
  store::MappedFileQueue index_;
  HardState hard_;  // writer only
  bool open_ = false;
  std::atomic<int64_t> last_index_{0};
  AppendHook append_hook_;
  std::atomic<int64_t> data_end_{0};
  std::mutex flush_mu_;  // a background flush and a truncation never overlap
};

}  // namespace rmq::dledger
