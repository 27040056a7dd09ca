// FaultInjectingFileSystem: a FileSystem for tests (LevelDB FaultInjectionTestEnv / SpecialEnv)
// that wraps a real one. Mapped regions are heap copies of their file shared by every mapping of
// the same path; writes stay in memory until MappedRegion::sync() writes that range to the real
// file, so drop_unsynced() is a power loss: the files then hold only synced bytes and every live
// region is dead (its sync fails). Knobs freeze the disk (crashed), fail syncs, fill the disk and
// fake disk usage. Everything else delegates to the base. Thread-safe; regions may outlive this
// object.
#pragma once

#include "store/file_system.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace rmq::store {

class FaultInjectingFileSystem final : public FileSystem {
 public:
  // `base` must outlive this object. The data of mapped files is read and written with POSIX
  // calls on the real path, so `base` must be a file system of real paths (e.g. posix).
  explicit FaultInjectingFileSystem(FileSystem& base);
  ~FaultInjectingFileSystem() override;
  FaultInjectingFileSystem(const FaultInjectingFileSystem&) = delete;
  FaultInjectingFileSystem& operator=(const FaultInjectingFileSystem&) = delete;

  // Power loss: forgets every byte that was not synced. Regions mapped before stay readable but
  // their sync() fails with IOError "crashed"; map the files again (reopen the store) to go on.
  void drop_unsynced();

  // While set, the process is "dead": every call that would change the disk (sync, create, write,
  // remove, truncate, mkdir) fails with IOError "crashed" and changes nothing. Use it between
  // drop_unsynced() and the destruction of the store that was running, so its shutdown path
  // (checkpoint, abort file) cannot write; clear it before reopening.
  void set_crashed(bool crashed);
  // sync() and write_file_atomic() fail with IOError (nothing written) while set.
  void set_sync_fails(bool fails);
  // create_file() and write_file_atomic() fail with NoSpace while set.
  void set_disk_full(bool full);
  // disk_usage() returns this instead of the real numbers while set.
  void set_disk_usage(std::optional<DiskUsage> usage);

  // Successful MappedRegion::sync() calls and the bytes they wrote (write_file_atomic excluded).
  uint64_t syncs() const;
  uint64_t bytes_synced() const;

  common::Status create_file(const std::string& path, uint64_t size) override;
  common::Result<std::unique_ptr<MappedRegion>> map_file(const std::string& path) override;
  common::Result<std::string> read_file(const std::string& path) override;
  common::Status write_file_atomic(const std::string& path, std::string_view data) override;
  common::Status create_dirs(const std::string& path) override;
  common::Status remove_file(const std::string& path) override;
  common::Status remove_all(const std::string& path) override;
  bool exists(const std::string& path) override;
  common::Result<uint64_t> file_size(const std::string& path) override;
  common::Result<std::vector<std::string>> list_dir(const std::string& path) override;
  common::Status truncate(const std::string& path, uint64_t size) override;
  common::Result<DiskUsage> disk_usage(const std::string& path) override;
  common::Result<int64_t> modified_ms(const std::string& path) override;

  // Shared with the regions (which may outlive this object). Defined in the .cc.
  struct State;
  struct FileImage;

 private:
  FileSystem& base_;
  std::shared_ptr<State> state_;
};

}  // namespace rmq::store
