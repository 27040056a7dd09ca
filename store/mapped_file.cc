#include "store/mapped_file.h"

#include "common/logging.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace rmq::store {
namespace {

constexpr uint64_t kPageSize = 4096;
constexpr size_t kNameDigits = 20;

bool page_is_zero(const uint8_t* p, size_t n) {
  // The first byte is zero and every byte equals its successor.
  return n == 0 || (p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0);
}

common::Result<int64_t> parse_start_offset(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  if (name.size() != kNameDigits ||
      !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return common::Status::invalid_argument("segment " + path +
                                            ": name is not a 20-digit start offset");
  }
  uint64_t v = 0;
  for (char c : name) {
    const auto digit = static_cast<uint64_t>(c - '0');
    if (v > (static_cast<uint64_t>(INT64_MAX) - digit) / 10) {
      return common::Status::invalid_argument("segment " + path + ": start offset overflows");
    }
    v = v * 10 + digit;
  }
  return static_cast<int64_t>(v);
}

}  // namespace

MappedFile::MappedFile(FileSystem& fs, std::string path, int64_t start_offset, uint64_t file_size,
                       std::unique_ptr<MappedRegion> region)
    : fs_(fs),
      path_(std::move(path)),
      start_offset_(start_offset),
      file_size_(file_size),
      region_(std::move(region)) {}

std::string MappedFile::file_name(int64_t start_offset) {
  return fmt::format("{:020d}", start_offset);
}

common::Result<std::shared_ptr<MappedFile>> MappedFile::create(FileSystem& fs,
                                                               const std::string& dir,
                                                               int64_t start_offset,
                                                               uint64_t file_size) {
  if (start_offset < 0 || file_size == 0) {
    return common::Status::invalid_argument(
        fmt::format("segment in {}: bad start offset {} or size {}", dir, start_offset, file_size));
  }
  const std::string path = dir + "/" + file_name(start_offset);
  RMQ_RETURN_IF_ERROR(fs.create_file(path, file_size));
  return open(fs, path, file_size);
}

common::Result<std::shared_ptr<MappedFile>> MappedFile::open(FileSystem& fs,
                                                             const std::string& path,
                                                             uint64_t expected_size) {
  RMQ_ASSIGN_OR_RETURN(const int64_t start, parse_start_offset(path));
  RMQ_ASSIGN_OR_RETURN(const uint64_t size, fs.file_size(path));
  if (size != expected_size) {
    return common::Status::corruption(
        fmt::format("segment {} has size {}, expected {}", path, size, expected_size));
  }
  RMQ_ASSIGN_OR_RETURN(auto region, fs.map_file(path));
  if (region->size() != expected_size) {
    return common::Status::corruption(fmt::format("segment {} mapped {} bytes, expected {}", path,
                                                  region->size(), expected_size));
  }
  return std::shared_ptr<MappedFile>(
      new MappedFile(fs, path, start, expected_size, std::move(region)));
}

const uint8_t* MappedFile::base() const { return region_->data(); }
uint8_t* MappedFile::base() { return region_->data(); }

common::Status MappedFile::append(common::ByteView bytes) {
  if (bytes.size() > free_space()) {
    return common::Status::out_of_range(fmt::format("segment {}: {} bytes do not fit in {} free",
                                                    path_, bytes.size(), free_space()));
  }
  if (!bytes.empty()) std::memcpy(writable_tail(), bytes.data(), bytes.size());
  publish(bytes.size());
  return common::Status::ok();
}

common::Result<common::ByteView> MappedFile::read(uint64_t pos, uint64_t len) const {
  const uint64_t wrote = wrote_position();
  if (pos > wrote || len > wrote - pos) {
    return common::Status::out_of_range(fmt::format(
        "segment {}: read [{}, +{}) beyond the written {} bytes", path_, pos, len, wrote));
  }
  return common::ByteView(base() + pos, static_cast<size_t>(len));
}

common::Result<uint64_t> MappedFile::flush(uint32_t least_pages) {
  const uint64_t wrote = wrote_position();
  uint64_t flushed = flushed_position();
  if (wrote <= flushed) return flushed;
  // A full segment is always flushed, so the queue moves on to the next one (RocketMQ).
  if (least_pages > 0 && wrote != file_size_ &&
      wrote - flushed < static_cast<uint64_t>(least_pages) * kPageSize) {
    return flushed;
  }
  common::Status st =
      region_->sync(static_cast<size_t>(flushed), static_cast<size_t>(wrote - flushed));
  if (!st.is_ok()) return st.with_context("flush " + path_);
  // Only moves forward, even with concurrent flushers.
  while (flushed < wrote && !flushed_.compare_exchange_weak(flushed, wrote)) {
  }
  return flushed_position();
}

void MappedFile::reset_positions(uint64_t pos, Tail tail) {
  pos = std::min(pos, file_size_);
  const uint64_t old_wrote = wrote_position();
  const uint64_t old_flushed = flushed_position();
  // Bytes below `pos` written in this process and not yet flushed must become durable; the rest
  // below `pos` came from the disk. Bytes above `pos` are zeroed page by page, only where needed,
  // so a recovery does not dirty a whole preallocated segment.
  uint64_t sync_lo = UINT64_MAX;
  uint64_t sync_hi = 0;
  const uint64_t dirty_lo = std::min(old_flushed, pos);
  const uint64_t dirty_hi = std::min(old_wrote, pos);
  if (dirty_hi > dirty_lo) {
    sync_lo = dirty_lo;
    sync_hi = dirty_hi;
  }
  uint8_t* data = base();
  const uint64_t check_to = tail == Tail::kKnownZero ? pos : file_size_;
  for (uint64_t page_start = pos; page_start < check_to;) {
    const uint64_t page_end = std::min(check_to, (page_start / kPageSize + 1) * kPageSize);
    const auto n = static_cast<size_t>(page_end - page_start);
    if (!page_is_zero(data + page_start, n)) {
      std::memset(data + page_start, 0, n);
      sync_lo = std::min(sync_lo, page_start);
      sync_hi = std::max(sync_hi, page_end);
    }
    page_start = page_end;
  }
  uint64_t new_flushed = pos;
  if (sync_hi > sync_lo) {
    common::Status st =
        region_->sync(static_cast<size_t>(sync_lo), static_cast<size_t>(sync_hi - sync_lo));
    if (!st.is_ok()) {
      common::logger("store")->error("segment {}: sync after reset to {} failed: {}", path_, pos,
                                     st.to_string());
      new_flushed = dirty_lo;  // a later flush() retries the data part
    }
  }
  wrote_.store(pos, std::memory_order_release);
  flushed_.store(new_flushed, std::memory_order_release);
}

void MappedFile::warm_up() { region_->prefault(0, static_cast<size_t>(file_size_)); }

common::Status MappedFile::destroy() { return fs_.remove_file(path_); }

}  // namespace rmq::store
