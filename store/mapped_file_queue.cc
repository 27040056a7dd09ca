#include "store/mapped_file_queue.h"

#include "common/logging.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <pthread.h>
#include <system_error>

namespace rmq::store {
namespace {

bool is_segment_name(const std::string& name) {
  return name.size() == 20 &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) == 0;
}

int64_t segment_end(const MappedFile& f) {
  return f.start_offset() + static_cast<int64_t>(f.file_size());
}

void destroy_logged(const MappedFilePtr& f) {
  common::Status st = f->destroy();
  if (!st.is_ok()) common::logger("store")->warn("deleting segment: {}", st.to_string());
}

}  // namespace

MappedFileQueue::MappedFileQueue(FileSystem& fs, MappedFileQueueOptions options)
    : fs_(fs), options_(std::move(options)) {}

MappedFileQueue::~MappedFileQueue() {
  // The writer is gone; a finished pre-allocated segment stays on disk and load() picks it up.
  if (alloc_thread_.joinable()) alloc_thread_.join();
  {
    std::lock_guard lock(warm_mu_);
    warm_stop_ = true;
  }
  warm_cv_.notify_all();
  if (warm_thread_.joinable()) warm_thread_.join();
}

void MappedFileQueue::request_warm(int64_t end) {
  next_warm_at_ = end + kWarmStep;
  {
    std::lock_guard lock(warm_mu_);
    warm_target_ = std::max(warm_target_, end + static_cast<int64_t>(options_.warm_ahead));
    warmed_ = std::max(warmed_, end);
  }
  if (!warm_thread_.joinable()) {
    try {
      warm_thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "rmq-warm");
        warm_loop();
      });
    } catch (const std::system_error& e) {
      common::logger("store")->warn("{}: cannot start the warm-up thread: {}", options_.dir,
                                    e.what());
      next_warm_at_ = INT64_MAX;
      return;
    }
  }
  warm_cv_.notify_one();
}

// Populates [warmed_, warm_target_) segment by segment; a range past the last segment waits for
// the next request (that segment does not exist yet).
void MappedFileQueue::warm_loop() {
  std::unique_lock lock(warm_mu_);
  while (true) {
    warm_cv_.wait(lock, [&] { return warm_stop_ || warmed_ < warm_target_; });
    if (warm_stop_) return;
    const int64_t from = warmed_;
    const int64_t to = warm_target_;
    lock.unlock();
    int64_t reached = from;
    while (reached < to) {
      MappedFilePtr seg = find(reached);
      if (seg == nullptr) break;
      const int64_t seg_to = std::min(to, segment_end(*seg));
      seg->warm_range(static_cast<uint64_t>(reached - seg->start_offset()),
                      static_cast<uint64_t>(seg_to - reached));
      reached = seg_to;
    }
    lock.lock();
    warmed_ = std::max(warmed_, reached == from ? to : reached);
  }
}

common::Status MappedFileQueue::load() {
  const auto log = common::logger("store");
  RMQ_ASSIGN_OR_RETURN(const std::vector<std::string> names, fs_.list_dir(options_.dir));
  std::vector<std::string> segment_names;
  for (const auto& name : names) {
    if (ends_with(name, ".tmp")) continue;
    if (!is_segment_name(name)) {
      log->warn("{}: ignoring '{}': not a segment name", options_.dir, name);
      continue;
    }
    segment_names.push_back(name);
  }
  std::vector<MappedFilePtr> loaded;
  for (size_t i = 0; i < segment_names.size(); ++i) {
    const std::string path = options_.dir + "/" + segment_names[i];
    RMQ_ASSIGN_OR_RETURN(const uint64_t size, fs_.file_size(path));
    if (size == 0 && i + 1 == segment_names.size()) {
      // Created but never allocated before a crash.
      log->warn("{}: removing empty trailing segment", path);
      RMQ_RETURN_IF_ERROR(fs_.remove_file(path));
      continue;
    }
    RMQ_ASSIGN_OR_RETURN(MappedFilePtr f, MappedFile::open(fs_, path, options_.file_size));
    if (!loaded.empty() && f->start_offset() != segment_end(*loaded.back())) {
      return common::Status::corruption(fmt::format("{}: segment {} does not follow {}",
                                                    options_.dir, path, loaded.back()->path()));
    }
    loaded.push_back(std::move(f));
  }
  std::unique_lock lock(mu_);
  files_ = std::move(loaded);
  return common::Status::ok();
}

common::Status MappedFileQueue::recover_to(int64_t end, MappedFile::Tail tail) {
  std::vector<MappedFilePtr> removed;
  {
    std::unique_lock lock(mu_);
    if (files_.empty()) return common::Status::ok();
    if (end < files_.front()->start_offset() || end > segment_end(*files_.back())) {
      return common::Status::invalid_argument(
          fmt::format("{}: recover_to({}) outside the segments [{}, {})", options_.dir, end,
                      files_.front()->start_offset(), segment_end(*files_.back())));
    }
    while (files_.size() > 1 && files_.back()->start_offset() > end) {
      removed.push_back(files_.back());
      files_.pop_back();
    }
    for (const auto& f : files_) {
      f->reset_positions(static_cast<uint64_t>(std::min(end - f->start_offset(),
                                                        static_cast<int64_t>(f->file_size()))),
                         tail);
    }
  }
  for (const auto& f : removed) destroy_logged(f);  // newest first: the rest stays contiguous
  return common::Status::ok();
}

// alloc_thread_ is touched only by the single writer (and the destructor), never under alloc_mu_:
// the thread itself takes alloc_mu_ to publish its segment.
common::Result<MappedFilePtr> MappedFileQueue::create_segment(int64_t start_offset) {
  // Take the pre-allocated segment if it is the one wanted; one outstanding at most.
  if (alloc_thread_.joinable()) alloc_thread_.join();
  MappedFilePtr ready;
  {
    std::lock_guard lock(alloc_mu_);
    ready = std::move(preallocated_);
    preallocated_ = nullptr;
    if (ready != nullptr && preallocated_offset_ != start_offset) {
      destroy_logged(ready);  // stale after a truncation
      ready = nullptr;
    }
    preallocated_offset_ = -1;
  }
  if (ready != nullptr) return ready;
  if (first() == nullptr) RMQ_RETURN_IF_ERROR(fs_.create_dirs(options_.dir));
  return MappedFile::create(fs_, options_.dir, start_offset, options_.file_size);
}

void MappedFileQueue::start_preallocate(int64_t start_offset) {
  // REQUIRES: no thread running (create_segment joined it).
  try {
    alloc_thread_ = std::thread([this, start_offset] {
      auto created = MappedFile::create(fs_, options_.dir, start_offset, options_.file_size);
      if (!created.ok()) {
        common::logger("store")->warn("{}: pre-allocating segment {}: {}", options_.dir,
                                      start_offset, created.status().to_string());
        return;
      }
      if (options_.warm_ahead == 0) {
        created.value()->warm_up();
      } else {
        created.value()->warm_range(0, options_.warm_ahead);
      }
      std::lock_guard lock(alloc_mu_);
      preallocated_ = std::move(created).value();
      preallocated_offset_ = start_offset;
    });
  } catch (const std::system_error& e) {
    common::logger("store")->warn("{}: cannot start pre-allocation: {}", options_.dir, e.what());
  }
}

common::Result<MappedFilePtr> MappedFileQueue::last_for_append(int64_t start_offset_if_empty) {
  MappedFilePtr tail = last();
  if (tail != nullptr && !tail->is_full()) return tail;
  const auto size = static_cast<int64_t>(options_.file_size);
  int64_t start;
  if (tail != nullptr) {
    start = segment_end(*tail);
  } else {
    if (start_offset_if_empty < 0) {
      return common::Status::invalid_argument(
          fmt::format("{}: negative start offset {}", options_.dir, start_offset_if_empty));
    }
    start = start_offset_if_empty / size * size;
  }
  RMQ_ASSIGN_OR_RETURN(MappedFilePtr next, create_segment(start));
  {
    std::unique_lock lock(mu_);
    files_.push_back(next);
  }
  if (options_.preallocate_next) start_preallocate(start + size);
  return next;
}

MappedFilePtr MappedFileQueue::last() const {
  std::shared_lock lock(mu_);
  return files_.empty() ? nullptr : files_.back();
}

MappedFilePtr MappedFileQueue::first() const {
  std::shared_lock lock(mu_);
  return files_.empty() ? nullptr : files_.front();
}

MappedFilePtr MappedFileQueue::find(int64_t offset) const {
  std::shared_lock lock(mu_);
  if (files_.empty()) return nullptr;
  const int64_t first_start = files_.front()->start_offset();
  if (offset < first_start || offset >= segment_end(*files_.back())) return nullptr;
  const auto index =
      static_cast<size_t>((offset - first_start) / static_cast<int64_t>(options_.file_size));
  if (index >= files_.size()) return nullptr;
  return files_[index];
}

std::vector<MappedFilePtr> MappedFileQueue::segments() const {
  std::shared_lock lock(mu_);
  return files_;
}

int64_t MappedFileQueue::min_offset() const {
  std::shared_lock lock(mu_);
  return files_.empty() ? 0 : files_.front()->start_offset();
}

int64_t MappedFileQueue::max_offset() const {
  std::shared_lock lock(mu_);
  if (files_.empty()) return 0;
  const auto& f = files_.back();
  return f->start_offset() + static_cast<int64_t>(f->wrote_position());
}

int64_t MappedFileQueue::flushed_offset() const {
  std::shared_lock lock(mu_);
  if (files_.empty()) return 0;
  for (const auto& f : files_) {
    if (f->flushed_position() < f->file_size()) {
      return f->start_offset() + static_cast<int64_t>(f->flushed_position());
    }
  }
  return segment_end(*files_.back());
}

common::Result<bool> MappedFileQueue::flush(uint32_t least_pages) {
  // Flush without holding the list lock: msync may take a while.
  const std::vector<MappedFilePtr> files = segments();
  auto it = std::find_if(files.begin(), files.end(), [](const MappedFilePtr& f) {
    return f->flushed_position() < f->file_size();
  });
  for (; it != files.end(); ++it) {
    RMQ_ASSIGN_OR_RETURN(const uint64_t flushed, (*it)->flush(least_pages));
    if (flushed < (*it)->file_size()) break;  // not full, or not enough dirty pages yet
  }
  const int64_t flushed = flushed_offset();
  if (options_.cache_window != 0) {
    release_cache_before(flushed - static_cast<int64_t>(options_.cache_window));
  }
  return flushed == max_offset();
}

void MappedFileQueue::release_cache_before(int64_t end) {
  std::lock_guard lock(release_mu_);
  if (end < released_ + kReleaseStep) return;
  for (const MappedFilePtr& seg : segments()) {
    const int64_t from = std::max(released_, seg->start_offset());
    const int64_t to = std::min(end, segment_end(*seg));
    if (from >= to) continue;
    seg->release_cache(static_cast<uint64_t>(from - seg->start_offset()),
                       static_cast<uint64_t>(to - from));
  }
  released_ = end;
}

common::Status MappedFileQueue::truncate_dirty(int64_t offset) {
  // A pre-allocated segment may now lie past the end: forget it so the directory stays contiguous.
  if (alloc_thread_.joinable()) alloc_thread_.join();
  {
    std::lock_guard lock(alloc_mu_);
    if (preallocated_ != nullptr && preallocated_offset_ > offset) {
      destroy_logged(preallocated_);
      preallocated_ = nullptr;
      preallocated_offset_ = -1;
    }
  }
  std::vector<MappedFilePtr> removed;
  {
    std::unique_lock lock(mu_);
    while (!files_.empty() && files_.back()->start_offset() > offset) {
      removed.push_back(files_.back());
      files_.pop_back();
    }
    if (!files_.empty()) {
      const auto& f = files_.back();
      const int64_t pos = offset - f->start_offset();
      if (pos >= 0 && static_cast<uint64_t>(pos) < f->wrote_position()) {
        f->reset_positions(static_cast<uint64_t>(pos));
      }
    }
  }
  for (const auto& f : removed) destroy_logged(f);
  {
    std::lock_guard lock(release_mu_);
    released_ = std::min(released_, offset);  // what is written again there is cached again
  }
  return common::Status::ok();
}

size_t MappedFileQueue::delete_leading_if(const std::function<bool(const MappedFile&)>& expired,
                                          size_t max_files) {
  // `expired` runs without the list lock: it may read the log (e.g. a message's store time).
  const std::vector<MappedFilePtr> snapshot = segments();
  size_t n = 0;
  while (n < max_files && n + 1 < snapshot.size() && expired(*snapshot[n])) ++n;
  if (n == 0) return 0;
  std::vector<MappedFilePtr> removed;
  {
    std::unique_lock lock(mu_);
    // Only what is still at the front and still not the last (a truncation may have run).
    size_t k = 0;
    while (k < n && k + 1 < files_.size() && files_[k] == snapshot[k]) ++k;
    removed.assign(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(k));
    files_.erase(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(k));
  }
  // Oldest first: what remains stays contiguous if we crash midway. Readers holding a segment
  // keep its mapping.
  for (const auto& f : removed) destroy_logged(f);
  return removed.size();
}

}  // namespace rmq::store
