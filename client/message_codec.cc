#include "client/message_codec.h"

#include "common/crc32.h"
#include "remoting/protocol/compression.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cstdio>
#include <cstring>

namespace rmq::client {
namespace {

using common::Result;
using common::Status;

// Fields 1-14 with IPv4 hosts, then BODY length (4), TOPIC length (1) and PROPERTIES length (2).
constexpr size_t kMinRecordSize = 84 + 4 + 1 + 2;
constexpr size_t kMaxInflatedBody = 64u << 20;
constexpr char kNameValueSeparator = '\x01';
constexpr char kPropertySeparator = '\x02';

Status truncated(std::string_view field) {
  return Status::corruption("stored message truncated at " + std::string(field));
}

std::string host_string(common::ByteView ip, int32_t port) {
  char text[INET6_ADDRSTRLEN + 16] = {};
  const bool v6 = ip.size() == 16;
  char* at = v6 ? text + 1 : text;  // room for '['
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, ip.data(), at, INET6_ADDRSTRLEN) == nullptr) {
    std::snprintf(text, sizeof text, "?:%d", port);
  } else if (v6) {
    text[0] = '[';
    const size_t n = std::strlen(text);
    std::snprintf(text + n, sizeof text - n, "]:%d", port);
  } else {
    const size_t n = std::strlen(text);
    std::snprintf(text + n, sizeof text - n, ":%d", port);
  }
  return std::string(text);
}

// [4 or 16 address bytes][4-byte port]
bool read_host(common::Reader& r, bool v6, common::ByteView* ip, int32_t* port) {
  return r.read_view(v6 ? 16 : 4, ip) && r.read_i32(port);
}

}  // namespace

std::string MessageExt::property(std::string_view key) const {
  const auto it = properties.find(std::string(key));
  return it == properties.end() ? std::string() : it->second;
}

Result<MessageExt> decode_stored_message(common::ByteView bytes, size_t* consumed,
                                         const DecodeOptions& options) {
  if (bytes.size() < 4) return truncated("TOTALSIZE");
  const int32_t total = common::load_be<int32_t>(bytes.data());
  if (total < 0 || static_cast<size_t>(total) < kMinRecordSize) {
    return Status::corruption("stored message size " + std::to_string(total) +
                              " is below the minimum " + std::to_string(kMinRecordSize));
  }
  if (static_cast<size_t>(total) > bytes.size()) {
    return Status::corruption("stored message size " + std::to_string(total) + " exceeds the " +
                              std::to_string(bytes.size()) + " bytes available");
  }
  common::Reader r(bytes.first(static_cast<size_t>(total)));
  MessageExt m;
  m.store_size = total;
  int32_t magic = 0;
  (void)r.skip(4);
  (void)r.read_i32(&magic);
  if (magic != kMessageMagicV1 && magic != kMessageMagicV2) {
    return Status::corruption("stored message has an unknown magic code " +
                              common::to_hex_upper(bytes.subspan(4, 4)));
  }
  // kMinRecordSize covers everything up to BORNHOST, so these reads cannot fail.
  (void)r.read_u32(&m.body_crc);
  (void)r.read_i32(&m.queue_id);
  (void)r.read_i32(&m.flag);
  (void)r.read_i64(&m.queue_offset);
  (void)r.read_i64(&m.commit_log_offset);
  (void)r.read_i32(&m.sys_flag);
  (void)r.read_i64(&m.born_timestamp);
  common::ByteView ip;
  int32_t port = 0;
  if (!read_host(r, (m.sys_flag & kSysFlagBornHostV6) != 0, &ip, &port)) {
    return truncated("BORNHOST");
  }
  m.born_host = host_string(ip, port);
  if (!r.read_i64(&m.store_timestamp)) return truncated("STORETIMESTAMP");
  if (!read_host(r, (m.sys_flag & kSysFlagStoreHostV6) != 0, &ip, &port)) {
    return truncated("STOREHOST");
  }
  m.store_host = host_string(ip, port);
  m.msg_id = make_msg_id(ip, port, m.commit_log_offset);
  if (!r.read_i32(&m.reconsume_times)) return truncated("RECONSUMETIMES");
  if (!r.read_i64(&m.prepared_transaction_offset)) return truncated("PREPAREDTRANSACTIONOFFSET");
  int32_t body_len = 0;
  if (!r.read_i32(&body_len)) return truncated("BODY length");
  common::ByteView body;
  if (body_len < 0 || !r.read_view(static_cast<size_t>(body_len), &body)) {
    return truncated("BODY (length " + std::to_string(body_len) + ")");
  }
  size_t topic_len = 0;
  if (magic == kMessageMagicV1) {
    uint8_t n = 0;
    if (!r.read_u8(&n)) return truncated("TOPIC length");
    topic_len = n;
  } else {
    int16_t n = 0;
    if (!r.read_i16(&n) || n < 0) return truncated("TOPIC length");
    topic_len = static_cast<size_t>(n);
  }
  if (!r.read_string(topic_len, &m.topic)) return truncated("TOPIC");
  int16_t props_len = 0;
  if (!r.read_i16(&props_len) || props_len < 0) return truncated("PROPERTIES length");
  std::string props;
  if (!r.read_string(static_cast<size_t>(props_len), &props)) return truncated("PROPERTIES");
  if (!r.at_end()) {
    return Status::corruption("stored message size " + std::to_string(total) +
                              " disagrees with its fields (" + std::to_string(r.position()) +
                              " bytes)");
  }
  m.properties = parse_message_properties(props);
  if (options.crc == DecodeOptions::Crc::kCheck) {
    const uint32_t crc = common::crc32(body) & 0x7FFFFFFFu;
    if (crc != m.body_crc) {
      return Status::corruption("message " + m.msg_id + ": body CRC mismatch");
    }
  }
  if ((m.sys_flag & kSysFlagCompressed) != 0 && options.body == DecodeOptions::Body::kInflate) {
    auto inflated = remoting::protocol::zlib_inflate(body, kMaxInflatedBody);
    if (!inflated.ok()) return inflated.status().with_context("message " + m.msg_id);
    m.body = std::move(inflated).value();
  } else {
    m.body.assign(common::as_string_view(body));
  }
  if (consumed != nullptr) *consumed = static_cast<size_t>(total);
  return m;
}

Result<std::vector<MessageExt>> decode_stored_messages(common::ByteView bytes,
                                                       const DecodeOptions& options) {
  std::vector<MessageExt> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t used = 0;
    auto m = decode_stored_message(bytes.subspan(pos), &used, options);
    if (!m.ok()) {
      return m.status().with_context("record " + std::to_string(out.size()) + " at byte " +
                                     std::to_string(pos));
    }
    out.push_back(std::move(m).value());
    pos += used;
  }
  return out;
}

std::map<std::string, std::string> parse_message_properties(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const size_t end = std::min(text.find(kPropertySeparator), text.size());
    const std::string_view entry = text.substr(0, end);
    const size_t sep = entry.find(kNameValueSeparator);
    if (sep != std::string_view::npos) {
      out[std::string(entry.substr(0, sep))] = std::string(entry.substr(sep + 1));
    }
    text.remove_prefix(std::min(text.size(), end + 1));
  }
  return out;
}

std::string encode_message_properties(const std::map<std::string, std::string>& properties) {
  std::string out;
  for (const auto& [k, v] : properties) {
    out += k;
    out += kNameValueSeparator;
    out += v;
    out += kPropertySeparator;
  }
  return out;
}

Result<MsgIdParts> parse_msg_id(std::string_view msg_id) {
  const auto bad = [&] {
    std::string msg(msg_id);
    msg.insert(0, 1, '\'');
    msg.append("' is not a msgId (32 or 56 hex digits: ip, port, offset)");
    return Status::invalid_argument(msg);
  };
  if (msg_id.size() != 32 && msg_id.size() != 56) return bad();
  std::vector<uint8_t> raw;
  if (!common::from_hex(msg_id, &raw)) return bad();
  common::Reader r(common::ByteView(raw.data(), raw.size()));
  common::ByteView ip;
  int32_t port = 0;
  MsgIdParts parts;
  if (!read_host(r, raw.size() == 28, &ip, &port) || !r.read_i64(&parts.offset)) return bad();
  if (port <= 0 || port > 65535 || parts.offset < 0) return bad();
  parts.address = host_string(ip, port);
  return parts;
}

std::string make_msg_id(common::ByteView ip, int32_t port, int64_t offset) {
  common::Buffer b(28);
  b.put_bytes(ip);
  b.put_i32(port);
  b.put_i64(offset);
  return common::to_hex_upper(b.view());
}

}  // namespace rmq::client
