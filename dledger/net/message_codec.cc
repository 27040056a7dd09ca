#include "dledger/net/message_codec.h"

namespace rmq::dledger::net {

using common::Buffer;
using common::ByteView;
using common::Reader;
using common::Status;

namespace {
constexpr uint32_t kMaxBatch = 100'000;
constexpr uint32_t kMaxEntriesPerMessage = 1'000'000;
}  // namespace

void encode_messages(const std::vector<Message>& msgs, Buffer& out) {
  size_t bytes = 4;
  for (const Message& m : msgs) bytes += 64 + m.entries.size() * 32 + m.bytes();
  out.reserve(out.size() + bytes);
  out.put_u32(static_cast<uint32_t>(msgs.size()));
  for (const Message& m : msgs) {
    out.put_u8(static_cast<uint8_t>(m.type));
    uint8_t flags = 0;
    if (m.reject) flags |= 1;
    if (m.transfer) flags |= 2;
    out.put_u8(flags);
    out.put_u32(m.from.value());
    out.put_u32(m.to.value());
    out.put_u64(m.term.value());
    out.put_i64(m.log_index.value());
    out.put_u64(m.log_term.value());
    out.put_i64(m.commit.value());
    out.put_i64(m.reject_hint.value());
    out.put_u64(m.reject_hint_term.value());
    out.put_u32(static_cast<uint32_t>(m.entries.size()));
    for (const Entry& e : m.entries) {
      out.put_u64(e.term.value());
      out.put_i64(e.index.value());
      out.put_u8(static_cast<uint8_t>(e.type));
      out.put_i64(e.position);
      out.put_u32(static_cast<uint32_t>(e.size()));
      if (e.data) out.put_string(*e.data);
    }
  }
}

common::Result<std::vector<Message>> decode_messages(ByteView body) {
  Reader r(body);
  uint32_t count = 0;
  if (!r.read_u32(&count) || count > kMaxBatch) return Status::corruption("raft batch: bad count");
  std::vector<Message> out;
  out.reserve(std::min<uint32_t>(count, 1024));
  for (uint32_t i = 0; i < count; ++i) {
    Message m;
    uint8_t type = 0;
    uint8_t flags = 0;
    uint32_t from = 0;
    uint32_t to = 0;
    uint64_t term = 0;
    int64_t log_index = 0;
    uint64_t log_term = 0;
    int64_t commit = 0;
    int64_t hint = 0;
    uint64_t hint_term = 0;
    uint32_t n_entries = 0;
    if (!r.read_u8(&type) || !r.read_u8(&flags) || !r.read_u32(&from) || !r.read_u32(&to) ||
        !r.read_u64(&term) || !r.read_i64(&log_index) || !r.read_u64(&log_term) ||
        !r.read_i64(&commit) || !r.read_i64(&hint) || !r.read_u64(&hint_term) ||
        !r.read_u32(&n_entries)) {
      return Status::corruption("raft batch: truncated message header");
    }
    if (type > static_cast<uint8_t>(MessageType::kTimeoutNow)) {
      return Status::corruption("raft batch: unknown message type " + std::to_string(type));
    }
    if (n_entries > kMaxEntriesPerMessage || n_entries > r.remaining() / 29) {
      return Status::corruption("raft batch: bad entry count");
    }
    m.type = static_cast<MessageType>(type);
    m.reject = (flags & 1) != 0;
    m.transfer = (flags & 2) != 0;
    m.from = NodeId(from);
    m.to = NodeId(to);
    m.term = Term(term);
    m.log_index = LogIndex(log_index);
    m.log_term = Term(log_term);
    m.commit = LogIndex(commit);
    m.reject_hint = LogIndex(hint);
    m.reject_hint_term = Term(hint_term);
    m.entries.reserve(n_entries);
    for (uint32_t k = 0; k < n_entries; ++k) {
      uint64_t et = 0;
      int64_t ei = 0;
      uint8_t etype = 0;
      int64_t pos = 0;
      uint32_t size = 0;
      if (!r.read_u64(&et) || !r.read_i64(&ei) || !r.read_u8(&etype) || !r.read_i64(&pos) ||
          !r.read_u32(&size)) {
        return Status::corruption("raft batch: truncated entry header");
      }
      if (etype > static_cast<uint8_t>(EntryType::kMetadata)) {
        return Status::corruption("raft batch: unknown entry type");
      }
      auto data = std::make_shared<std::string>();
      if (!r.read_string(size, data.get()))
        return Status::corruption("raft batch: truncated entry");
      m.entries.push_back(Entry{Term(et), LogIndex(ei), static_cast<EntryType>(etype), pos,
                                size == 0 ? nullptr : std::move(data)});
    }
    out.push_back(std::move(m));
  }
  if (!r.at_end()) return Status::corruption("raft batch: trailing bytes");
  return out;
}

}  // namespace rmq::dledger::net
