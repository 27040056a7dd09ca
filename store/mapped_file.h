// MappedFile: one fixed-size segment of a log, named by its 20-digit start offset
// ("00000000001073741824"), mapped read-write (RocketMQ MappedFile). Positions:
//   wrote   — bytes appended (visible to readers once published),
//   flushed — bytes made durable by flush().
// Invariant: flushed <= wrote <= file_size. One writer appends; readers and the flusher may run
// on other threads (positions are atomics). Lifetime: held by shared_ptr; a reader keeps the
// segment (and its mapping) alive while it uses a view, even if retention deletes the file.
#pragma once

#include "common/bytes.h"
#include "common/result.h"
#include "store/file_system.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace rmq::store {

class MappedFile : public std::enable_shared_from_this<MappedFile> {
 public:
  // Creates (allocated, zero-filled) or opens the segment `dir/<20-digit start offset>`.
  static common::Result<std::shared_ptr<MappedFile>> create(FileSystem& fs, const std::string& dir,
                                                            int64_t start_offset,
                                                            uint64_t file_size);
  static common::Result<std::shared_ptr<MappedFile>> open(FileSystem& fs, const std::string& path,
                                                          uint64_t expected_size);
  static std::string file_name(int64_t start_offset);  // 20 digits, zero padded

  int64_t start_offset() const { return start_offset_; }
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }

  uint64_t wrote_position() const { return wrote_.load(std::memory_order_acquire); }
  uint64_t flushed_position() const { return flushed_.load(std::memory_order_acquire); }
  uint64_t free_space() const { return file_size_ - wrote_position(); }
  bool is_full() const { return wrote_position() == file_size_; }

  // Single writer: copies bytes at the wrote position and publishes them. OutOfRange if they do
  // not fit.
  [[nodiscard]] common::Status append(common::ByteView bytes);
  // Single writer: direct access for encoders that write in place. Write into
  // writable_tail()[0, n) and then publish(n).
  uint8_t* writable_tail() { return base() + wrote_position(); }
  void publish(uint64_t n) { wrote_.fetch_add(n, std::memory_order_release); }

  // Bytes [pos, pos+len) of the published part; the view stays valid while this object lives.
  common::Result<common::ByteView> read(uint64_t pos, uint64_t len) const;
  // Makes bytes up to `wrote` durable when at least `least_pages` pages (4 KiB) are dirty (0: any).
  // Returns the new flushed position.
  common::Result<uint64_t> flush(uint32_t least_pages = 0);
  // Makes the whole file durable regardless of positions (files written at random places, such as
  // index files). Does not move wrote/flushed.
  [[nodiscard]] common::Status sync_all() {
    return region_->sync(0, static_cast<size_t>(file_size_));
  }

  // What the bytes after a recovery point may hold.
  enum class Tail {
    kMayHoldGarbage,  // after a crash or a truncation: check every page, zero what is not zero
    kKnownZero,       // after a clean shutdown: never written, nothing to read or zero
  };
  // Recovery and truncation (single writer, no concurrent readers past `pos`): sets wrote and
  // flushed to `pos` and, unless the tail is known zero, zeroes the bytes after it so stale data
  // cannot be read back.
  void reset_positions(uint64_t pos, Tail tail = Tail::kMayHoldGarbage);

  // Touches every page so appends do not fault (warm-up of the next segment).
  void warm_up();
  // Touches the pages of [pos, pos+len) (clamped to the file).
  void warm_range(uint64_t pos, uint64_t len) { region_->prefault(pos, len); }
  // Drops the page-cache pages of [pos, pos+len) (whole pages inside it), which must be flushed;
  // reads fault them back in from the file.
  void release_cache(uint64_t pos, uint64_t len) { region_->release(pos, len); }
  // Unlinks the file; the mapping lives until the last reference drops.
  [[nodiscard]] common::Status destroy();

  const uint8_t* base() const;
  uint8_t* base();

 private:
  MappedFile(FileSystem& fs, std::string path, int64_t start_offset, uint64_t file_size,
             std::unique_ptr<MappedRegion> region);

  FileSystem& fs_;
  const std::string path_;
  const int64_t start_offset_;
  const uint64_t file_size_;
  std::unique_ptr<MappedRegion> region_;
  std::atomic<uint64_t> wrote_{0};
  std::atomic<uint64_t> flushed_{0};
};

using MappedFilePtr = std::shared_ptr<MappedFile>;

}  // namespace rmq::store
