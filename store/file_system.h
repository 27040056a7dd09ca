// FileSystem: every file-system call of the store goes through this interface (LevelDB's Env), so
// tests can inject faults. PosixFileSystem is the real one. FaultInjectingFileSystem (tests and
// jepsen) keeps written-but-unsynced data in memory, so drop_unsynced() simulates a power loss; it
// can also fail fsync and report the disk full. Implementations are thread-safe.
#pragma once

#include "common/result.h"
#include "common/status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rmq::store {

// A writable mapping of [0, size) of a file. Writes go to data(); sync() makes a range durable.
// Valid until destroyed; destroying it does not sync.
class MappedRegion {
 public:
  virtual ~MappedRegion() = default;
  virtual uint8_t* data() = 0;
  virtual size_t size() const = 0;
  // Makes bytes [offset, offset+len) durable (msync MS_SYNC on a real mapping).
  [[nodiscard]] virtual common::Status sync(size_t offset, size_t len) = 0;
  // Touches every page of [offset, offset+len) so later writes do not fault (warm-up). Never
  // changes a byte, so a writer may be writing into the same range meanwhile.
  virtual void prefault(size_t offset, size_t len) = 0;
  // Hands the whole pages of [offset, offset+len) back to the kernel (MADV_PAGEOUT): they leave
  // the page cache and a later read faults them in from the file. Only for durable (flushed)
  // ranges: bytes are never lost, but a dirty page would be skipped. Best effort.
  virtual void release(size_t offset, size_t len) = 0;
};

struct DiskUsage {
  uint64_t total_bytes = 0;
  uint64_t free_bytes = 0;
  double used_ratio() const {
    return total_bytes == 0
               ? 0.0
               : 1.0 - static_cast<double>(free_bytes) / static_cast<double>(total_bytes);
  }
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates `path` with exactly `size` bytes allocated (fallocate: a later write into the mapping
  // cannot hit ENOSPC and SIGBUS), fsyncs it and its directory. NoSpace when the disk is full.
  [[nodiscard]] virtual common::Status create_file(const std::string& path, uint64_t size) = 0;
  // Maps an existing file read-write, whole.
  virtual common::Result<std::unique_ptr<MappedRegion>> map_file(const std::string& path) = 0;

  // Small whole-file helpers for checkpoints and manifests.
  virtual common::Result<std::string> read_file(const std::string& path) = 0;
  // Writes `data` to path.tmp, fsyncs, renames over `path`, fsyncs the directory.
  [[nodiscard]] virtual common::Status write_file_atomic(const std::string& path,
                                                         std::string_view data) = 0;

  [[nodiscard]] virtual common::Status create_dirs(const std::string& path) = 0;
  [[nodiscard]] virtual common::Status remove_file(const std::string& path) = 0;
  [[nodiscard]] virtual common::Status remove_all(const std::string& path) = 0;
  virtual bool exists(const std::string& path) = 0;
  virtual common::Result<uint64_t> file_size(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, sorted. Missing directory: empty list.
  virtual common::Result<std::vector<std::string>> list_dir(const std::string& path) = 0;
  // Truncates or extends a file (used to cut a torn tail of a non-mapped file).
  [[nodiscard]] virtual common::Status truncate(const std::string& path, uint64_t size) = 0;
  virtual common::Result<DiskUsage> disk_usage(const std::string& path) = 0;
  // Last modification time in ms since the epoch (retention by age).
  virtual common::Result<int64_t> modified_ms(const std::string& path) = 0;
};

// The process-wide POSIX file system.
FileSystem& posix_file_system();

}  // namespace rmq::store
