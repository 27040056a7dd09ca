#include "dledger/entry_log.h"

#include "common/bytes.h"
#include "common/crc32.h"
#include "common/logging.h"

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <memory>
#include <string_view>

namespace rmq::dledger {
namespace {

using common::ByteView;
using common::load_be;
using common::Result;
using common::Status;
using common::store_be;
using store::MappedFile;
using store::MappedFilePtr;
using store::MappedFileQueue;

constexpr std::string_view kHardStateFile = "hardstate";
constexpr std::string_view kCleanFile = "clean";

// Entry header fields (FORMAT.md §2).
constexpr size_t kOffMagic = 0;
constexpr size_t kOffSize = 4;
constexpr size_t kOffIndex = 8;
constexpr size_t kOffTerm = 16;
constexpr size_t kOffPosition = 24;
constexpr size_t kOffType = EntryLog::kTypeOffset;
constexpr size_t kOffBodyLen = 36;
constexpr size_t kOffBodyCrc = 40;
constexpr size_t kOffHeaderCrc = 44;

// Index unit fields (FORMAT.md §3).
constexpr size_t kUnitMagic = 0;
constexpr size_t kUnitPosition = 4;
constexpr size_t kUnitSize = 12;
constexpr size_t kUnitIndex = 16;
constexpr size_t kUnitTerm = 24;

struct Header {
  uint32_t size = 0;  // header + body
  LogIndex index;
  Term term;
  int64_t position = 0;
  EntryType type = EntryType::kNoop;
  uint32_t body_crc = 0;
};

int64_t unit_offset(LogIndex index) {
  return (index.value() - 1) * static_cast<int64_t>(EntryLog::kIndexUnitSize);
}

uint32_t body_crc(const Entry& e) {
  return e.data ? common::crc32(e.data->data(), e.data->size()) : 0;
}

void encode_header(uint8_t* p, const Entry& e, int64_t position, uint32_t crc_of_body) {
  const auto body_len = static_cast<uint32_t>(e.size());
  store_be<uint32_t>(p + kOffMagic, EntryLog::kEntryMagic);
  store_be<uint32_t>(p + kOffSize, EntryLog::kHeaderSize + body_len);
  store_be<int64_t>(p + kOffIndex, e.index.value());
  store_be<uint64_t>(p + kOffTerm, e.term.value());
  store_be<int64_t>(p + kOffPosition, position);
  p[kOffType] = static_cast<uint8_t>(e.type);
  std::memset(p + kOffType + 1, 0, 3);
  store_be<uint32_t>(p + kOffBodyLen, body_len);
  store_be<uint32_t>(p + kOffBodyCrc, crc_of_body);
  store_be<uint32_t>(p + kOffHeaderCrc, common::crc32(p, kOffHeaderCrc));
}

// A header whose own fields are consistent, or nullopt.
std::optional<Header> decode_header(const uint8_t* p) {
  if (load_be<uint32_t>(p + kOffMagic) != EntryLog::kEntryMagic) return std::nullopt;
  if (load_be<uint32_t>(p + kOffHeaderCrc) != common::crc32(p, kOffHeaderCrc)) return std::nullopt;
  Header h;
  h.size = load_be<uint32_t>(p + kOffSize);
  h.index = LogIndex(load_be<int64_t>(p + kOffIndex));
  h.term = Term(load_be<uint64_t>(p + kOffTerm));
  h.position = load_be<int64_t>(p + kOffPosition);
  const uint8_t type = p[kOffType];
  const uint32_t body_len = load_be<uint32_t>(p + kOffBodyLen);
  h.body_crc = load_be<uint32_t>(p + kOffBodyCrc);
  if (type > static_cast<uint8_t>(EntryType::kMetadata) || p[33] != 0 || p[34] != 0 || p[35] != 0 ||
      h.size < EntryLog::kHeaderSize || h.size - EntryLog::kHeaderSize != body_len ||
      h.index < LogIndex(1) || h.position < 0) {
    return std::nullopt;
  }
  h.type = static_cast<EntryType>(type);
  return h;
}

void encode_unit(uint8_t* p, const EntryLocation& u) {
  store_be<uint32_t>(p + kUnitMagic, EntryLog::kIndexMagic);
  store_be<int64_t>(p + kUnitPosition, u.position);
  store_be<uint32_t>(p + kUnitSize, u.size);
  store_be<int64_t>(p + kUnitIndex, u.index.value());
  store_be<uint64_t>(p + kUnitTerm, u.term.value());
}

// The unit of `index` if the bytes hold one.
std::optional<EntryLocation> decode_unit(const uint8_t* p, LogIndex index) {
  if (load_be<uint32_t>(p + kUnitMagic) != EntryLog::kIndexMagic) return std::nullopt;
  EntryLocation u;
  u.position = load_be<int64_t>(p + kUnitPosition);
  u.size = load_be<uint32_t>(p + kUnitSize);
  u.index = LogIndex(load_be<int64_t>(p + kUnitIndex));
  u.term = Term(load_be<uint64_t>(p + kUnitTerm));
  if (u.index != index || u.position < 0 || u.size < EntryLog::kHeaderSize) return std::nullopt;
  return u;
}

int64_t segment_end(const MappedFile& f) {
  return f.start_offset() + static_cast<int64_t>(f.file_size());
}

// --- Recovery reads: straight from the mapping, whatever the positions say. ---

// Bytes [offset, offset + len) if they lie inside one segment. Valid while the queue keeps it.
std::optional<ByteView> raw_view(const MappedFileQueue& q, int64_t offset, uint64_t len) {
  MappedFilePtr f = q.find(offset);
  if (f == nullptr) return std::nullopt;
  const auto in = static_cast<uint64_t>(offset - f->start_offset());
  if (len > f->file_size() - in) return std::nullopt;
  const MappedFile& cf = *f;
  return ByteView(cf.base() + in, static_cast<size_t>(len));
}

std::optional<EntryLocation> raw_unit(const MappedFileQueue& index, LogIndex i) {
  std::optional<ByteView> v = raw_view(index, unit_offset(i), EntryLog::kIndexUnitSize);
  if (!v) return std::nullopt;
  return decode_unit(v->data(), i);
}

// A whole, valid entry at `at` (position field = at, room for a blank after it in its segment),
// of index `expect` when given.
std::optional<Header> raw_entry(const MappedFileQueue& data, int64_t at,
                                std::optional<LogIndex> expect, bool check_body) {
  MappedFilePtr seg = data.find(at);
  if (seg == nullptr) return std::nullopt;
  std::optional<ByteView> hv = raw_view(data, at, EntryLog::kHeaderSize);
  if (!hv) return std::nullopt;
  std::optional<Header> h = decode_header(hv->data());
  if (!h || (expect && h->index != *expect) || h->position != at) return std::nullopt;
  const auto room = static_cast<uint64_t>(segment_end(*seg) - at);
  if (static_cast<uint64_t>(h->size) + EntryLog::kBlankSize > room) return std::nullopt;
  if (check_body) {
    std::optional<ByteView> body =
        raw_view(data, at + EntryLog::kHeaderSize, h->size - EntryLog::kHeaderSize);
    if (!body || common::crc32(*body) != h->body_crc) return std::nullopt;
  }
  return h;
}

struct Located {
  int64_t at = 0;
  Header header;
  EntryLocation unit() const { return {header.index, header.term, at, header.size}; }
};

// The entry that follows one ending at `end`: at `end` itself, or at the start of the next
// segment when a blank record closes this one and the entry could not have fit at `end`.
std::optional<Located> next_entry(const MappedFileQueue& data, int64_t end, LogIndex expect,
                                  bool check_body) {
  if (std::optional<Header> h = raw_entry(data, end, expect, check_body)) return Located{end, *h};
  MappedFilePtr seg = data.find(end);
  if (seg == nullptr || end == seg->start_offset()) return std::nullopt;
  const int64_t seg_end = segment_end(*seg);
  std::optional<ByteView> blank = raw_view(data, end, EntryLog::kBlankSize);
  if (!blank || load_be<uint32_t>(blank->data()) != EntryLog::kBlankMagic ||
      load_be<uint32_t>(blank->data() + 4) != static_cast<uint64_t>(seg_end - end)) {
    return std::nullopt;
  }
  std::optional<Header> h = raw_entry(data, seg_end, expect, check_body);
  if (!h || static_cast<uint64_t>(h->size) + EntryLog::kBlankSize <=
                static_cast<uint64_t>(seg_end - end)) {
    return std::nullopt;
  }
  return Located{seg_end, *h};
}

// --- Reads of published data (any thread). ---

Result<ByteView> published(const MappedFileQueue& q, int64_t offset, uint64_t len,
                           MappedFilePtr* holder) {
  MappedFilePtr f = q.find(offset);
  if (f == nullptr) {
    return Status::not_found(fmt::format("{}: offset {} is not in the log", q.dir(), offset));
  }
  RMQ_ASSIGN_OR_RETURN(ByteView v, f->read(static_cast<uint64_t>(offset - f->start_offset()), len));
  if (holder != nullptr) *holder = std::move(f);
  return v;
}

Result<Entry> read_entry(const MappedFileQueue& data, const EntryLocation& loc) {
  MappedFilePtr holder;
  RMQ_ASSIGN_OR_RETURN(ByteView v, published(data, loc.position, loc.size, &holder));
  std::optional<Header> h = decode_header(v.data());
  if (!h || h->index != loc.index || h->term != loc.term || h->position != loc.position ||
      h->size != loc.size) {
    return Status::corruption(fmt::format("entry log: entry {} at {} does not match its index unit",
                                          loc.index.value(), loc.position));
  }
  const ByteView body = v.subspan(EntryLog::kHeaderSize);
  if (common::crc32(body) != h->body_crc) {
    return Status::corruption(fmt::format("entry log: entry {} at {}: body CRC mismatch",
                                          loc.index.value(), loc.position));
  }
  Entry e;
  e.term = h->term;
  e.index = h->index;
  e.type = h->type;
  e.position = loc.position;
  e.data = std::make_shared<const std::string>(common::as_string_view(body));
  return e;
}

// --- Hard state file: "<term> <vote> <commit> <crc32 of the text before it, 8 hex digits>\n".

std::string encode_hard_state(const HardState& hs) {
  const std::string text =
      fmt::format("{} {} {}", hs.term.value(), hs.vote.value(), hs.commit.value());
  return fmt::format("{} {:08x}\n", text, common::crc32(common::as_bytes(text)));
}

template <typename T>
bool parse_number(std::string_view s, T* out, int base = 10) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && ptr == s.data() + s.size();
}

Result<HardState> decode_hard_state(std::string_view s, const std::string& path) {
  const Status bad = Status::corruption(fmt::format("hard state {}: damaged", path));
  if (s.empty() || s.back() != '\n') return bad;
  s.remove_suffix(1);
  const size_t crc_at = s.rfind(' ');
  if (crc_at == std::string_view::npos) return bad;
  const std::string_view text = s.substr(0, crc_at);
  const std::string_view crc_hex = s.substr(crc_at + 1);
  uint32_t crc = 0;
  if (crc_hex.size() != 8 || !parse_number(crc_hex, &crc, 16) ||
      crc != common::crc32(common::as_bytes(text))) {
    return bad;
  }
  const size_t a = text.find(' ');
  const size_t b = a == std::string_view::npos ? a : text.find(' ', a + 1);
  if (b == std::string_view::npos) return bad;
  uint64_t term = 0;
  uint32_t vote = 0;
  int64_t commit = 0;
  if (!parse_number(text.substr(0, a), &term) ||
      !parse_number(text.substr(a + 1, b - a - 1), &vote) ||
      !parse_number(text.substr(b + 1), &commit) || commit < 0) {
    return bad;
  }
  return HardState{Term(term), NodeId(vote), LogIndex(commit)};
}

// --- Clean-shutdown marker: "<last index> <data end>\n" (FORMAT.md §5).

std::string encode_clean_mark(const CleanMark& m) {
  return fmt::format("{} {}\n", m.last_index.value(), m.data_end);
}

std::optional<CleanMark> decode_clean_mark(std::string_view s) {
  if (s.empty() || s.back() != '\n') return std::nullopt;
  s.remove_suffix(1);
  const size_t sp = s.find(' ');
  int64_t last = 0;
  int64_t end = 0;
  if (sp == std::string_view::npos || !parse_number(s.substr(0, sp), &last) ||
      !parse_number(s.substr(sp + 1), &end)) {
    return std::nullopt;
  }
  return CleanMark{LogIndex(last), end};
}

}  // namespace

EntryLog::EntryLog(store::FileSystem& fs, EntryLogOptions options)
    : fs_(fs),
      options_(std::move(options)),
      data_(fs, {options_.dir + "/data", options_.data_file_size, options_.preallocate_next,
                 options_.warm_ahead, options_.cache_window}),
      index_(fs, {options_.dir + "/index", options_.index_file_size, false}) {}

EntryLog::~EntryLog() = default;

Status EntryLog::check_options() const {
  if (options_.dir.empty()) return Status::invalid_argument("entry log: empty directory");
  if (options_.data_file_size < kHeaderSize + kBlankSize + 1 ||
      options_.data_file_size > UINT32_MAX) {
    return Status::invalid_argument(fmt::format("entry log: data file size {} outside [{}, 2^32)",
                                                options_.data_file_size,
                                                kHeaderSize + kBlankSize + 1));
  }
  if (options_.index_file_size == 0 || options_.index_file_size % kIndexUnitSize != 0) {
    return Status::invalid_argument(
        fmt::format("entry log: index file size {} is not a multiple of {}",
                    options_.index_file_size, kIndexUnitSize));
  }
  return Status::ok();
}

Status EntryLog::open() {
  if (open_) return Status::invalid_argument("entry log " + options_.dir + ": already open");
  RMQ_RETURN_IF_ERROR(check_options());
  RMQ_RETURN_IF_ERROR(fs_.create_dirs(options_.dir));
  RMQ_RETURN_IF_ERROR(load_hard_state());
  // The marker is consumed before anything is written: a crash from here on is not clean.
  const std::string clean_path = options_.dir + "/" + std::string(kCleanFile);
  std::optional<CleanMark> clean;
  if (fs_.exists(clean_path)) {
    Result<std::string> text = fs_.read_file(clean_path);
    if (text.ok()) clean = decode_clean_mark(*text);
    if (!clean) {
      common::logger("dledger")->warn("entry log {}: unreadable clean marker ignored",
                                      options_.dir);
    }
    RMQ_RETURN_IF_ERROR(fs_.remove_file(clean_path));
  }
  RMQ_RETURN_IF_ERROR(data_.load());
  RMQ_RETURN_IF_ERROR(index_.load());
  RMQ_RETURN_IF_ERROR(recover(clean));
  open_ = true;
  return Status::ok();
}

Status EntryLog::close() {
  if (!open_) return Status::ok();
  RMQ_RETURN_IF_ERROR(sync());
  RMQ_RETURN_IF_ERROR(fs_.write_file_atomic(options_.dir + "/" + std::string(kCleanFile),
                                            encode_clean_mark({last_index(), data_end()})));
  open_ = false;
  return Status::ok();
}

Status EntryLog::load_hard_state() {
  const std::string path = options_.dir + "/" + std::string(kHardStateFile);
  if (!fs_.exists(path)) {
    hard_ = HardState{};
    return Status::ok();
  }
  RMQ_ASSIGN_OR_RETURN(const std::string text, fs_.read_file(path));
  RMQ_ASSIGN_OR_RETURN(hard_, decode_hard_state(text, path));
  return Status::ok();
}

Status EntryLog::set_hard_state(const HardState& hs) {
  if (!open_) return Status::unavailable("entry log " + options_.dir + ": not open");
  RMQ_RETURN_IF_ERROR(fs_.write_file_atomic(options_.dir + "/" + std::string(kHardStateFile),
                                            encode_hard_state(hs)));
  hard_ = hs;
  return Status::ok();
}

// Recovery (FORMAT.md §4): the data log is the truth, the index is derived from it.
Status EntryLog::recover(std::optional<CleanMark> clean) {
  const auto log = common::logger("dledger");
  if (data_.min_offset() != 0 || index_.min_offset() != 0) {
    return Status::not_supported("entry log " + options_.dir +
                                 ": logs not starting at offset 0 (compaction) are not supported");
  }
  // 1. Anchor: the first entry of the newest segment of the window that is whole and whose
  // predecessor is indexed; every segment starts with an entry. Units before it are trusted.
  const std::vector<MappedFilePtr> segs = data_.segments();
  int64_t anchor = 0;
  LogIndex anchor_index(1);
  if (!segs.empty()) {
    const size_t window = clean ? 1 : kRecoverSegments;
    for (size_t k = segs.size() > window ? segs.size() - window : 0;; --k) {
      const int64_t at = segs[k]->start_offset();
      std::optional<Header> h = raw_entry(data_, at, std::nullopt, /*check_body=*/true);
      // Entry 1 anchors only at offset 0; any other entry needs its predecessor's unit.
      bool ok = h.has_value() && h->index == LogIndex(1) && at == 0;
      if (h && h->index > LogIndex(1)) {
        std::optional<EntryLocation> prev = raw_unit(index_, h->index.prev());
        std::optional<Header> ph;
        if (prev && prev->position + static_cast<int64_t>(prev->size) <= at) {
          ph = raw_entry(data_, prev->position, prev->index, /*check_body=*/false);
        }
        ok = ph && ph->term == prev->term && ph->size == prev->size;
      }
      if (ok) {
        anchor = at;
        anchor_index = h->index;
        break;
      }
      if (k == 0) break;  // nothing to anchor on: scan from the start
    }
  }

  // 2. Scan forward with CRC checks; note the first entry whose unit is missing or wrong.
  int64_t end = anchor;
  LogIndex last = anchor_index.prev();
  std::optional<LogIndex> rebuild_from;
  int64_t rebuild_end = 0;  // end of the entry before rebuild_from
  for (LogIndex want = anchor_index;; want = want.next()) {
    std::optional<Located> e = next_entry(data_, end, want, /*check_body=*/true);
    if (!e) break;
    if (!rebuild_from && raw_unit(index_, want) != e->unit()) {
      rebuild_from = want;
      rebuild_end = end;
    }
    end = e->at + static_cast<int64_t>(e->header.size);
    last = want;
  }

  // 3. Cut both logs. The clean marker is trusted (the bytes past the end are zero) only when
  // recovery found exactly the log it describes and nothing needed repair.
  const bool trusted =
      clean && !rebuild_from && clean->last_index == last && clean->data_end == end;
  const auto tail = trusted ? MappedFile::Tail::kKnownZero : MappedFile::Tail::kMayHoldGarbage;
  const LogIndex keep = rebuild_from ? rebuild_from->prev() : last;
  RMQ_RETURN_IF_ERROR(data_.recover_to(end, tail));
  RMQ_RETURN_IF_ERROR(index_.recover_to(unit_offset(keep.next()), tail));
  data_end_.store(end, std::memory_order_release);
  last_index_.store(keep.value(), std::memory_order_release);

  // 4. Rebuild the units of entries that reached the data log only.
  if (rebuild_from) {
    int64_t at_end = rebuild_end;
    for (LogIndex i = *rebuild_from; i <= last; i = i.next()) {
      std::optional<Located> e = next_entry(data_, at_end, i, /*check_body=*/false);
      if (!e) return Status::internal(fmt::format("entry log: entry {} vanished", i.value()));
      RMQ_RETURN_IF_ERROR(append_unit(e->unit()));
      at_end = e->at + static_cast<int64_t>(e->header.size);
      last_index_.store(i.value(), std::memory_order_release);
    }
    log->warn("entry log {}: rebuilt index units {}..{}", options_.dir, rebuild_from->value(),
              last.value());
  }
  log->info("entry log {}: recovered entries 1..{}, data end {}{}", options_.dir, last.value(), end,
            trusted ? " (clean)" : "");
  return Status::ok();
}

int64_t EntryLog::landing_position(int64_t end, uint64_t size) const {
  const auto file = static_cast<int64_t>(options_.data_file_size);
  const int64_t seg_end = (end / file + 1) * file;
  return size + kBlankSize <= static_cast<uint64_t>(seg_end - end) ? end : seg_end;
}

Status EntryLog::append(const std::vector<Entry>& entries) { return append_impl(entries, nullptr); }

Status EntryLog::append_assign(std::vector<Entry>& entries) {
  std::vector<int64_t> landed;
  RMQ_RETURN_IF_ERROR(append_impl(entries, &landed));
  for (size_t k = 0; k < entries.size(); ++k) entries[k].position = landed[k];
  return Status::ok();
}

Status EntryLog::append_impl(const std::vector<Entry>& entries, std::vector<int64_t>* landed) {
  if (!open_) return Status::unavailable("entry log " + options_.dir + ": not open");
  if (entries.empty()) return Status::ok();
  const LogIndex front = entries.front().index;
  const LogIndex last = last_index();
  if (front < first_index() || front > last.next()) {
    return Status::invalid_argument(fmt::format(
        "entry log: append at {} is not contiguous with [1, {}]", front.value(), last.value()));
  }
  const uint64_t max_body = options_.data_file_size - kHeaderSize - kBlankSize;
  for (size_t k = 0; k < entries.size(); ++k) {
    if (k > 0 && entries[k].index != entries[k - 1].index.next()) {
      return Status::invalid_argument("entry log: appended entries are not contiguous");
    }
    if (entries[k].size() > max_body) {
      return Status::invalid_argument(fmt::format("entry log: entry {} of {} bytes exceeds {}",
                                                  entries[k].index.value(), entries[k].size(),
                                                  max_body));
    }
  }
  // Plan every position before writing, so a refused batch changes nothing.
  int64_t end = data_end();
  if (front <= last) {
    end = 0;
    if (front > LogIndex(1)) {
      RMQ_ASSIGN_OR_RETURN(const EntryLocation prev, locate(front.prev()));
      end = prev.position + static_cast<int64_t>(prev.size);
    }
  }
  std::vector<int64_t> plan;
  plan.reserve(entries.size());
  for (const Entry& e : entries) {
    const uint64_t size = kHeaderSize + e.size();
    const int64_t pos = landing_position(end, size);
    if (e.position >= 0 && e.position != pos) {
      return Status::corruption(
          fmt::format("entry log: entry {} claims position {} but lands at {}", e.index.value(),
                      e.position, pos));
    }
    plan.push_back(pos);
    end = pos + static_cast<int64_t>(size);
  }
  if (front <= last) RMQ_RETURN_IF_ERROR(truncate_from(front));
  for (size_t k = 0; k < entries.size(); ++k) {
    Status st = write_entry(entries[k], plan[k]);
    if (!st.is_ok()) {
      roll_back();
      return st.with_context(
          fmt::format("entry log: appending entry {}", entries[k].index.value()));
    }
  }
  if (landed != nullptr) *landed = std::move(plan);
  data_.note_written(data_end());
  if (options_.sync == EntryLogSync::kEveryAppend) return sync();
  return Status::ok();
}

Status EntryLog::write_entry(const Entry& e, int64_t position) {
  const int64_t end = data_end();
  MappedFilePtr seg = data_.last();
  if (seg != nullptr) {
    if (seg->start_offset() + static_cast<int64_t>(seg->wrote_position()) != end) {
      return Status::internal(fmt::format("entry log: data log ends at {}+{}, entries at {}",
                                          seg->start_offset(), seg->wrote_position(), end));
    }
    if (position != end) {  // close the segment with a blank record (FORMAT.md §2.1)
      const uint64_t free = seg->free_space();
      uint8_t* p = seg->writable_tail();
      store_be<uint32_t>(p, kBlankMagic);
      store_be<uint32_t>(p + 4, static_cast<uint32_t>(free));
      seg->publish(free);
    }
  }
  RMQ_ASSIGN_OR_RETURN(seg, data_.last_for_append(0));
  const uint64_t size = kHeaderSize + e.size();
  if (seg->start_offset() + static_cast<int64_t>(seg->wrote_position()) != position ||
      seg->free_space() < size) {
    return Status::internal(
        fmt::format("entry log: entry {} cannot land at {}", e.index.value(), position));
  }
  uint8_t* p = seg->writable_tail();
  if (e.size() > 0) std::memcpy(p + kHeaderSize, e.data->data(), e.size());
  // The hook may stamp position-dependent fields into the stored body (every replica computes the
  // same bytes); the body CRC covers what is stored.
  uint32_t crc = body_crc(e);
  if (append_hook_ && e.size() > 0) {
    append_hook_(e, p + kHeaderSize, position);
    crc = common::crc32(p + kHeaderSize, e.size());
  }
  encode_header(p, e, position, crc);
  seg->publish(size);
  RMQ_RETURN_IF_ERROR(append_unit({e.index, e.term, position, static_cast<uint32_t>(size)}));
  data_end_.store(position + static_cast<int64_t>(size), std::memory_order_release);
  last_index_.store(e.index.value(), std::memory_order_release);
  return Status::ok();
}

Status EntryLog::append_unit(const EntryLocation& unit) {
  RMQ_ASSIGN_OR_RETURN(MappedFilePtr seg, index_.last_for_append(0));
  if (index_.max_offset() != unit_offset(unit.index)) {
    return Status::internal(fmt::format("entry log: index log ends at {}, unit {} belongs at {}",
                                        index_.max_offset(), unit.index.value(),
                                        unit_offset(unit.index)));
  }
  uint8_t buf[kIndexUnitSize];
  encode_unit(buf, unit);
  return seg->append(ByteView(buf, sizeof(buf)));
}

Status EntryLog::truncate_from(LogIndex index) {
  std::lock_guard flush_lock(flush_mu_);
  int64_t end = 0;
  if (index > LogIndex(1)) {
    RMQ_ASSIGN_OR_RETURN(const EntryLocation prev, locate(index.prev()));
    end = prev.position + static_cast<int64_t>(prev.size);
  }
  RMQ_RETURN_IF_ERROR(data_.truncate_dirty(end));
  RMQ_RETURN_IF_ERROR(index_.truncate_dirty(unit_offset(index)));
  data_end_.store(end, std::memory_order_release);
  last_index_.store(index.prev().value(), std::memory_order_release);
  return Status::ok();
}

void EntryLog::roll_back() {
  std::lock_guard flush_lock(flush_mu_);
  Status st = data_.truncate_dirty(data_end());
  if (st.is_ok()) st = index_.truncate_dirty(unit_offset(last_index().next()));
  if (!st.is_ok()) {
    common::logger("dledger")->error("entry log {}: rolling back a failed append: {}", options_.dir,
                                     st.to_string());
  }
}

Status EntryLog::sync() {
  if (!open_) return Status::unavailable("entry log " + options_.dir + ": not open");
  RMQ_ASSIGN_OR_RETURN(const bool data_done, data_.flush(0));
  RMQ_ASSIGN_OR_RETURN(const bool index_done, index_.flush(0));
  if (!data_done || !index_done) {
    return Status::io_error("entry log " + options_.dir + ": flush left data unsynced");
  }
  return Status::ok();
}

Status EntryLog::flush_written() {
  std::lock_guard flush_lock(flush_mu_);
  if (!open_) return Status::ok();
  RMQ_RETURN_IF_ERROR(data_.flush(0).status());
  return index_.flush(0).status();
}

Result<EntryLocation> EntryLog::locate(LogIndex index) const {
  if (index < first_index() || index > last_index()) {
    return Status::out_of_range(
        fmt::format("entry log: index {} outside [1, {}]", index.value(), last_index().value()));
  }
  RMQ_ASSIGN_OR_RETURN(ByteView v, published(index_, unit_offset(index), kIndexUnitSize, nullptr));
  std::optional<EntryLocation> u = decode_unit(v.data(), index);
  if (!u) {
    return Status::corruption(fmt::format("entry log: index unit {} is damaged", index.value()));
  }
  return *u;
}

Result<int64_t> EntryLog::position_of(LogIndex index) const {
  RMQ_ASSIGN_OR_RETURN(const EntryLocation loc, locate(index));
  return loc.position;
}

std::optional<Term> EntryLog::term(LogIndex index) const {
  if (index == first_index().prev()) return Term(0);
  if (index < first_index() || index > last_index()) return std::nullopt;
  Result<EntryLocation> loc = locate(index);
  if (!loc.ok()) {
    common::logger("dledger")->error("entry log {}: term({}): {}", options_.dir, index.value(),
                                     loc.status().to_string());
    return std::nullopt;
  }
  return loc->term;
}

Result<std::vector<Entry>> EntryLog::entries(LogIndex lo, LogIndex hi, size_t max_bytes) const {
  if (lo < first_index() || hi > last_index().next() || lo > hi) {
    return Status::out_of_range(fmt::format("entry log: entries [{}, {}) outside [1, {}]",
                                            lo.value(), hi.value(), last_index().value()));
  }
  std::vector<Entry> out;
  size_t bytes = 0;
  for (LogIndex i = lo; i < hi; i = i.next()) {
    RMQ_ASSIGN_OR_RETURN(const EntryLocation loc, locate(i));
    const size_t body = loc.size - kHeaderSize;
    if (!out.empty() && bytes + body > max_bytes) break;
    RMQ_ASSIGN_OR_RETURN(Entry e, read_entry(data_, loc));
    bytes += body;
    out.push_back(std::move(e));
  }
  return out;
}

Result<store::LogSlice> EntryLog::read_at(int64_t position, uint32_t size) const {
  MappedFilePtr holder;
  RMQ_ASSIGN_OR_RETURN(ByteView v, published(data_, position, size, &holder));
  return store::LogSlice{std::move(holder), v, position};
}

}  // namespace rmq::dledger
