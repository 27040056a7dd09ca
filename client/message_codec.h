// Client-side decoder of RocketMQ's stored message layout (PROTOCOL.md §6): the body of
// VIEW_MESSAGE_BY_ID (33), QUERY_MESSAGE (12) and PULL_MESSAGE (11) replies is one or more
// records in the CommitLog layout. Also the offsetMsgId of §7 (store host + port + physical
// offset as upper-case hex). Pure functions; thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/result.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::client {

// SYSFLAG bits the decoder reads (§6.2).
inline constexpr int32_t kSysFlagCompressed = 0x1;
inline constexpr int32_t kSysFlagBornHostV6 = 0x10;
inline constexpr int32_t kSysFlagStoreHostV6 = 0x20;
inline constexpr int32_t kMessageMagicV1 = static_cast<int32_t>(0xDAA320A7u);
inline constexpr int32_t kMessageMagicV2 = static_cast<int32_t>(0xDAA320ABu);

// Java MessageExt: one decoded stored message.
struct MessageExt {
  std::string topic;
  int32_t queue_id = 0;
  int32_t flag = 0;
  int64_t queue_offset = 0;       // index in the ConsumeQueue
  int64_t commit_log_offset = 0;  // PHYSICALOFFSET
  int32_t store_size = 0;         // TOTALSIZE
  int32_t sys_flag = 0;
  uint32_t body_crc = 0;
  int64_t born_timestamp = 0;
  std::string born_host;  // "ip:port" ("[v6]:port" for IPv6)
  int64_t store_timestamp = 0;
  std::string store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  std::map<std::string, std::string> properties;
  std::string body;    // inflated when COMPRESSED is set and options.body is kInflate
  std::string msg_id;  // offsetMsgId (§7)

  // A property, or "" when absent.
  std::string property(std::string_view key) const;
  std::string tags() const { return property("TAGS"); }
  std::string keys() const { return property("KEYS"); }
  std::string uniq_key() const { return property("UNIQ_KEY"); }
};

struct DecodeOptions {
  enum class Body : uint8_t { kInflate, kAsStored };
  enum class Crc : uint8_t { kIgnore, kCheck };
  Body body = Body::kInflate;
  Crc crc = Crc::kIgnore;
};

// Decodes the record at the start of `bytes`; *consumed (if not null) gets its TOTALSIZE.
// Corruption naming the field on a short, inconsistent or unknown-magic record.
[[nodiscard]] common::Result<MessageExt> decode_stored_message(common::ByteView bytes,
                                                               size_t* consumed = nullptr,
                                                               const DecodeOptions& options = {});
// Decodes concatenated records (a whole reply body); an empty body is no messages.
[[nodiscard]] common::Result<std::vector<MessageExt>> decode_stored_messages(
    common::ByteView bytes, const DecodeOptions& options = {});

// "k1\x01v1\x02k2\x01v2\x02" -> map (a trailing separator is optional; later keys win).
std::map<std::string, std::string> parse_message_properties(std::string_view text);
std::string encode_message_properties(const std::map<std::string, std::string>& properties);

// The parts of an offsetMsgId.
struct MsgIdParts {
  std::string address;  // "ip:port" of the store host ("[v6]:port" for IPv6)
  int64_t offset = 0;   // CommitLog physical offset
};
// 32 hex chars (IPv4 4 + port 4 + offset 8 bytes) or 56 (IPv6 16 + 4 + 8); either case.
[[nodiscard]] common::Result<MsgIdParts> parse_msg_id(std::string_view msg_id);
// Upper-case hex of ip bytes (4 or 16), port (4 bytes), offset (8 bytes).
std::string make_msg_id(common::ByteView ip, int32_t port, int64_t offset);

}  // namespace rmq::client
