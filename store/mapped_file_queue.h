// MappedFileQueue: the ordered segments of one log directory (RocketMQ MappedFileQueue): a logical
// byte space [min_offset, max_offset) cut into fixed-size MappedFiles. Finds the segment of an
// offset, creates the next one (optionally pre-allocated and warmed up in the background so the
// writer never waits or faults), flushes, truncates a dirty tail, deletes expired segments.
// Thread-safety: one writer appends; find/read/flush/delete may run concurrently (shared lock on
// the segment list).
#pragma once

#include "common/result.h"
#include "store/mapped_file.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

namespace rmq::store {

struct MappedFileQueueOptions {
  std::string dir;
  uint64_t file_size = 1024ull * 1024 * 1024;
  bool preallocate_next = false;  // create + warm the next segment in the background
  // Keep this many bytes past the write position mapped in (a background thread populates them,
  // RocketMQ's warmMappedFile done as a moving window), so the writer's copies never fault into
  // fresh pages. 0: off. With preallocate_next, the next segment is warmed only this far.
  uint64_t warm_ahead = 0;
  // Keep at most this many bytes before the flushed position in the page cache: once durable,
  // older pages are handed back to the kernel (MappedFile::release_cache), so the page cache of
  // the log stays bounded and the kernel reuses those pages for new writes instead of taking
  // never-used memory (which a VM's host may have to back first). Readers of older data fault it
  // in from the file. 0: off (the kernel's LRU decides).
  uint64_t cache_window = 0;
};

class MappedFileQueue {
 public:
  MappedFileQueue(FileSystem& fs, MappedFileQueueOptions options);
  ~MappedFileQueue();

  // Opens every segment in the directory (sorted); checks names and sizes are consistent. Positions
  // start at 0: call recover_to() once the caller knows where valid data ends.
  [[nodiscard]] common::Status load();
  // Sets wrote/flushed of every segment from the logical end offset `end`: segments before are
  // full, the one holding `end` is cut there (bytes after zeroed), segments after are deleted.
  [[nodiscard]] common::Status recover_to(
      int64_t end, MappedFile::Tail tail = MappedFile::Tail::kMayHoldGarbage);

  // The segment to append at, creating the first one at `start_offset_if_empty` or the next one
  // when the last is full. REQUIRES: the single writer.
  common::Result<MappedFilePtr> last_for_append(int64_t start_offset_if_empty = 0);
  MappedFilePtr last() const;
  MappedFilePtr first() const;
  // The segment containing logical `offset`, or nullptr.
  MappedFilePtr find(int64_t offset) const;
  std::vector<MappedFilePtr> segments() const;

  int64_t min_offset() const;      // start of the first segment (0 when empty)
  int64_t max_offset() const;      // end of written data
  int64_t flushed_offset() const;  // end of durable data

  // Flushes the segment holding the flushed position (RocketMQ flush(leastPages)); returns true
  // when everything written is now durable.
  common::Result<bool> flush(uint32_t least_pages = 0);

  // Deletes segments past `offset` and cuts the one holding it (dirty tail after a crash or a
  // Raft truncation).
  [[nodiscard]] common::Status truncate_dirty(int64_t offset);
  // Deletes leading segments for which `expired(segment)` is true, never the last (writing) one,
  // at most `max_files` per call. Returns how many were deleted.
  size_t delete_leading_if(const std::function<bool(const MappedFile&)>& expired,
                           size_t max_files = 10);

  // The writer reports the end of what it appended; every kWarmStep bytes the warm window moves.
  void note_written(int64_t end) {
    if (options_.warm_ahead != 0 && end >= next_warm_at_) request_warm(end);
  }
  static constexpr int64_t kWarmStep = 2 << 20;
  // The cache window (MappedFileQueueOptions::cache_window) moves in steps of this many bytes.
  static constexpr int64_t kReleaseStep = 4 << 20;

  uint64_t file_size() const { return options_.file_size; }
  const std::string& dir() const { return options_.dir; }

 private:
  common::Result<MappedFilePtr> create_segment(int64_t start_offset);
  void start_preallocate(int64_t start_offset);
  void request_warm(int64_t end);
  void warm_loop();
  void release_cache_before(int64_t end);

  FileSystem& fs_;
  const MappedFileQueueOptions options_;
  mutable std::shared_mutex mu_;
  std::vector<MappedFilePtr> files_;  // GUARDED_BY(mu_)
  // Background pre-allocation of the next segment.
  std::mutex alloc_mu_;
  std::thread alloc_thread_;          // GUARDED_BY(alloc_mu_)
  int64_t preallocated_offset_ = -1;  // GUARDED_BY(alloc_mu_)
  MappedFilePtr preallocated_;        // GUARDED_BY(alloc_mu_)
  // Warm-ahead window (see MappedFileQueueOptions::warm_ahead).
  int64_t next_warm_at_ = 0;  // writer only
  std::mutex warm_mu_;
  std::condition_variable warm_cv_;
  std::thread warm_thread_;  // started by the writer on its first request
  int64_t warm_target_ = 0;  // GUARDED_BY(warm_mu_): populate up to here
  int64_t warmed_ = 0;       // GUARDED_BY(warm_mu_)
  bool warm_stop_ = false;   // GUARDED_BY(warm_mu_)
  // Cache window: page cache before released_ was handed back (flushers may run on any thread).
  std::mutex release_mu_;
  int64_t released_ = 0;  // GUARDED_BY(release_mu_)
};

}  // namespace rmq::store
