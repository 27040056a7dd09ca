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
                                        config.warm_mapped_file_enable}),
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
  return end;
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
  } else {
    std::lock_guard lock(append_mu_);
    r = append_locked(msgs);
  }
  if (r.status != PutStatus::kOk) {
    done(r);
    return;
  }
  if (on_append_) on_append_();
  if (config_.flush_disk_type == FlushDiskType::kSyncFlush) {
    const int64_t end = r.physical_offset + r.wrote_bytes;
    flush_.request_flush(end, [r, done = std::move(done)](bool ok) mutable {
      if (!ok) r.status = PutStatus::kFlushDiskTimeout;
      done(r);
    });
  } else {
    done(r);  // the async flusher runs on its own interval
  }
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
