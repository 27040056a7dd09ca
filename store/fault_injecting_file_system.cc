#include "store/fault_injecting_file_system.h"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace rmq::store {

// The in-memory contents of one mapped file ("page cache"), shared by its mappings.
struct FaultInjectingFileSystem::FileImage {
  std::string path;
  int fd = -1;  // kept open: a sync after unlink writes to the old inode, as msync would
  uint64_t epoch = 0;
  std::vector<uint8_t> bytes;

  FileImage() = default;
  FileImage(const FileImage&) = delete;
  FileImage& operator=(const FileImage&) = delete;
  ~FileImage() {
    if (fd >= 0) ::close(fd);
  }
};

struct FaultInjectingFileSystem::State {
  std::atomic<bool> crashed{false};
  std::atomic<bool> sync_fails{false};
  std::atomic<bool> disk_full{false};
  std::atomic<uint64_t> syncs{0};
  std::atomic<uint64_t> bytes_synced{0};
  std::atomic<uint64_t> epoch{0};
  // Shared by syncs, exclusive for drop_unsynced(): no sync straddles a crash.
  std::shared_mutex crash_mu;
  std::mutex mu;
  std::optional<DiskUsage> disk_usage;                     // GUARDED_BY(mu)
  std::map<std::string, std::weak_ptr<FileImage>> images;  // GUARDED_BY(mu)
};

namespace {

using State = FaultInjectingFileSystem::State;
using FileImage = FaultInjectingFileSystem::FileImage;

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

common::Status crashed_error(std::string_view op, const std::string& path) {
  return common::Status::io_error(std::string(op) + " " + path + ": crashed (injected)");
}

class FaultRegion final : public MappedRegion {
 public:
  FaultRegion(std::shared_ptr<State> state, std::shared_ptr<FileImage> image)
      : state_(std::move(state)), image_(std::move(image)) {}

  uint8_t* data() override { return image_->bytes.data(); }
  size_t size() const override { return image_->bytes.size(); }

  common::Status sync(size_t offset, size_t len) override {
    std::shared_lock lock(state_->crash_mu);
    const std::string& path = image_->path;
    if (image_->epoch != state_->epoch.load() || state_->crashed.load()) {
      return crashed_error("sync", path);  // mapped before drop_unsynced(), or frozen
    }
    if (state_->sync_fails.load()) {
      return common::Status::io_error("sync " + path + ": injected sync failure");
    }
    if (offset > size() || len > size() - offset) {
      return common::Status::invalid_argument("sync " + path + ": range outside the mapping");
    }
    const uint8_t* p = image_->bytes.data() + offset;
    size_t left = len;
    auto pos = static_cast<off_t>(offset);
    while (left > 0) {
      ssize_t n = ::pwrite(image_->fd, p, left, pos);
      if (n < 0) {
        if (errno == EINTR) continue;
        return common::Status::io_error("pwrite " + path + ": " + errno_text(errno));
      }
      p += n;
      pos += n;
      left -= static_cast<size_t>(n);
    }
    state_->syncs.fetch_add(1);
    state_->bytes_synced.fetch_add(len);
    return common::Status::ok();
  }

  void prefault(size_t /*offset*/, size_t /*len*/) override {}
  void release(size_t /*offset*/, size_t /*len*/) override {}

 private:
  std::shared_ptr<State> state_;
  std::shared_ptr<FileImage> image_;
};

common::Result<std::shared_ptr<FileImage>> load_image(const std::string& path, uint64_t epoch) {
  auto image = std::make_shared<FileImage>();
  image->path = path;
  image->epoch = epoch;
  do {
    image->fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  } while (image->fd < 0 && errno == EINTR);
  if (image->fd < 0) {
    const int err = errno;
    std::string msg = "open " + path + ": " + errno_text(err);
    return err == ENOENT ? common::Status::not_found(msg) : common::Status::io_error(msg);
  }
  struct stat st {};
  if (::fstat(image->fd, &st) != 0) {
    return common::Status::io_error("fstat " + path + ": " + errno_text(errno));
  }
  image->bytes.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < image->bytes.size()) {
    ssize_t n = ::pread(image->fd, image->bytes.data() + done, image->bytes.size() - done,
                        static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return common::Status::io_error("pread " + path + ": " + errno_text(errno));
    if (n == 0) break;  // shrank meanwhile: the rest reads as zeros
    done += static_cast<size_t>(n);
  }
  return image;
}

}  // namespace

FaultInjectingFileSystem::FaultInjectingFileSystem(FileSystem& base)
    : base_(base), state_(std::make_shared<State>()) {}

FaultInjectingFileSystem::~FaultInjectingFileSystem() = default;

void FaultInjectingFileSystem::drop_unsynced() {
  std::unique_lock crash(state_->crash_mu);
  std::lock_guard lock(state_->mu);
  state_->epoch.fetch_add(1);
  state_->images.clear();
}

void FaultInjectingFileSystem::set_crashed(bool crashed) { state_->crashed.store(crashed); }
void FaultInjectingFileSystem::set_sync_fails(bool fails) { state_->sync_fails.store(fails); }
void FaultInjectingFileSystem::set_disk_full(bool full) { state_->disk_full.store(full); }
void FaultInjectingFileSystem::set_disk_usage(std::optional<DiskUsage> usage) {
  std::lock_guard lock(state_->mu);
  state_->disk_usage = usage;
}
uint64_t FaultInjectingFileSystem::syncs() const { return state_->syncs.load(); }
uint64_t FaultInjectingFileSystem::bytes_synced() const { return state_->bytes_synced.load(); }

common::Status FaultInjectingFileSystem::create_file(const std::string& path, uint64_t size) {
  if (state_->crashed.load()) return crashed_error("create", path);
  if (state_->disk_full.load()) {
    return common::Status::no_space("create " + path + ": injected disk full");
  }
  {
    std::lock_guard lock(state_->mu);
    state_->images.erase(path);
  }
  return base_.create_file(path, size);
}

common::Result<std::unique_ptr<MappedRegion>> FaultInjectingFileSystem::map_file(
    const std::string& path) {
  std::lock_guard lock(state_->mu);
  const uint64_t epoch = state_->epoch.load();
  std::shared_ptr<FileImage> image;
  if (auto it = state_->images.find(path); it != state_->images.end()) image = it->second.lock();
  if (image == nullptr || image->epoch != epoch) {
    RMQ_ASSIGN_OR_RETURN(image, load_image(path, epoch));
    state_->images[path] = image;
  }
  return std::unique_ptr<MappedRegion>(std::make_unique<FaultRegion>(state_, std::move(image)));
}

common::Result<std::string> FaultInjectingFileSystem::read_file(const std::string& path) {
  return base_.read_file(path);
}

common::Status FaultInjectingFileSystem::write_file_atomic(const std::string& path,
                                                           std::string_view data) {
  if (state_->crashed.load()) return crashed_error("write", path);
  if (state_->disk_full.load()) {
    return common::Status::no_space("write " + path + ": injected disk full");
  }
  if (state_->sync_fails.load()) {
    return common::Status::io_error("fsync " + path + ".tmp: injected sync failure");
  }
  return base_.write_file_atomic(path, data);
}

common::Status FaultInjectingFileSystem::create_dirs(const std::string& path) {
  if (state_->crashed.load()) return crashed_error("mkdir", path);
  return base_.create_dirs(path);
}

common::Status FaultInjectingFileSystem::remove_file(const std::string& path) {
  if (state_->crashed.load()) return crashed_error("unlink", path);
  {
    std::lock_guard lock(state_->mu);
    state_->images.erase(path);
  }
  return base_.remove_file(path);
}

common::Status FaultInjectingFileSystem::remove_all(const std::string& path) {
  if (state_->crashed.load()) return crashed_error("remove_all", path);
  {
    std::lock_guard lock(state_->mu);
    const std::string prefix = path + "/";
    for (auto it = state_->images.begin(); it != state_->images.end();) {
      if (it->first == path || it->first.compare(0, prefix.size(), prefix) == 0) {
        it = state_->images.erase(it);
      } else {
        ++it;
      }
    }
  }
  return base_.remove_all(path);
}

bool FaultInjectingFileSystem::exists(const std::string& path) { return base_.exists(path); }

common::Result<uint64_t> FaultInjectingFileSystem::file_size(const std::string& path) {
  return base_.file_size(path);
}

common::Result<std::vector<std::string>> FaultInjectingFileSystem::list_dir(
    const std::string& path) {
  return base_.list_dir(path);
}

common::Status FaultInjectingFileSystem::truncate(const std::string& path, uint64_t size) {
  if (state_->crashed.load()) return crashed_error("truncate", path);
  {
    std::lock_guard lock(state_->mu);
    state_->images.erase(path);
  }
  return base_.truncate(path, size);
}

common::Result<DiskUsage> FaultInjectingFileSystem::disk_usage(const std::string& path) {
  {
    std::lock_guard lock(state_->mu);
    if (state_->disk_usage.has_value()) return *state_->disk_usage;
  }
  return base_.disk_usage(path);
}

common::Result<int64_t> FaultInjectingFileSystem::modified_ms(const std::string& path) {
  return base_.modified_ms(path);
}

}  // namespace rmq::store
