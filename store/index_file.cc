// IndexService and its IndexFile (FORMAT.md "IndexFile"): RocketMQ's hash index from
// "<topic>#<key>" to commit log offsets. One writer (the dispatcher) appends entries under mu_;
// queries snapshot the file list and walk slot chains without the lock: an entry is written before
// the slot that publishes it (release/acquire on the slot word), and entries never change after.
#include "store/index_file.h"

#include "common/bytes.h"
#include "common/logging.h"
#include "store/message.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <climits>

namespace rmq::store {

namespace {

constexpr size_t kNameDigits = 20;
// Header field positions.
constexpr size_t kHdrBeginTimestamp = 0;
constexpr size_t kHdrEndTimestamp = 8;
constexpr size_t kHdrBeginPhyOffset = 16;
constexpr size_t kHdrEndPhyOffset = 24;
constexpr size_t kHdrHashSlotCount = 32;
constexpr size_t kHdrIndexCount = 36;

bool is_segment_name(const std::string& name) {
  return name.size() == kNameDigits &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RocketMQ IndexFile.indexKeyHashMethod: abs(String.hashCode()), Integer.MIN_VALUE -> 0.
int32_t key_hash(std::string_view topic, std::string_view key) {
  std::string k;
  k.reserve(topic.size() + 1 + key.size());
  k.append(topic).append("#").append(key);
  const auto h = static_cast<int32_t>(tags_hash_code(k));
  if (h == INT32_MIN) return 0;
  return h < 0 ? -h : h;
}

// Slot words are read and written atomically in big-endian byte order.
uint32_t to_be32(uint32_t v) {
  if constexpr (std::endian::native == std::endian::little) return common::byte_swap(v);
  return v;
}

}  // namespace

class IndexService::IndexFile {
 public:
  IndexFile(MappedFilePtr file, uint32_t slots, uint32_t entries)
      : file_(std::move(file)), slots_(slots), entries_(entries) {}

  static uint64_t size_for(uint32_t slots, uint32_t entries) {
    return kIndexHeaderSize + uint64_t{slots} * kIndexSlotSize +
           uint64_t{entries} * kIndexEntrySize;
  }

  // A fresh file carries over the previous file's end so the index position survives a roll.
  void init_fresh(int64_t prev_end_phy, int64_t prev_end_ts) {
    begin_ts_ = prev_end_ts;
    end_ts_ = prev_end_ts;
    begin_phy_ = prev_end_phy;
    end_phy_ = prev_end_phy;
    slot_count_ = 0;
    index_count_ = 1;
    write_header();
    dirty_ = true;
  }

  // Reads the header of an existing file; Corruption if it cannot be trusted.
  common::Status load_header() {
    const uint8_t* p = file_->base();
    begin_ts_ = common::load_be<int64_t>(p + kHdrBeginTimestamp);
    end_ts_ = common::load_be<int64_t>(p + kHdrEndTimestamp);
    begin_phy_ = common::load_be<int64_t>(p + kHdrBeginPhyOffset);
    end_phy_ = common::load_be<int64_t>(p + kHdrEndPhyOffset);
    slot_count_ = common::load_be<int32_t>(p + kHdrHashSlotCount);
    int32_t count = common::load_be<int32_t>(p + kHdrIndexCount);
    if (count == 0) count = 1;  // never written
    if (count < 1 || static_cast<uint32_t>(count) > entries_ || end_phy_ < 0) {
      return common::Status::corruption(
          fmt::format("index file {}: bad header (indexCount {}, endPhyOffset {})", file_->path(),
                      count, end_phy_.load()));
    }
    index_count_ = count;
    return common::Status::ok();
  }

  const std::string& path() const { return file_->path(); }
  int64_t start_offset() const { return file_->start_offset(); }
  // Entries that still fit (entry numbers run from 1 to entries_ - 1).
  uint32_t room() const {
    return entries_ - static_cast<uint32_t>(index_count_.load(std::memory_order_acquire));
  }
  int64_t begin_timestamp() const { return begin_ts_.load(std::memory_order_acquire); }
  int64_t end_timestamp() const { return end_ts_.load(std::memory_order_acquire); }
  int64_t end_phy_offset() const { return end_phy_.load(std::memory_order_acquire); }

  // Single writer. REQUIRES: room() > 0.
  void put_key(int32_t hash, int64_t phy_offset, int64_t store_ts, int64_t msg_end) {
    const int32_t n = index_count_.load(std::memory_order_relaxed);
    const uint32_t slot = static_cast<uint32_t>(hash) % slots_;
    int32_t prev = static_cast<int32_t>(load_slot(slot));
    if (prev <= 0 || prev >= n) prev = 0;  // empty, or garbage from a stale header
    if (n == 1) {
      begin_phy_.store(phy_offset, std::memory_order_release);
      begin_ts_.store(store_ts, std::memory_order_release);
    }
    const int64_t begin = begin_timestamp();
    int64_t diff = begin <= 0 ? 0 : (store_ts - begin) / 1000;
    diff = std::clamp<int64_t>(diff, 0, INT32_MAX);

    uint8_t* e = entry_at(static_cast<uint32_t>(n));
    common::store_be<int32_t>(e, hash);
    common::store_be<int64_t>(e + 4, phy_offset);
    common::store_be<int32_t>(e + 12, static_cast<int32_t>(diff));
    common::store_be<int32_t>(e + 16, prev);
    // The count first, then the slot: a reader that sees the slot also sees a count above it.
    index_count_.store(n + 1, std::memory_order_release);
    if (prev == 0) slot_count_.fetch_add(1, std::memory_order_relaxed);
    store_slot(slot, static_cast<uint32_t>(n));
    advance(msg_end, store_ts);
  }

  // Single writer: records that the log is indexed up to `end_phy` (stored at `store_ts`).
  void advance(int64_t end_phy, int64_t store_ts) {
    end_phy_.store(std::max(end_phy_.load(std::memory_order_relaxed), end_phy),
                   std::memory_order_release);
    end_ts_.store(std::max(end_ts_.load(std::memory_order_relaxed), store_ts),
                  std::memory_order_release);
    write_header();
    dirty_.store(true, std::memory_order_release);
  }

  // RocketMQ IndexFile.isTimeMatched.
  bool time_matched(int64_t begin, int64_t end) const {
    const int64_t b = begin_timestamp();
    const int64_t e = end_timestamp();
    return (begin < b && end > e) || (begin >= b && begin <= e) || (end >= b && end <= e);
  }

  // Appends to `out` (up to max_num in total) the offsets of entries with `hash` whose time lies
  // in [begin, end], newest first. Safe concurrently with put_key().
  void select(int32_t hash, uint32_t max_num, int64_t begin, int64_t end,
              std::vector<int64_t>* out) const {
    const uint32_t slot = static_cast<uint32_t>(hash) % slots_;
    const auto first = static_cast<int32_t>(load_slot(slot));
    const int32_t count = index_count_.load(std::memory_order_acquire);
    if (first <= 0 || first >= count) return;
    const int64_t file_begin = begin_timestamp();
    for (int32_t n = first;;) {
      if (out->size() >= max_num) break;
      const uint8_t* e = entry_at(static_cast<uint32_t>(n));
      const auto hash_read = common::load_be<int32_t>(e);
      const auto phy_read = common::load_be<int64_t>(e + 4);
      const auto diff = common::load_be<int32_t>(e + 12);
      const auto prev = common::load_be<int32_t>(e + 16);
      if (diff < 0) break;
      const int64_t time_read = file_begin + int64_t{diff} * 1000;
      if (hash_read == hash && time_read >= begin && time_read <= end) out->push_back(phy_read);
      // Chains only point at older entries; anything else is garbage and ends the walk.
      if (prev <= 0 || prev >= n || time_read < begin) break;
      n = prev;
    }
  }

  common::Status sync() {
    if (!dirty_.exchange(false, std::memory_order_acq_rel)) return common::Status::ok();
    common::Status st = file_->sync_all();
    if (!st.is_ok()) dirty_.store(true, std::memory_order_release);
    return st;
  }

  common::Status destroy() { return file_->destroy(); }

  static std::shared_ptr<IndexFile> writable(IndexService& svc, int64_t store_timestamp,
                                             uint32_t need);

 private:
  uint8_t* entry_at(uint32_t n) {
    return file_->base() + kIndexHeaderSize + uint64_t{slots_} * kIndexSlotSize +
           uint64_t{n} * kIndexEntrySize;
  }
  const uint8_t* entry_at(uint32_t n) const {
    return file_->base() + kIndexHeaderSize + uint64_t{slots_} * kIndexSlotSize +
           uint64_t{n} * kIndexEntrySize;
  }
  uint32_t* slot_word(uint32_t slot) const {
    // Slots are 4-byte aligned: the mapping is page aligned and the header is 40 bytes.
    return reinterpret_cast<uint32_t*>(const_cast<uint8_t*>(file_->base()) + kIndexHeaderSize +
                                       uint64_t{slot} * kIndexSlotSize);
  }
  uint32_t load_slot(uint32_t slot) const {
    return to_be32(std::atomic_ref<uint32_t>(*slot_word(slot)).load(std::memory_order_acquire));
  }
  void store_slot(uint32_t slot, uint32_t value) {
    std::atomic_ref<uint32_t>(*slot_word(slot)).store(to_be32(value), std::memory_order_release);
  }
  // The on-disk header (readers use the atomics, never these bytes).
  void write_header() {
    uint8_t* p = file_->base();
    common::store_be<int64_t>(p + kHdrBeginTimestamp, begin_ts_.load(std::memory_order_relaxed));
    common::store_be<int64_t>(p + kHdrEndTimestamp, end_ts_.load(std::memory_order_relaxed));
    common::store_be<int64_t>(p + kHdrBeginPhyOffset, begin_phy_.load(std::memory_order_relaxed));
    common::store_be<int64_t>(p + kHdrEndPhyOffset, end_phy_.load(std::memory_order_relaxed));
    common::store_be<int32_t>(p + kHdrHashSlotCount, slot_count_.load(std::memory_order_relaxed));
    common::store_be<int32_t>(p + kHdrIndexCount, index_count_.load(std::memory_order_relaxed));
  }

  const MappedFilePtr file_;
  const uint32_t slots_;
  const uint32_t entries_;  // entry positions; number 0 is never used (RocketMQ)
  std::atomic<int64_t> begin_ts_{0};
  std::atomic<int64_t> end_ts_{0};
  std::atomic<int64_t> begin_phy_{0};
  std::atomic<int64_t> end_phy_{0};
  std::atomic<int32_t> slot_count_{0};
  std::atomic<int32_t> index_count_{1};  // the next entry number (RocketMQ's indexCount)
  std::atomic<bool> dirty_{false};
};

// The file to write into: the newest one if it has room for `need` more entries, else a new one.
// A new file is named by the store timestamp (ms) of the message that opens it, kept increasing so
// names sort by time. REQUIRES: svc.mu_ held. nullptr (logged) when a file cannot be created.
std::shared_ptr<IndexService::IndexFile> IndexService::IndexFile::writable(IndexService& svc,
                                                                           int64_t store_timestamp,
                                                                           uint32_t need) {
  if (!svc.files_.empty() && svc.files_.back()->room() >= need) return svc.files_.back();
  int64_t prev_end_phy = 0;
  int64_t prev_end_ts = 0;
  int64_t start = std::max<int64_t>(store_timestamp, 0);
  if (!svc.files_.empty()) {
    prev_end_phy = svc.files_.back()->end_phy_offset();
    prev_end_ts = svc.files_.back()->end_timestamp();
    start = std::max(start, svc.files_.back()->start_offset() + 1);
  }
  if (common::Status st = svc.fs_.create_dirs(svc.dir_); !st.is_ok()) {
    common::logger("store")->error("index: cannot create {}: {}", svc.dir_, st.to_string());
    return nullptr;
  }
  while (svc.fs_.exists(svc.dir_ + "/" + MappedFile::file_name(start)))
    ++start;  // never reuse a name
  const uint64_t size = IndexFile::size_for(svc.max_hash_slot_num_, svc.max_index_num_);
  auto mapped = MappedFile::create(svc.fs_, svc.dir_, start, size);
  if (!mapped.ok()) {
    common::logger("store")->error("index: cannot create an index file in {}: {}", svc.dir_,
                                   mapped.status().to_string());
    return nullptr;
  }
  auto file = std::make_shared<IndexFile>(std::move(mapped).value(), svc.max_hash_slot_num_,
                                          svc.max_index_num_);
  file->init_fresh(prev_end_phy, prev_end_ts);
  if (!svc.files_.empty()) {
    // The full file will not change again: make it durable now (RocketMQ flushes it on roll).
    if (common::Status st = svc.files_.back()->sync(); !st.is_ok()) {
      common::logger("store")->warn("index: sync of {} failed: {}", svc.files_.back()->path(),
                                    st.to_string());
    }
  }
  svc.files_.push_back(file);
  return file;
}

IndexService::IndexService(FileSystem& fs, std::string dir, uint32_t max_hash_slot_num,
                           uint32_t max_index_num)
    : fs_(fs),
      dir_(std::move(dir)),
      max_hash_slot_num_(std::clamp<uint32_t>(max_hash_slot_num, 1, INT32_MAX)),
      max_index_num_(std::clamp<uint32_t>(max_index_num, 2, INT32_MAX)) {}

IndexService::~IndexService() = default;

common::Status IndexService::load(int64_t max_commit_log_offset) {
  std::lock_guard<std::mutex> lock(mu_);
  files_.clear();
  RMQ_RETURN_IF_ERROR(fs_.create_dirs(dir_));
  RMQ_ASSIGN_OR_RETURN(const std::vector<std::string> names, fs_.list_dir(dir_));
  const uint64_t size = IndexFile::size_for(max_hash_slot_num_, max_index_num_);
  auto log = common::logger("store");
  for (const std::string& name : names) {
    if (!is_segment_name(name)) continue;
    const std::string path = dir_ + "/" + name;
    auto mapped = MappedFile::open(fs_, path, size);
    common::Status st = mapped.ok() ? common::Status::ok() : mapped.status();
    std::shared_ptr<IndexFile> file;
    if (st.is_ok()) {
      file = std::make_shared<IndexFile>(std::move(mapped).value(), max_hash_slot_num_,
                                         max_index_num_);
      st = file->load_header();
    }
    if (!st.is_ok()) {
      if (st.code() != common::Code::kCorruption) return st.with_context("load index");
      // Derived data: a file of the wrong size or with a bad header is dropped and rebuilt.
      log->warn("index file {} unusable ({}); deleting it", path, st.to_string());
      if (common::Status rm = fs_.remove_file(path); !rm.is_ok()) return rm;
      continue;
    }
    if (file->end_phy_offset() > max_commit_log_offset) {
      log->warn("index file {} indexes up to {}, past the log end {}; deleting it for a rebuild",
                path, file->end_phy_offset(), max_commit_log_offset);
      RMQ_RETURN_IF_ERROR(file->destroy());
      continue;
    }
    files_.push_back(std::move(file));
  }
  if (!files_.empty()) {
    log->info("index: loaded {} file(s) from {}, indexed up to {}", files_.size(), dir_,
              files_.back()->end_phy_offset());
  }
  return common::Status::ok();
}

void IndexService::dispatch(const DispatchRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!files_.empty() && request.commit_log_offset < files_.back()->end_phy_offset()) return;
  const int64_t msg_end = request.commit_log_offset + std::max<int32_t>(request.msg_size, 1);

  // RocketMQ indexes PREPARED (but not ROLLBACK) messages; we index neither: a half message is
  // not a message yet, and its COMMIT record is indexed when it comes.
  const int32_t tran = request.sys_flag & sysflag::kTransactionMask;
  std::vector<std::string_view> keys;
  if (tran != sysflag::kTransactionPrepared && tran != sysflag::kTransactionRollback) {
    if (!request.uniq_key.empty()) keys.emplace_back(request.uniq_key);
    const std::string_view words = request.keys;
    size_t pos = 0;
    while (pos < words.size()) {
      size_t sp = words.find(' ', pos);
      if (sp == std::string_view::npos) sp = words.size();
      if (sp > pos) keys.push_back(words.substr(pos, sp - pos));
      pos = sp + 1;
    }
  }
  // A message's keys go into one file when they fit in an empty one, so a file's end offset
  // covers whole messages (a file dropped at load is rebuilt by re-dispatch from the previous
  // file's end). Only a message with more keys than a file holds spans files.
  const uint32_t need =
      keys.size() < max_index_num_ ? static_cast<uint32_t>(keys.size()) : uint32_t{1};
  std::shared_ptr<IndexFile> file = IndexFile::writable(*this, request.store_timestamp, need);
  if (!file) return;
  for (std::string_view key : keys) {
    if (file->room() == 0) {
      file = IndexFile::writable(*this, request.store_timestamp, 1);
      if (!file) return;
    }
    file->put_key(key_hash(request.topic, key), request.commit_log_offset, request.store_timestamp,
                  msg_end);
  }
  file->advance(msg_end, request.store_timestamp);
}

QueryOffsetResult IndexService::query(const std::string& topic, const std::string& key,
                                      uint32_t max_num, int64_t begin_ms, int64_t end_ms) const {
  std::vector<std::shared_ptr<IndexFile>> files;
  {
    std::lock_guard<std::mutex> lock(mu_);
    files = files_;
  }
  QueryOffsetResult out;
  if (files.empty()) return out;
  out.index_last_update_timestamp = files.back()->end_timestamp();
  out.index_last_update_phy_offset = files.back()->end_phy_offset();
  const int32_t hash = key_hash(topic, key);
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    const IndexFile& f = **it;
    if (f.time_matched(begin_ms, end_ms)) {
      f.select(hash, max_num, begin_ms, end_ms, &out.physical_offsets);
    }
    if (f.begin_timestamp() < begin_ms || out.physical_offsets.size() >= max_num) break;
  }
  return out;
}

size_t IndexService::delete_expired(int64_t min_commit_log_offset) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t deleted = 0;
  // Oldest first, never the newest; stops at the first file still needed (RocketMQ).
  while (files_.size() > 1 && files_.front()->end_phy_offset() <= min_commit_log_offset) {
    const std::shared_ptr<IndexFile> f = files_.front();
    if (common::Status st = f->destroy(); !st.is_ok()) {
      common::logger("store")->warn("index: cannot delete {}: {}", f->path(), st.to_string());
      break;
    }
    files_.erase(files_.begin());
    ++deleted;
  }
  return deleted;
}

int64_t IndexService::indexed_phy_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return files_.empty() ? 0 : files_.back()->end_phy_offset();
}

common::Status IndexService::flush() {
  std::vector<std::shared_ptr<IndexFile>> files;
  {
    std::lock_guard<std::mutex> lock(mu_);
    files = files_;
  }
  for (const auto& f : files) {
    if (common::Status st = f->sync(); !st.is_ok()) {
      return st.with_context("flush index file " + f->path());
    }
  }
  return common::Status::ok();
}

}  // namespace rmq::store
