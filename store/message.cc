// RocketMQ stored-message codec (FORMAT.md "Message record"): encode, batch expansion, decode,
// probing while scanning, properties, Java-compatible tag hash codes and msgIds.
#include "store/message.h"

#include "common/crc32.h"
#include "common/java_hash.h"

#include <fmt/format.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cassert>
#include <charconv>
#include <climits>
#include <cstring>

namespace rmq::store {

namespace {

// A v1 record with IPv4 hosts and empty body, topic and properties: fields 1-14 take 84 bytes,
// then 4 (body length) + 1 (topic length) + 2 (properties length).
constexpr size_t kMinRecordSize = 91;
constexpr size_t kBatchEntryFixedSize = 4 + 4 + 4 + 4 + 4 + 2;

bool is_topic_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '%' ||
         c == '|' || c == '_' || c == '-';
}

common::Status validate_topic(std::string_view topic) {
  if (topic.empty()) return common::Status::invalid_argument("topic is empty");
  if (topic.size() > kMaxTopicLength) {
    return common::Status::invalid_argument(
        fmt::format("topic too long: {} bytes, at most {}", topic.size(), kMaxTopicLength));
  }
  for (char c : topic) {
    if (!is_topic_char(c)) {
      return common::Status::invalid_argument(
          "topic contains an illegal character (allowed: A-Z a-z 0-9 % | _ -)");
    }
  }
  return common::Status::ok();
}

common::Status validate_properties(std::string_view properties) {
  if (properties.size() > kMaxPropertiesLength) {
    return common::Status::invalid_argument(fmt::format("properties too long: {} bytes, at most {}",
                                                        properties.size(), kMaxPropertiesLength));
  }
  return common::Status::ok();
}

size_t host_size(bool v6) { return v6 ? 20 : 8; }

// Everything one record needs; views are not owned.
struct RecordFields {
  std::string_view topic;
  int32_t queue_id = 0;
  int32_t flag = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  const HostAddress* born_host = nullptr;
  const HostAddress* store_host = nullptr;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  common::ByteView body;
  std::string_view properties;
};

size_t record_size(const RecordFields& f) {
  return 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + host_size(f.born_host->v6) + 8 +
         host_size(f.store_host->v6) + 4 + 8 + 4 + f.body.size() + 1 + f.topic.size() + 2 +
         f.properties.size();
}

common::Status check_record_size(size_t size, size_t max_message_size) {
  if (size > max_message_size || size > static_cast<size_t>(INT32_MAX)) {
    return common::Status::invalid_argument(
        fmt::format("message too large: record of {} bytes, max {}", size, max_message_size));
  }
  return common::Status::ok();
}

// Writes big-endian fields into space reserved for them.
class RecordWriter {
 public:
  explicit RecordWriter(uint8_t* p) : p_(p) {}
  template <typename T>
  void put(T v) {
    common::store_be<T>(p_, v);
    p_ += sizeof(T);
  }
  void put_bytes(const void* data, size_t n) {
    if (n != 0) std::memcpy(p_, data, n);
    p_ += n;
  }
  void put_host(const HostAddress& h) {
    put_bytes(h.ip.data(), h.v6 ? 16 : 4);
    put<int32_t>(h.port);
  }
  const uint8_t* position() const { return p_; }

 private:
  uint8_t* p_;
};

int32_t host_sys_flag(int32_t sys_flag, const HostAddress& born, const HostAddress& store) {
  sys_flag &= ~(sysflag::kBornHostV6 | sysflag::kStoreHostV6);
  if (born.v6) sys_flag |= sysflag::kBornHostV6;
  if (store.v6) sys_flag |= sysflag::kStoreHostV6;
  return sys_flag;
}

// Appends one record (append-time fields zero) and records its size and STORETIMESTAMP position.
// REQUIRES: fields validated and record_size(f) checked.
void append_record(const RecordFields& f, EncodedMessages* out) {
  const size_t size = record_size(f);
  const size_t start = out->bytes.size();
  out->bytes.resize(start + size);
  auto* const record = reinterpret_cast<uint8_t*>(out->bytes.data()) + start;
  RecordWriter w(record);
  w.put<int32_t>(static_cast<int32_t>(size));
  w.put<int32_t>(kMessageMagicV1);
  w.put<uint32_t>(common::crc32(f.body) & 0x7FFFFFFFu);
  w.put<int32_t>(f.queue_id);
  w.put<int32_t>(f.flag);
  w.put<int64_t>(0);  // QUEUEOFFSET, stamped at append
  w.put<int64_t>(0);  // PHYSICALOFFSET, stamped at append
  w.put<int32_t>(host_sys_flag(f.sys_flag, *f.born_host, *f.store_host));
  w.put<int64_t>(f.born_timestamp);
  w.put_host(*f.born_host);
  const auto store_ts_pos = static_cast<size_t>(w.position() - record);
  w.put<int64_t>(0);  // STORETIMESTAMP, stamped at append
  w.put_host(*f.store_host);
  w.put<int32_t>(f.reconsume_times);
  w.put<int64_t>(f.prepared_transaction_offset);
  w.put<int32_t>(static_cast<int32_t>(f.body.size()));
  w.put_bytes(f.body.data(), f.body.size());
  w.put<uint8_t>(static_cast<uint8_t>(f.topic.size()));
  w.put_bytes(f.topic.data(), f.topic.size());
  w.put<int16_t>(static_cast<int16_t>(f.properties.size()));
  w.put_bytes(f.properties.data(), f.properties.size());
  assert(static_cast<size_t>(w.position() - record) == size);
  out->record_sizes.push_back(static_cast<uint32_t>(size));
  out->store_ts_pos.push_back(static_cast<uint32_t>(store_ts_pos));
}

RecordFields fields_of(const MessageInput& m) {
  RecordFields f;
  f.topic = m.topic;
  f.queue_id = m.queue_id;
  f.flag = m.flag;
  f.sys_flag = m.sys_flag;
  f.born_timestamp = m.born_timestamp;
  f.born_host = &m.born_host;
  f.store_host = &m.store_host;
  f.reconsume_times = m.reconsume_times;
  f.prepared_transaction_offset = m.prepared_transaction_offset;
  f.body = m.body;
  f.properties = m.properties;
  return f;
}

bool read_host(common::Reader& r, bool v6, HostAddress* out) {
  out->v6 = v6;
  common::ByteView ip;
  if (!r.read_view(v6 ? 16 : 4, &ip)) return false;
  std::copy(ip.begin(), ip.end(), out->ip.begin());
  return r.read_i32(&out->port);
}

common::Status truncated(std::string_view field) {
  return common::Status::corruption(fmt::format("message record truncated in {}", field));
}

}  // namespace

// ---- HostAddress ----

std::optional<HostAddress> HostAddress::parse(std::string_view ip_port) {
  const size_t colon = ip_port.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= ip_port.size()) return std::nullopt;
  std::string_view host = ip_port.substr(0, colon);
  const std::string_view port_str = ip_port.substr(colon + 1);
  int32_t port = 0;
  const auto [ptr, ec] = std::from_chars(port_str.data(), port_str.data() + port_str.size(), port);
  if (ec != std::errc() || ptr != port_str.data() + port_str.size() || port < 0 || port > 65535) {
    return std::nullopt;
  }
  HostAddress out;
  out.port = port;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    const std::string h(host.substr(1, host.size() - 2));
    if (inet_pton(AF_INET6, h.c_str(), out.ip.data()) != 1) return std::nullopt;
    out.v6 = true;
    return out;
  }
  const std::string h(host);
  if (inet_pton(AF_INET, h.c_str(), out.ip.data()) != 1) return std::nullopt;
  return out;
}

std::string HostAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v6) {
    inet_ntop(AF_INET6, ip.data(), buf, sizeof(buf));
    return fmt::format("[{}]:{}", buf, port);
  }
  inet_ntop(AF_INET, ip.data(), buf, sizeof(buf));
  return fmt::format("{}:{}", buf, port);
}

// ---- Encoding ----

constexpr char kPropertySeparator = '\x02';

common::Result<EncodedMessages> encode_message(const MessageInput& msg, size_t max_message_size) {
  // Stored properties always end with their separator: recovery relies on it to tell a torn
  // record from a whole one (the body CRC does not cover the properties).
  if (!msg.properties.empty() && msg.properties.back() != kPropertySeparator) {
    MessageInput normalized = msg;
    normalized.properties.push_back(kPropertySeparator);
    return encode_message(normalized, max_message_size);
  }
  RMQ_RETURN_IF_ERROR(validate_topic(msg.topic));
  RMQ_RETURN_IF_ERROR(validate_properties(msg.properties));
  const RecordFields f = fields_of(msg);
  RMQ_RETURN_IF_ERROR(check_record_size(record_size(f), max_message_size));
  EncodedMessages out;
  out.topic = msg.topic;
  out.queue_id = msg.queue_id;
  append_record(f, &out);
  return out;
}

common::Result<EncodedMessages> encode_batch(const MessageInput& common,
                                             common::ByteView batch_body, size_t max_message_size) {
  RMQ_RETURN_IF_ERROR(validate_topic(common.topic));
  if (batch_body.empty()) return common::Status::invalid_argument("batch body is empty");
  const auto common_props = parse_properties(common.properties);

  struct Entry {
    int32_t flag;
    common::ByteView body;
    std::string properties;
  };
  std::vector<Entry> entries;
  common::Reader r(batch_body);
  while (!r.at_end()) {
    const size_t entry_start = r.position();
    if (r.remaining() < kBatchEntryFixedSize) {
      return common::Status::invalid_argument(
          fmt::format("batch body: {} trailing bytes at {}", r.remaining(), entry_start));
    }
    int32_t total = 0, magic = 0, crc = 0, flag = 0, body_len = 0;
    (void)r.read_i32(&total);
    (void)r.read_i32(&magic);
    (void)r.read_i32(&crc);
    (void)r.read_i32(&flag);
    (void)r.read_i32(&body_len);
    common::ByteView body;
    int16_t prop_len = 0;
    common::ByteView props;
    if (total < 0 || static_cast<size_t>(total) < kBatchEntryFixedSize ||
        static_cast<size_t>(total) > batch_body.size() - entry_start) {
      return common::Status::invalid_argument(
          fmt::format("batch body: entry at {} has bad total size {}", entry_start, total));
    }
    if (body_len < 0 || !r.read_view(static_cast<size_t>(body_len), &body) ||
        !r.read_i16(&prop_len) || prop_len < 0 ||
        !r.read_view(static_cast<size_t>(prop_len), &props)) {
      return common::Status::invalid_argument(
          fmt::format("batch body: entry at {} has bad body or properties length", entry_start));
    }
    if (r.position() - entry_start != static_cast<size_t>(total)) {
      return common::Status::invalid_argument(
          fmt::format("batch body: entry at {} size {} disagrees with its contents ({} bytes)",
                      entry_start, total, r.position() - entry_start));
    }
    Entry e{flag, body, std::string(common::as_string_view(props))};
    // Merge the request's properties; the entry's own keys win.
    if (!common_props.empty()) {
      const auto own = parse_properties(e.properties);
      std::string merged = e.properties;
      for (const auto& [k, v] : common_props) {
        bool present = false;
        for (const auto& o : own) present = present || o.first == k;
        if (!present) append_property(merged, k, v);
      }
      e.properties = std::move(merged);
    }
    if (!e.properties.empty() && e.properties.back() != kPropertySeparator) {
      e.properties.push_back(kPropertySeparator);
    }
    RMQ_RETURN_IF_ERROR(validate_properties(e.properties));
    entries.push_back(std::move(e));
  }

  EncodedMessages out;
  out.topic = common.topic;
  out.queue_id = common.queue_id;
  size_t total_size = 0;
  for (const Entry& e : entries) {
    RecordFields f = fields_of(common);
    f.sys_flag &= ~sysflag::kInnerBatch;  // each entry becomes an ordinary record
    f.flag = e.flag;
    f.body = e.body;
    f.properties = e.properties;
    const size_t size = record_size(f);
    RMQ_RETURN_IF_ERROR(check_record_size(size, max_message_size));
    total_size += size;
    if (total_size > max_message_size) {
      return common::Status::invalid_argument(
          fmt::format("message batch too large: more than {} bytes encoded, max {}", total_size,
                      max_message_size));
    }
  }
  out.bytes.reserve(total_size);
  for (const Entry& e : entries) {
    RecordFields f = fields_of(common);
    f.sys_flag &= ~sysflag::kInnerBatch;
    f.flag = e.flag;
    f.body = e.body;
    f.properties = e.properties;
    append_record(f, &out);
  }
  return out;
}

void stamp_record(uint8_t* record, int64_t queue_offset, int64_t physical_offset,
                  int64_t store_timestamp, uint32_t store_ts_pos) {
  common::store_be<int64_t>(record + kPosQueueOffset, queue_offset);
  common::store_be<int64_t>(record + kPosPhysicalOffset, physical_offset);
  common::store_be<int64_t>(record + store_ts_pos, store_timestamp);
}

// ---- Decoding ----

common::Result<MessageView> decode_message(common::ByteView bytes, bool check_crc) {
  if (bytes.size() < 4) return truncated("TOTALSIZE");
  MessageView m;
  m.total_size = common::load_be<int32_t>(bytes.data());
  if (m.total_size < 0 || static_cast<size_t>(m.total_size) < kMinRecordSize) {
    return common::Status::corruption(
        fmt::format("message record size {} below the minimum {}", m.total_size, kMinRecordSize));
  }
  if (static_cast<size_t>(m.total_size) > bytes.size()) {
    return common::Status::corruption(fmt::format(
        "message record size {} exceeds the {} bytes available", m.total_size, bytes.size()));
  }
  common::Reader r(bytes.first(static_cast<size_t>(m.total_size)));
  (void)r.skip(4);
  // The fixed fields up to BORNHOST fit in kMinRecordSize, so these reads cannot fail.
  (void)r.read_i32(&m.magic);
  if (m.magic != kMessageMagicV1 && m.magic != kMessageMagicV2) {
    return common::Status::corruption(
        fmt::format("bad message magic 0x{:08X}", static_cast<uint32_t>(m.magic)));
  }
  (void)r.read_u32(&m.body_crc);
  (void)r.read_i32(&m.queue_id);
  (void)r.read_i32(&m.flag);
  (void)r.read_i64(&m.queue_offset);
  (void)r.read_i64(&m.physical_offset);
  (void)r.read_i32(&m.sys_flag);
  (void)r.read_i64(&m.born_timestamp);
  if (!read_host(r, (m.sys_flag & sysflag::kBornHostV6) != 0, &m.born_host)) {
    return truncated("BORNHOST");
  }
  if (!r.read_i64(&m.store_timestamp)) return truncated("STORETIMESTAMP");
  if (!read_host(r, (m.sys_flag & sysflag::kStoreHostV6) != 0, &m.store_host)) {
    return truncated("STOREHOST");
  }
  if (!r.read_i32(&m.reconsume_times)) return truncated("RECONSUMETIMES");
  if (!r.read_i64(&m.prepared_transaction_offset)) return truncated("PREPAREDTRANSACTIONOFFSET");
  int32_t body_len = 0;
  if (!r.read_i32(&body_len)) return truncated("BODY length");
  if (body_len < 0) {
    return common::Status::corruption(fmt::format("negative message body length {}", body_len));
  }
  if (!r.read_view(static_cast<size_t>(body_len), &m.body)) return truncated("BODY");
  size_t topic_len = 0;
  if (m.magic == kMessageMagicV1) {
    uint8_t len = 0;
    if (!r.read_u8(&len)) return truncated("TOPIC length");
    topic_len = len;
  } else {
    int16_t len = 0;
    if (!r.read_i16(&len)) return truncated("TOPIC length");
    if (len < 0) return common::Status::corruption("negative message topic length");
    topic_len = static_cast<size_t>(len);
  }
  common::ByteView topic;
  if (!r.read_view(topic_len, &topic)) return truncated("TOPIC");
  m.topic = common::as_string_view(topic);
  int16_t props_len = 0;
  if (!r.read_i16(&props_len)) return truncated("PROPERTIES length");
  if (props_len < 0) return common::Status::corruption("negative message properties length");
  common::ByteView props;
  if (!r.read_view(static_cast<size_t>(props_len), &props)) return truncated("PROPERTIES");
  m.properties = common::as_string_view(props);
  if (!r.at_end()) {
    return common::Status::corruption(fmt::format(
        "message record size {} disagrees with its fields ({} bytes)", m.total_size, r.position()));
  }
  if (check_crc) {
    const uint32_t crc = common::crc32(m.body) & 0x7FFFFFFFu;
    if (crc != m.body_crc) {
      return common::Status::corruption(fmt::format(
          "message body CRC mismatch: stored {:08X}, computed {:08X}", m.body_crc, crc));
    }
  }
  return m;
}

RecordProbe probe_record(common::ByteView bytes, bool check_crc) {
  RecordProbe p;
  if (bytes.size() < 4) return p;  // kEnd
  const int32_t size = common::load_be<int32_t>(bytes.data());
  if (size == 0) return p;  // kEnd: never-written space
  if (bytes.size() >= 8 && common::load_be<int32_t>(bytes.data() + 4) == kBlankMagic) {
    if (size < static_cast<int32_t>(kBlankRecordMinSize) ||
        static_cast<size_t>(size) > bytes.size()) {
      p.kind = RecordProbe::Kind::kCorrupt;
      p.error = fmt::format("blank record size {} outside [8, {}]", size, bytes.size());
      return p;
    }
    p.kind = RecordProbe::Kind::kBlank;
    p.size = static_cast<uint32_t>(size);
    return p;
  }
  auto decoded = decode_message(bytes, check_crc);
  if (!decoded.ok()) {
    p.kind = RecordProbe::Kind::kCorrupt;
    p.error = std::string(decoded.status().message());
    return p;
  }
  p.kind = RecordProbe::Kind::kMessage;
  p.size = static_cast<uint32_t>(decoded->total_size);
  return p;
}

void write_blank(uint8_t* at, uint32_t len) {
  common::store_be<int32_t>(at, static_cast<int32_t>(len));
  common::store_be<int32_t>(at + 4, kBlankMagic);
}

// ---- Properties ----

std::vector<std::pair<std::string_view, std::string_view>> parse_properties(std::string_view s) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find('\x02', pos);
    if (end == std::string_view::npos) end = s.size();
    const std::string_view item = s.substr(pos, end - pos);
    const size_t sep = item.find('\x01');
    if (sep != std::string_view::npos && sep > 0) {
      out.emplace_back(item.substr(0, sep), item.substr(sep + 1));
    }
    pos = end + 1;
  }
  return out;
}

std::optional<std::string_view> find_property(std::string_view s, std::string_view key) {
  // The same items as parse_properties(), scanned in place (every dispatch looks up a few keys).
  std::optional<std::string_view> found;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find('\x02', pos);
    if (end == std::string_view::npos) end = s.size();
    const std::string_view item = s.substr(pos, end - pos);
    if (item.size() > key.size() && item[key.size()] == '\x01' &&
        item.compare(0, key.size(), key) == 0 && !key.empty()) {
      found = item.substr(key.size() + 1);  // the last occurrence wins, as in Java's map
    }
    pos = end + 1;
  }
  return found;
}

void append_property(std::string& s, std::string_view key, std::string_view value) {
  if (!s.empty() && s.back() != '\x02') s.push_back('\x02');
  s.append(key);
  s.push_back('\x01');
  s.append(value);
  s.push_back('\x02');
}

// ---- Hash codes and ids ----

int64_t tags_hash_code(std::string_view tags) { return common::java_string_hash(tags); }

std::string make_msg_id(const HostAddress& store_host, int64_t physical_offset) {
  uint8_t raw[28];
  RecordWriter w(raw);
  w.put_host(store_host);
  w.put<int64_t>(physical_offset);
  return common::to_hex_upper(common::ByteView(raw, static_cast<size_t>(w.position() - raw)));
}

std::optional<std::pair<HostAddress, int64_t>> parse_msg_id(std::string_view msg_id) {
  if (msg_id.size() != 32 && msg_id.size() != 56) return std::nullopt;
  std::vector<uint8_t> raw;
  if (!common::from_hex(msg_id, &raw)) return std::nullopt;
  common::Reader r(common::ByteView(raw.data(), raw.size()));
  HostAddress host;
  if (!read_host(r, raw.size() == 28, &host)) return std::nullopt;
  int64_t offset = 0;
  if (!r.read_i64(&offset) || !r.at_end()) return std::nullopt;
  return std::make_pair(host, offset);
}

}  // namespace rmq::store
