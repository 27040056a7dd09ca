#include "store/local_commit_log.h"

#include "common/logging.h"

#include <algorithm>
#include <cstring>

namespace rmq::store {

using common::Result;
using common::Status;

std::string_view to_string(PutStatus s) {
  switch (s) {
    case PutStatus::kOk:
      return "PUT_OK";
    case PutStatus::kFlushDiskTimeout:
      return "FLUSH_DISK_TIMEOUT";
    case PutStatus::kFlushSlaveTimeout:
      return "FLUSH_SLAVE_TIMEOUT";
    case PutStatus::kSlaveNotAvailable:
      return "SLAVE_NOT_AVAILABLE";
    case PutStatus::kServiceNotAvailable:
      return "SERVICE_NOT_AVAILABLE";
    case PutStatus::kCreateMappedFileFailed:
      return "CREATE_MAPPED_FILE_FAILED";
    case PutStatus::kMessageIllegal:
      return "MESSAGE_ILLEGAL";
    case PutStatus::kPropertiesSizeExceeded:
      return "PROPERTIES_SIZE_EXCEEDED";
    case PutStatus::kOsPageCacheBusy:
      return "OS_PAGE_CACHE_BUSY";
    case PutStatus::kDiskFull:
      return "DISK_FULL";
    case PutStatus::kUnknownError:
      return "UNKNOWN_ERROR";
  }
  return "UNKNOWN_ERROR";
}

LocalCommitLog::LocalCommitLog(FileSystem& fs, const StoreConfig& config, common::Clock& clock,
                               QueueOffsetTable& queue_offsets)
    : config_(config),
      clock_(clock),
      queue_offsets_(queue_offsets),
      files_(fs, MappedFileQueueOptions{config.commit_log_dir(), config.mapped_file_size_commit_log,
                                        config.warm_mapped_file_enable, 0,
                                        config.commit_log_cache_window}),
      flush_(files_, config, clock) {}

LocalCommitLog::~LocalCommitLog() { shutdown(); }

Status LocalCommitLog::load() { return files_.load(); }

common::Status LocalCommitLog::start() {
  running_.store(true);
  flush_.start();
  return common::Status::ok();
}

void LocalCommitLog::shutdown() {
  if (!running_.exchange(false)) return;
  {
    std::lock_guard lock(append_mu_);  // no append in progress past this point
  }
  flush_.stop();
}

int64_t LocalCommitLog::roll_next_file(int64_t offset) const {
  const auto size = static_cast<int64_t>(files_.file_size());
  return offset + size - offset % size;
}

namespace {

// The body CRC of RocketMQ's layout covers only the body, so a record whose tail (topic,
// properties) was torn can still pass it. What else the layout lets us check: the record says
// where it was written, the topic is well formed, and properties end with their separator (a
// torn write leaves zeros). Empty string when the record is sound.
std::string torn_record_reason(common::ByteView bytes, int64_t pos) {
  auto m = decode_message(bytes, /*check_crc=*/false);
  if (!m.ok()) return std::string(m.status().message());
  if (m->physical_offset != pos) {
    return "record claims offset " + std::to_string(m->physical_offset) + " but sits at " +
           std::to_string(pos);
  }
  if (m->topic.empty()) return "empty topic";
  for (const char c : m->topic) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '%' || c == '|' || c == '_' || c == '-';
    if (!ok) return "topic has a byte a topic cannot hold";
  }
  // The encoder ends every non-empty properties string with \x02; torn bytes read as zeros.
  if (!m->properties.empty() && m->properties.back() != '\x02') return "properties are torn";
  return {};
}

}  // namespace

// Scans records from `from` with CRC checks and returns where valid data ends.
int64_t LocalCommitLog::scan_valid_end(int64_t from) {
  int64_t pos = from;
  MappedFilePtr seg = files_.find(pos);
  while (seg) {
    const uint64_t rel = static_cast<uint64_t>(pos - seg->start_offset());
    if (rel >= seg->file_size()) {
      seg = files_.find(pos);
      continue;
    }
    const common::ByteView rest(seg->base() + rel, seg->file_size() - rel);
    RecordProbe probe = probe_record(rest, /*check_crc=*/true);
    if (probe.kind == RecordProbe::Kind::kMessage) {
      if (std::string why = torn_record_reason(rest, pos); !why.empty()) {
        probe.kind = RecordProbe::Kind::kCorrupt;
        probe.error = why;
      }
    }
    if (probe.kind == RecordProbe::Kind::kMessage) {
      pos += probe.size;
    } else if (probe.kind == RecordProbe::Kind::kBlank) {
      const int64_t next = roll_next_file(pos);
      if (!files_.find(next)) return pos + probe.size;  // last segment is full
      pos = next;
    } else {
      if (probe.kind == RecordProbe::Kind::kCorrupt) {
        common::logger("store")->warn("commit log: cutting torn or corrupt tail at offset {}: {}",
                                      pos, probe.error);
      }
      return pos;
    }
    if (pos - seg->start_offset() >= static_cast<int64_t>(seg->file_size())) {
      seg = files_.find(pos);  // the next segment, or none
    }
  }
  return pos;
}

Result<int64_t> LocalCommitLog::recover(const Checkpoint& checkpoint, bool clean) {
  const MappedFilePtr first = files_.first();
  if (!first) return int64_t{0};
  const int64_t lo = files_.min_offset();
  const MappedFilePtr last = files_.last();
  const int64_t hi = last->start_offset() + static_cast<int64_t>(last->file_size());
  int64_t end = -1;
  bool trusted_clean = false;
  if (clean && checkpoint.clean_offset >= lo && checkpoint.clean_offset <= hi) {
    // Normal recovery: trust the clean-shutdown offset once the bytes there look like the end.
    const int64_t at = checkpoint.clean_offset;
    const MappedFilePtr seg = files_.find(at);
    bool looks_like_end = seg == nullptr;
    if (seg) {
      const uint64_t rel = static_cast<uint64_t>(at - seg->start_offset());
      const RecordProbe probe =
          probe_record(common::ByteView(seg->base() + rel, seg->file_size() - rel), false);
      looks_like_end = probe.kind == RecordProbe::Kind::kEnd;
    }
    if (looks_like_end) {
      end = at;
      trusted_clean = true;
    } else
      common::logger("store")->warn("commit log: clean offset {} is not the end; scanning", at);
  }
  if (end < 0) {
    // Abnormal recovery: everything before the checkpoint's flushed offset was durable; scan from
    // the start of its segment.
    int64_t from = std::clamp(checkpoint.flushed_offset, lo, hi);
    from -= (from - lo) % static_cast<int64_t>(files_.file_size());
    if (from >= hi) from = last->start_offset();
    end = scan_valid_end(from);
    common::logger("store")->info("commit log: recovered by scanning from {} to {}", from, end);
  }
  RMQ_RETURN_IF_ERROR(files_.recover_to(
      end, trusted_clean ? MappedFile::Tail::kKnownZero : MappedFile::Tail::kMayHoldGarbage));
  // A slave shut down cleanly may end inside a record: its consumers see whole records only.
  if (const MappedFilePtr tail = files_.last(); tail && replica_only_.load()) {
    confirm_.store(whole_records_end(std::min(tail->start_offset(), end), end));
  }
  return end;
}

int64_t LocalCommitLog::whole_records_end(int64_t from, int64_t to) const {
  int64_t pos = from;
  while (pos < to) {
    const MappedFilePtr seg = files_.find(pos);
    if (!seg) break;
    const int64_t published = seg->start_offset() + static_cast<int64_t>(seg->wrote_position());
    const int64_t avail = std::min(to, published) - pos;
    if (avail < static_cast<int64_t>(kBlankRecordMinSize)) break;
    const uint8_t* at = seg->base() + (pos - seg->start_offset());
    const int32_t size = common::load_be<int32_t>(at);
    if (size < static_cast<int32_t>(kBlankRecordMinSize) || size > avail) break;
    if (common::load_be<int32_t>(at + 4) == kBlankMagic) {
      pos = roll_next_file(pos);
    } else {
      pos += size;
    }
  }
  return pos;
}

AppendResult LocalCommitLog::append_locked(EncodedMessages& msgs) {
  AppendResult r;
  const auto total = static_cast<uint32_t>(msgs.bytes.size());
  // A segment that cannot be created: disk full (refuse writes from now on) or an I/O error.
  auto segment_failed = [&](const common::Status& st) {
    r.status = st.code() == common::Code::kNoSpace ? PutStatus::kDiskFull
                                                   : PutStatus::kCreateMappedFileFailed;
    r.remark = st.to_string();
    if (r.status == PutStatus::kDiskFull) disk_full_.store(true);
    return r;
  };
  auto seg = files_.last_for_append(0);
  if (!seg.ok()) return segment_failed(seg.status());
  MappedFilePtr file = *seg;
  if (static_cast<uint64_t>(total) + kBlankRecordMinSize > file->free_space()) {
    // Close this segment with a blank record and move to the next one.
    const auto free = static_cast<uint32_t>(file->free_space());
    if (free >= kBlankRecordMinSize) {
      write_blank(file->writable_tail(), free);
      file->publish(free);
    } else {
      file->publish(free);  // fewer than 8 bytes left: never happens with our rule; skip them
    }
    seg = files_.last_for_append(0);
    if (!seg.ok()) return segment_failed(seg.status());
    file = *seg;
    if (static_cast<uint64_t>(total) + kBlankRecordMinSize > file->free_space()) {
      r.status = PutStatus::kMessageIllegal;
      r.remark = "message larger than a commit log segment";
      return r;
    }
  }
  const int64_t phys = file->start_offset() + static_cast<int64_t>(file->wrote_position());
  const auto count = static_cast<uint32_t>(msgs.count());
  const int64_t first_qo = queue_offsets_.assign(msgs.topic, msgs.queue_id, count);
  const int64_t store_ts = clock_.wall_ms();
  uint8_t* dst = file->writable_tail();
  std::memcpy(dst, msgs.bytes.data(), total);
  uint64_t pos = 0;
  for (uint32_t i = 0; i < count; ++i) {
    stamp_record(dst + pos, first_qo + i, phys + static_cast<int64_t>(pos), store_ts,
                 msgs.store_ts_pos[i]);
    pos += msgs.record_sizes[i];
  }
  file->publish(total);
  r.status = PutStatus::kOk;
  r.physical_offset = phys;
  r.wrote_bytes = total;
  r.queue_offset = first_qo;
  r.msg_count = count;
  r.store_timestamp = store_ts;
  return r;
}

void LocalCommitLog::append(EncodedMessages msgs, AppendCallback done) {
  AppendResult r;
  if (!running_.load(std::memory_order_acquire)) {
    r.status = PutStatus::kServiceNotAvailable;
    r.remark = "message store is not running";
  } else if (disk_full_.load(std::memory_order_acquire)) {
    r.status = PutStatus::kDiskFull;
    r.remark = "disk full: the store refuses writes until retention frees space";
  } else if (msgs.count() == 0) {
    r.status = PutStatus::kMessageIllegal;
    r.remark = "empty append";
  } else if (replica_only_.load(std::memory_order_acquire)) {
    r.status = PutStatus::kServiceNotAvailable;
    r.remark = "the broker is a slave: its log takes only the master's bytes";
  } else {
    std::lock_guard lock(append_mu_);
    r = append_locked(msgs);
  }
  if (r.status != PutStatus::kOk) {
    done(r);
    return;
  }
  if (on_append_) on_append_();
  const bool sync = config_.flush_disk_type == FlushDiskType::kSyncFlush;
  const int64_t end = r.physical_offset + r.wrote_bytes;
  if (replica_hook_ && sync) {
    // Flush and replication run side by side (RocketMQ handleDiskFlush + handleHA); the last of
    // the two to finish answers.
    struct Join {
      std::atomic<int> left{2};
      PutStatus flush = PutStatus::kOk;
      PutStatus replica = PutStatus::kOk;
      AppendResult result;
      AppendCallback done;
    };
    auto join = std::make_shared<Join>();
    join->result = r;
    join->done = std::move(done);
    auto finish = [](const std::shared_ptr<Join>& j) {
      if (j->left.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
      j->result.status = j->flush != PutStatus::kOk ? j->flush : j->replica;
      j->done(j->result);
    };
    flush_.request_flush(end, [join, finish](bool ok) {
      if (!ok) join->flush = PutStatus::kFlushDiskTimeout;
      finish(join);
    });
    replica_hook_(r, [join, finish](const AppendResult& rr) {
      join->replica = rr.status;
      if (rr.status != PutStatus::kOk && join->result.remark.empty()) {
        join->result.remark = rr.remark;
      }
      finish(join);
    });
  } else if (replica_hook_) {
    replica_hook_(r, std::move(done));  // the async flusher runs on its own interval
  } else if (sync) {
    flush_.request_flush(end, [r, done = std::move(done)](bool ok) mutable {
      if (!ok) r.status = PutStatus::kFlushDiskTimeout;
      done(r);
    });
  } else {
    done(r);  // the async flusher runs on its own interval
  }
}

Status LocalCommitLog::append_raw(int64_t offset, common::ByteView bytes) {
  if (bytes.empty()) return Status::ok();
  const auto size = static_cast<int64_t>(files_.file_size());
  const auto n = static_cast<int64_t>(bytes.size());
  {
    std::lock_guard lock(append_mu_);
    if (!running_.load(std::memory_order_acquire)) {
      return Status::unavailable("message store is not running");
    }
    if (offset < 0 || offset % size + n > size) {
      return Status::invalid_argument("replicated bytes [" + std::to_string(offset) + ", " +
                                      std::to_string(offset + n) + ") cross a segment boundary");
    }
    const bool empty = files_.last() == nullptr;
    if (empty ? offset % size != 0 : offset != files_.max_offset()) {
      return Status::invalid_argument(
          "replicated bytes at " + std::to_string(offset) + " do not continue the log (end " +
          (empty ? std::string("empty") : std::to_string(files_.max_offset())) + ")");
    }
    auto seg = files_.last_for_append(offset);
    if (!seg.ok()) {
      if (seg.status().code() == common::Code::kNoSpace) disk_full_.store(true);
      return seg.status();
    }
    MappedFilePtr file = *seg;
    if (file->start_offset() + static_cast<int64_t>(file->wrote_position()) != offset ||
        static_cast<uint64_t>(n) > file->free_space()) {
      return Status::internal("segment " + file->path() + " cannot take the bytes at " +
                              std::to_string(offset));
    }
    std::memcpy(file->writable_tail(), bytes.data(), bytes.size());
    file->publish(bytes.size());
    const int64_t confirmed = confirm_.load(std::memory_order_relaxed);
    confirm_.store(whole_records_end(confirmed < offset && empty ? offset : confirmed, offset + n),
                   std::memory_order_release);
  }
  if (config_.flush_disk_type == FlushDiskType::kSyncFlush) {
    flush_.request_flush(offset + n, [](bool) {});
  }
  if (on_append_) on_append_();
  return Status::ok();
}

int64_t LocalCommitLog::record_start_at_or_before(int64_t offset) const {
  if (offset >= files_.max_offset() || offset <= files_.min_offset()) return offset;
  const MappedFilePtr seg = files_.find(offset);
  if (!seg) return offset;
  // Records never straddle segments: walk the segment's records from its start.
  int64_t pos = seg->start_offset();
  const int64_t published = seg->start_offset() + static_cast<int64_t>(seg->wrote_position());
  while (pos < offset && pos < published) {
    const auto rel = static_cast<uint64_t>(pos - seg->start_offset());
    const RecordProbe probe =
        probe_record(common::ByteView(seg->base() + rel, seg->wrote_position() - rel), false);
    if (probe.kind != RecordProbe::Kind::kMessage || pos + probe.size > offset) break;
    pos += probe.size;
  }
  return pos;
}

Status LocalCommitLog::truncate_to(int64_t offset) {
  std::lock_guard lock(append_mu_);
  RMQ_RETURN_IF_ERROR(files_.truncate_dirty(offset));
  confirm_.store(std::min(confirm_.load(), files_.max_offset()), std::memory_order_release);
  return Status::ok();
}

Result<LogSlice> LocalCommitLog::read(int64_t offset, uint32_t size) {
  MappedFilePtr seg = files_.find(offset);
  if (!seg) {
    return Status::not_found("commit log offset " + std::to_string(offset) + " is not in the log");
  }
  const auto rel = static_cast<uint64_t>(offset - seg->start_offset());
  auto view = seg->read(rel, size);
  if (!view.ok()) return view.status();
  return LogSlice{seg, *view, offset};
}

Result<LogSlice> LocalCommitLog::read_available(int64_t offset, int64_t limit) {
  MappedFilePtr seg = files_.find(offset);
  if (!seg) {
    return Status::not_found("commit log offset " + std::to_string(offset) + " is not in the log");
  }
  const int64_t seg_end = seg->start_offset() + static_cast<int64_t>(seg->wrote_position());
  const int64_t end = std::min(limit, seg_end);
  if (end <= offset) return Status::not_found("nothing readable at " + std::to_string(offset));
  const auto rel = static_cast<uint64_t>(offset - seg->start_offset());
  auto view = seg->read(rel, static_cast<uint64_t>(end - offset));
  if (!view.ok()) return view.status();
  return LogSlice{seg, *view, offset};
}

Result<LogSlice> LocalCommitLog::read_record(int64_t offset) {
  RMQ_ASSIGN_OR_RETURN(LogSlice head, read(offset, 4));
  const int32_t size = common::load_be<int32_t>(head.bytes.data());
  if (size < 8) return Status::corruption("bad record size at offset " + std::to_string(offset));
  return read(offset, static_cast<uint32_t>(size));
}

}  // namespace rmq::store
