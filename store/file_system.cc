#include "store/file_system.h"

#include "common/logging.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <system_error>
#include <unistd.h>

namespace rmq::store {
namespace {

constexpr size_t kPageSize = 4096;

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

// "<op> <path>: <strerror>", with the code chosen from errno.
common::Status posix_error(std::string_view op, const std::string& path, int err) {
  std::string msg = std::string(op) + " " + path + ": " + errno_text(err);
  switch (err) {
    case ENOENT:
      return common::Status::not_found(msg);
    case ENOSPC:
    case EDQUOT:
      return common::Status::no_space(msg);
    case EEXIST:
      return common::Status::already_exists(msg);
    default:
      return common::Status::io_error(msg);
  }
}

std::string parent_dir(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports the error (close can report a deferred write error).
  int close_now() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

int open_retry(const std::string& path, int flags, mode_t mode = 0644) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

common::Status fsync_dir(const std::string& dir) {
  Fd fd(open_retry(dir, O_RDONLY | O_DIRECTORY));
  if (fd.get() < 0) return posix_error("open dir", dir, errno);
  if (::fsync(fd.get()) != 0) return posix_error("fsync dir", dir, errno);
  return common::Status::ok();
}

common::Status write_all(int fd, const std::string& path, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return posix_error("write", path, errno);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return common::Status::ok();
}

// A MAP_SHARED read-write mapping of a whole file.
class PosixMappedRegion final : public MappedRegion {
 public:
  PosixMappedRegion(std::string path, uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  ~PosixMappedRegion() override {
    if (data_ != nullptr && ::munmap(data_, size_) != 0) {
      common::logger("store")->error("munmap {}: {}", path_, errno_text(errno));
    }
  }
  PosixMappedRegion(const PosixMappedRegion&) = delete;
  PosixMappedRegion& operator=(const PosixMappedRegion&) = delete;

  uint8_t* data() override { return data_; }
  size_t size() const override { return size_; }

  common::Status sync(size_t offset, size_t len) override {
    if (offset > size_ || len > size_ - offset) {
      return common::Status::invalid_argument("msync " + path_ + ": range [" +
                                              std::to_string(offset) + ", +" + std::to_string(len) +
                                              ") outside the mapping");
    }
    if (len == 0) return common::Status::ok();
    const size_t start = offset & ~(kPageSize - 1);
    if (::msync(data_ + start, offset + len - start, MS_SYNC) != 0) {
      return posix_error("msync", path_, errno);
    }
    return common::Status::ok();
  }

  // REQUIRES: no concurrent writer in the range (the fallback rewrites bytes with themselves).
  void prefault(size_t offset, size_t len) override {
    if (offset >= size_ || len == 0) return;
    len = std::min(len, size_ - offset);
    const size_t start = offset & ~(kPageSize - 1);
#ifdef MADV_POPULATE_WRITE
    // Linux 5.14+: maps the pages writable without touching their contents.
    if (::madvise(data_ + start, offset + len - start, MADV_POPULATE_WRITE) == 0) return;
#endif
    // Older kernels: a read brings each page in (zeroed, outside the writer's path); writing
    // back would race with a writer in the same page.
    uint8_t sink = 0;
    for (size_t pos = start; pos < offset + len; pos += kPageSize) {
      sink ^= *static_cast<volatile const uint8_t*>(data_ + pos);
    }
    (void)sink;
  }

  void release(size_t offset, size_t len) override {
    if (offset >= size_ || len == 0) return;
    len = std::min(len, size_ - offset);
    const size_t start = (offset + kPageSize - 1) & ~(kPageSize - 1);
    const size_t end = (offset + len) & ~(kPageSize - 1);
    if (end <= start) return;
#ifdef MADV_PAGEOUT
    // Linux 5.4+. Older kernels (EINVAL) keep the pages: the kernel's LRU decides, as before.
    static std::atomic<bool> unsupported{false};
    if (unsupported.load(std::memory_order_relaxed)) return;
    if (::madvise(data_ + start, end - start, MADV_PAGEOUT) != 0) {
      const int err = errno;
      if (err == EINVAL && !unsupported.exchange(true)) {
        common::logger("store")->info(
            "madvise(MADV_PAGEOUT) unsupported: {}; log pages stay "
            "in the page cache until the kernel reclaims them",
            errno_text(err));
      } else if (err != EINVAL) {
        common::logger("store")->warn("madvise(MADV_PAGEOUT) {}: {}", path_, errno_text(err));
      }
    }
#endif
  }

 private:
  const std::string path_;
  uint8_t* data_;
  const size_t size_;
};

class PosixFileSystem final : public FileSystem {
 public:
  common::Status create_file(const std::string& path, uint64_t size) override {
    Fd fd(open_retry(path, O_RDWR | O_CREAT | O_EXCL));
    if (fd.get() < 0) {
      const int err = errno;
      if (err != EEXIST) return posix_error("create", path, err);
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) return posix_error("stat", path, errno);
      if (static_cast<uint64_t>(st.st_size) == size) return common::Status::ok();
      return common::Status::already_exists("create " + path + ": exists with size " +
                                            std::to_string(st.st_size) + ", wanted " +
                                            std::to_string(size));
    }
    if (size > 0) {
      const int err = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(size));
      if (err != 0) {
        ::unlink(path.c_str());
        return posix_error("fallocate", path, err);
      }
    }
    if (::fsync(fd.get()) != 0) {
      const int err = errno;
      ::unlink(path.c_str());
      return posix_error("fsync", path, err);
    }
    if (int err = fd.close_now(); err != 0) return posix_error("close", path, err);
    return fsync_dir(parent_dir(path));
  }

  common::Result<std::unique_ptr<MappedRegion>> map_file(const std::string& path) override {
    Fd fd(open_retry(path, O_RDWR));
    if (fd.get() < 0) return posix_error("open", path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return posix_error("fstat", path, errno);
    const auto size = static_cast<size_t>(st.st_size);
    if (size == 0) {
      return std::unique_ptr<MappedRegion>(std::make_unique<PosixMappedRegion>(path, nullptr, 0));
    }
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED) return posix_error("mmap", path, errno);
    return std::unique_ptr<MappedRegion>(
        std::make_unique<PosixMappedRegion>(path, static_cast<uint8_t*>(p), size));
  }

  common::Result<std::string> read_file(const std::string& path) override {
    Fd fd(open_retry(path, O_RDONLY));
    if (fd.get() < 0) return posix_error("open", path, errno);
    std::string out;
    char buf[64 * 1024];
    while (true) {
      ssize_t n = ::read(fd.get(), buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) continue;
        return posix_error("read", path, errno);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  common::Status write_file_atomic(const std::string& path, std::string_view data) override {
    const std::string tmp = path + ".tmp";
    Fd fd(open_retry(tmp, O_WRONLY | O_CREAT | O_TRUNC));
    if (fd.get() < 0) return posix_error("open", tmp, errno);
    common::Status st = write_all(fd.get(), tmp, data.data(), data.size());
    if (st.is_ok() && ::fsync(fd.get()) != 0) st = posix_error("fsync", tmp, errno);
    if (st.is_ok()) {
      if (int err = fd.close_now(); err != 0) st = posix_error("close", tmp, err);
    }
    if (st.is_ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
      st = posix_error("rename " + tmp + " to", path, errno);
    }
    if (!st.is_ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
    return fsync_dir(parent_dir(path));
  }

  common::Status create_dirs(const std::string& path) override {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return posix_error("mkdir", path, ec.value());
    return common::Status::ok();
  }

  common::Status remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return posix_error("unlink", path, errno);
    return common::Status::ok();
  }

  common::Status remove_all(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return posix_error("remove_all", path, ec.value());
    return common::Status::ok();
  }

  bool exists(const std::string& path) override {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  }

  common::Result<uint64_t> file_size(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return posix_error("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  common::Result<std::vector<std::string>> list_dir(const std::string& path) override {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
      if (errno == ENOENT) return names;
      return posix_error("opendir", path, errno);
    }
    while (true) {
      errno = 0;
      const dirent* e = ::readdir(dir);
      if (e == nullptr) {
        const int err = errno;
        ::closedir(dir);
        if (err != 0) return posix_error("readdir", path, err);
        break;
      }
      std::string_view name(e->d_name);
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  common::Status truncate(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
      return posix_error("truncate", path, errno);
    }
    return common::Status::ok();
  }

  common::Result<DiskUsage> disk_usage(const std::string& path) override {
    // The nearest existing ancestor: a store directory may not exist yet.
    std::error_code ec;
    std::filesystem::path p = std::filesystem::absolute(path.empty() ? "." : path, ec);
    if (ec) return posix_error("absolute", path, ec.value());
    struct statvfs vfs {};
    while (::statvfs(p.c_str(), &vfs) != 0) {
      if (errno != ENOENT || !p.has_parent_path() || p.parent_path() == p) {
        return posix_error("statvfs", path, errno);
      }
      p = p.parent_path();
    }
    DiskUsage usage;
    usage.total_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    usage.free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    return usage;
  }

  common::Result<int64_t> modified_ms(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return posix_error("stat", path, errno);
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
  }
};

}  // namespace

FileSystem& posix_file_system() {
  static PosixFileSystem* fs = new PosixFileSystem();  // never destroyed: used until exit
  return *fs;
}

}  // namespace rmq::store
