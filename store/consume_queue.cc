#include "store/consume_queue.h"

#include "common/bytes.h"
#include "common/logging.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace rmq::store {
namespace {

constexpr auto kUnit = static_cast<int64_t>(kCqUnitSize);
// RocketMQ fills a gap in a queue with units (0, Integer.MAX_VALUE, 0); readers skip them.
constexpr int32_t kBlankSize = INT32_MAX;
constexpr CqUnit kBlankUnit{0, kBlankSize, 0};

CqUnit decode(const uint8_t* p) {
  return CqUnit{common::load_be<int64_t>(p), common::load_be<int32_t>(p + 8),
                common::load_be<int64_t>(p + 12)};
}

void encode(uint8_t* p, const CqUnit& u) {
  common::store_be<int64_t>(p, u.commit_log_offset);
  common::store_be<int32_t>(p + 8, u.size);
  common::store_be<int64_t>(p + 12, u.tags_code);
}

bool is_blank(const CqUnit& u) { return u.size == kBlankSize; }
// A unit pointing at a message.
bool is_real(const CqUnit& u) { return u.size > 0 && !is_blank(u) && u.commit_log_offset >= 0; }
// What a writer may have left: a message unit or a blank.
bool is_valid(const CqUnit& u) { return is_blank(u) || is_real(u); }
bool is_empty_space(const CqUnit& u) {
  return u.commit_log_offset == 0 && u.size == 0 && u.tags_code == 0;
}

}  // namespace

ConsumeQueue::ConsumeQueue(FileSystem& fs, std::string root_dir, std::string topic,
                           int32_t queue_id, uint32_t units_per_file)
    : fs_(fs),
      topic_(std::move(topic)),
      queue_id_(queue_id),
      files_(fs,
             MappedFileQueueOptions{root_dir + "/" + topic_ + "/" + std::to_string(queue_id),
                                    static_cast<uint64_t>(units_per_file) * kCqUnitSize, false}) {}

namespace {

// Unit `index` of the queue through its segment, ignoring positions (used right after load()).
std::optional<CqUnit> unit_in(const std::vector<MappedFilePtr>& segs, uint64_t file_size,
                              int64_t index) {
  if (segs.empty()) return std::nullopt;
  const int64_t byte = index * kUnit - segs.front()->start_offset();
  if (byte < 0) return std::nullopt;
  const auto seg = static_cast<size_t>(byte / static_cast<int64_t>(file_size));
  if (seg >= segs.size()) return std::nullopt;
  return decode(segs[seg]->base() + static_cast<uint64_t>(byte) % file_size);
}

// Unit `index` of the published part of the queue (no min offset check).
std::optional<CqUnit> read_unit(const MappedFileQueue& files, int64_t index) {
  if (index < 0) return std::nullopt;
  const MappedFilePtr f = files.find(index * kUnit);
  if (f == nullptr) return std::nullopt;
  auto bytes = f->read(static_cast<uint64_t>(index * kUnit - f->start_offset()), kCqUnitSize);
  if (!bytes.ok()) return std::nullopt;
  return decode(bytes->data());
}

// Appends `unit` as unit `index`. REQUIRES: index == the queue's max offset (single writer).
common::Status append_unit(MappedFileQueue& files, int64_t index, const CqUnit& unit) {
  RMQ_ASSIGN_OR_RETURN(const MappedFilePtr f, files.last_for_append(index * kUnit));
  const int64_t at = f->start_offset() + static_cast<int64_t>(f->wrote_position());
  if (at != index * kUnit) {
    return common::Status::internal(
        fmt::format("{}: unit {} would land at byte {}", files.dir(), index, at));
  }
  uint8_t buf[kCqUnitSize];
  encode(buf, unit);
  return f->append(common::ByteView(buf, sizeof(buf)));
}

}  // namespace

common::Status ConsumeQueue::load_and_recover(int64_t max_commit_log_offset) {
  RMQ_RETURN_IF_ERROR(files_.load());
  const std::vector<MappedFilePtr> segs = files_.segments();
  if (segs.empty()) {
    min_logic_offset_.store(0);
    return common::Status::ok();
  }
  const uint64_t file_size = files_.file_size();
  const int64_t first_unit = segs.front()->start_offset() / kUnit;
  const auto units_per_file = static_cast<int64_t>(file_size / kCqUnitSize);

  // 1. The end candidate: after the last unit that is not empty space, found backwards from the
  //    last file (trailing files may be empty, e.g. pre-allocated).
  int64_t end = first_unit;
  size_t end_file = 0;
  for (size_t f = segs.size(); f-- > 0 && end == first_unit;) {
    const uint8_t* base = segs[f]->base();
    for (int64_t u = units_per_file; u-- > 0;) {
      if (!is_empty_space(decode(base + u * kUnit))) {
        end = segs[f]->start_offset() / kUnit + u + 1;
        end_file = f;
        break;
      }
    }
  }
  // 2. Pages are not written back in order, so a hole (or garbage) may precede the last unit of
  //    the files written last: cut at the first invalid unit of the last three (RocketMQ checks
  //    three too). Cut units are dispatched again from the commit log.
  const size_t check_from = end_file >= 2 ? end_file - 2 : 0;
  for (int64_t i = segs[check_from]->start_offset() / kUnit; i < end; ++i) {
    const auto u = unit_in(segs, file_size, i);
    if (!u || !is_valid(*u)) {
      common::logger("store")->warn("consume queue {}/{}: invalid unit at {}, cut there", topic_,
                                    queue_id_, i);
      end = i;
      break;
    }
  }
  // 3. Units beyond the (possibly cut) commit log, and the blanks that led to them.
  while (end > first_unit) {
    const auto u = unit_in(segs, file_size, end - 1);
    if (u && is_real(*u) && u->commit_log_offset <= max_commit_log_offset - u->size) break;
    --end;
  }
  RMQ_RETURN_IF_ERROR(files_.recover_to(end * kUnit));

  // 4. The min offset: the first message unit (a queue that began at a non-zero offset starts
  //    with blanks).
  int64_t min = end;
  for (int64_t i = first_unit; i < end; ++i) {
    const auto u = read_unit(files_, i);
    if (u && is_real(*u)) {
      min = i;
      break;
    }
  }
  min_logic_offset_.store(min * kUnit);
  return common::Status::ok();
}

common::Status ConsumeQueue::put(const CqUnit& unit, int64_t cq_offset) {
  if (cq_offset < 0 || cq_offset > INT64_MAX / kUnit - 1 || !is_real(unit)) {
    return common::Status::invalid_argument(
        fmt::format("consume queue {}/{}: bad unit (offset {}, size {}) at queue offset {}", topic_,
                    queue_id_, unit.commit_log_offset, unit.size, cq_offset));
  }
  int64_t expected = max_offset();
  if (cq_offset < expected) return common::Status::ok();  // already there: re-dispatch
  const bool had_units = min_offset() < expected;
  if (files_.last() == nullptr) {
    // The first file starts at the file boundary at or below the first unit.
    RMQ_RETURN_IF_ERROR(files_.last_for_append(cq_offset * kUnit).status());
    expected = max_offset();
  }
  if (cq_offset > expected && had_units) {
    common::logger("store")->warn("consume queue {}/{}: gap, filling [{}, {}) with blanks", topic_,
                                  queue_id_, expected, cq_offset);
  }
  for (; expected < cq_offset; ++expected) {
    RMQ_RETURN_IF_ERROR(append_unit(files_, expected, kBlankUnit));
  }
  RMQ_RETURN_IF_ERROR(append_unit(files_, cq_offset, unit));
  if (!had_units) min_logic_offset_.store(cq_offset * kUnit);
  return common::Status::ok();
}

std::optional<CqUnit> ConsumeQueue::get(int64_t index) const {
  if (index < min_offset() || index >= max_offset()) return std::nullopt;
  auto u = read_unit(files_, index);
  if (!u || !is_real(*u)) return std::nullopt;
  return u;
}

void ConsumeQueue::scan(int64_t index, uint32_t max_units,
                        const std::function<bool(int64_t, const CqUnit&)>& fn) const {
  int64_t i = std::max(index, min_offset());
  const int64_t end = max_offset();
  uint32_t delivered = 0;
  while (i < end && delivered < max_units) {
    const MappedFilePtr f = files_.find(i * kUnit);
    if (f == nullptr) return;
    const auto pos = static_cast<uint64_t>(i * kUnit - f->start_offset());
    const uint64_t wrote = f->wrote_position();
    if (wrote <= pos) return;
    const int64_t n = std::min(static_cast<int64_t>((wrote - pos) / kCqUnitSize), end - i);
    auto bytes = f->read(pos, static_cast<uint64_t>(n) * kCqUnitSize);
    if (!bytes.ok() || n == 0) return;
    for (int64_t k = 0; k < n && delivered < max_units; ++k, ++i) {
      const CqUnit u = decode(bytes->data() + k * kUnit);
      if (!is_real(u)) continue;
      ++delivered;
      if (!fn(i, u)) return;
    }
  }
}

int64_t ConsumeQueue::min_offset() const {
  return std::max(min_logic_offset_.load(), files_.min_offset()) / kUnit;
}

int64_t ConsumeQueue::max_offset() const { return files_.max_offset() / kUnit; }

int64_t ConsumeQueue::max_physical_end() const {
  const int64_t max = max_offset();
  if (max <= 0) return -1;
  const auto u = read_unit(files_, max - 1);
  if (!u || !is_real(*u)) return -1;
  return u->commit_log_offset + u->size;
}

int64_t ConsumeQueue::offset_by_time(
    int64_t timestamp_ms,
    const std::function<std::optional<int64_t>(int64_t)>& store_time_of) const {
  const int64_t min = min_offset();
  const int64_t max = max_offset();
  // Whether the first message unit at or after `i` was stored at or after the timestamp; sets
  // *unit_index to that unit. Blanks take the time of the message after them, a deleted message
  // (no time) counts as older: both keep the predicate monotonic.
  auto at_or_after = [&](int64_t i, int64_t* unit_index) {
    for (; i < max; ++i) {
      const auto u = read_unit(files_, i);
      if (!u || !is_real(*u)) continue;
      *unit_index = i;
      const std::optional<int64_t> t = store_time_of(u->commit_log_offset);
      return t.has_value() && *t >= timestamp_ms;
    }
    *unit_index = max;
    return true;
  };
  int64_t lo = min;
  int64_t hi = max;
  int64_t answer = max;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    int64_t unit_index = max;
    if (at_or_after(mid, &unit_index)) {
      answer = unit_index;
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return answer;
}

common::Status ConsumeQueue::truncate_dirty(int64_t commit_log_offset) {
  const int64_t first_unit = files_.min_offset() / kUnit;
  int64_t end = max_offset();
  while (end > first_unit) {
    const auto u = read_unit(files_, end - 1);
    if (u && is_real(*u) && u->commit_log_offset < commit_log_offset) break;
    --end;  // points at or past the cut, or a blank that led to such a unit
  }
  if (end == max_offset()) return common::Status::ok();
  RMQ_RETURN_IF_ERROR(files_.truncate_dirty(end * kUnit));
  int64_t min = min_logic_offset_.load();
  while (min > end * kUnit && !min_logic_offset_.compare_exchange_weak(min, end * kUnit)) {
  }
  return common::Status::ok();
}

size_t ConsumeQueue::delete_expired(int64_t min_commit_log_offset) {
  // A file is expired when its last message unit points below the commit log's min offset.
  auto expired = [min_commit_log_offset](const MappedFile& f) {
    const uint8_t* base = f.base();
    for (auto u = f.wrote_position() / kCqUnitSize; u-- > 0;) {
      const CqUnit unit = decode(base + u * kCqUnitSize);
      if (is_real(unit)) return unit.commit_log_offset < min_commit_log_offset;
    }
    return true;
  };
  const size_t deleted = files_.delete_leading_if(expired, SIZE_MAX);

  // Move the min offset to the first unit of the (new) first file that is still in the log.
  const MappedFilePtr first = files_.first();
  if (first == nullptr) return deleted;
  const int64_t first_unit = first->start_offset() / kUnit;
  const auto end_unit = first_unit + static_cast<int64_t>(first->wrote_position() / kCqUnitSize);
  int64_t new_min = end_unit;
  for (int64_t i = std::max(min_logic_offset_.load() / kUnit, first_unit); i < end_unit; ++i) {
    const auto u = read_unit(files_, i);
    if (u && is_real(*u) && u->commit_log_offset >= min_commit_log_offset) {
      new_min = i;
      break;
    }
  }
  int64_t cur = min_logic_offset_.load();
  while (cur < new_min * kUnit && !min_logic_offset_.compare_exchange_weak(cur, new_min * kUnit)) {
  }
  if (deleted > 0) {
    common::logger("store")->info("consume queue {}/{}: deleted {} files, min offset {}", topic_,
                                  queue_id_, deleted, min_offset());
  }
  return deleted;
}

common::Result<bool> ConsumeQueue::flush(uint32_t least_pages) { return files_.flush(least_pages); }

}  // namespace rmq::store
