// RocketMQ's stored message record (CommitLog layout, PROTOCOL.md §6 / FORMAT.md), which is also
// the wire format of pull, view and query bodies: encode, zero-copy decode with CRC check, the
// end-of-segment blank record, properties, tag hash codes and msgIds. Pure functions; thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/result.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rmq::store {

inline constexpr int32_t kMessageMagicV1 = static_cast<int32_t>(0xDAA320A7);
inline constexpr int32_t kMessageMagicV2 = static_cast<int32_t>(0xDAA320AB);
inline constexpr int32_t kBlankMagic = static_cast<int32_t>(0xCBD43194);
inline constexpr uint32_t kBlankRecordMinSize = 8;  // [4 size][4 blank magic]
inline constexpr size_t kMaxTopicLength = 127;      // 1-byte topic length, v1 magic
inline constexpr size_t kMaxPropertiesLength = 32767;

// Byte positions of the fields filled in at append time (same for IPv4 and IPv6 born hosts up to
// the born host; see FORMAT.md).
inline constexpr size_t kPosTotalSize = 0;
inline constexpr size_t kPosMagic = 4;
inline constexpr size_t kPosBodyCrc = 8;
inline constexpr size_t kPosQueueId = 12;
inline constexpr size_t kPosFlag = 16;
inline constexpr size_t kPosQueueOffset = 20;
inline constexpr size_t kPosPhysicalOffset = 28;
inline constexpr size_t kPosSysFlag = 36;
inline constexpr size_t kPosBornTimestamp = 40;
inline constexpr size_t kPosBornHost = 48;

namespace sysflag {
inline constexpr int32_t kCompressed = 0x1;
inline constexpr int32_t kMultiTags = 0x2;
inline constexpr int32_t kTransactionMask = 0xC;
inline constexpr int32_t kTransactionPrepared = 0x4;
inline constexpr int32_t kTransactionCommit = 0x8;
inline constexpr int32_t kTransactionRollback = 0xC;
inline constexpr int32_t kBornHostV6 = 0x10;
inline constexpr int32_t kStoreHostV6 = 0x20;
inline constexpr int32_t kInnerBatch = 0x80;
}  // namespace sysflag

// An IPv4 or IPv6 address with a port, as stored in BORNHOST/STOREHOST.
struct HostAddress {
  std::array<uint8_t, 16> ip{};  // IPv4 in the first 4 bytes
  bool v6 = false;
  int32_t port = 0;
  // "1.2.3.4:10911" or "[::1]:10911"; nullopt when malformed. Host names are not resolved.
  static std::optional<HostAddress> parse(std::string_view ip_port);
  std::string to_string() const;
  size_t stored_size() const { return v6 ? 20 : 8; }
  friend bool operator==(const HostAddress&, const HostAddress&) = default;
};

// What a producer hands in (MessageExtBrokerInner before it is stored).
struct MessageInput {
  std::string topic;
  int32_t queue_id = 0;
  int32_t flag = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  HostAddress born_host;
  HostAddress store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  common::ByteView body;   // not owned
  std::string properties;  // "k\x01v\x02k\x01v\x02"
};

// One or more encoded records for one (topic, queue), ready to append. The append fills in
// QUEUEOFFSET, PHYSICALOFFSET and STORETIMESTAMP of each record (they are outside the body CRC).
struct EncodedMessages {
  std::string topic;
  int32_t queue_id = 0;
  // Records back to back. A string so that DLedger mode moves it into the Raft entry as is.
  std::string bytes;
  std::vector<uint32_t> record_sizes;  // one per record
  std::vector<uint32_t> store_ts_pos;  // offset of STORETIMESTAMP within each record
  size_t count() const { return record_sizes.size(); }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(bytes.data()); }
  common::ByteView view() const { return common::as_bytes(bytes); }
};

// Encodes one message. InvalidArgument (MESSAGE_ILLEGAL) for a bad topic, properties over 32767
// bytes, or a record over `max_message_size`.
common::Result<EncodedMessages> encode_message(const MessageInput& msg, size_t max_message_size);
// Encodes a batch body (PROTOCOL.md §6.4: [4 size][4 magic][4 crc][4 flag][4 bodyLen][body]
// [2 propLen][props] per entry); `common` supplies topic, queue, hosts, sysflag, timestamps and
// extra properties to merge into each entry's own.
common::Result<EncodedMessages> encode_batch(const MessageInput& common,
                                             common::ByteView batch_body, size_t max_message_size);

// Sets the append-time fields of one record in place; `record` points at its bytes in the log.
void stamp_record(uint8_t* record, int64_t queue_offset, int64_t physical_offset,
                  int64_t store_timestamp, uint32_t store_ts_pos);

// Zero-copy view of a stored record; views point into the bytes passed to decode_message.
struct MessageView {
  int32_t total_size = 0;
  int32_t magic = 0;
  uint32_t body_crc = 0;
  int32_t queue_id = 0;
  int32_t flag = 0;
  int64_t queue_offset = 0;
  int64_t physical_offset = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  HostAddress born_host;
  int64_t store_timestamp = 0;
  HostAddress store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  common::ByteView body;
  std::string_view topic;
  std::string_view properties;
};

// Decodes the record at the start of `bytes` (which may extend past it). Corruption on any bad
// length, magic, or (if check_crc) body CRC mismatch.
common::Result<MessageView> decode_message(common::ByteView bytes, bool check_crc);

// What lies at a position of the log while scanning (recovery, reput).
struct RecordProbe {
  // kSkip: framing of the log itself (a Raft entry header, a no-op entry): not a message; move on
  // by `size` bytes.
  enum class Kind { kMessage, kBlank, kEnd, kCorrupt, kSkip };
  Kind kind = Kind::kEnd;
  uint32_t size = 0;  // kMessage/kBlank: bytes to skip
  std::string error;  // kCorrupt: why
};
// kEnd: fewer than 4 bytes or a zero size (never-written space). kBlank: the end-of-segment filler.
RecordProbe probe_record(common::ByteView bytes, bool check_crc);
// Writes a blank record filling `len` (>= 8) bytes.
void write_blank(uint8_t* at, uint32_t len);

// Properties string helpers ("k\x01v\x02...").
std::vector<std::pair<std::string_view, std::string_view>> parse_properties(std::string_view s);
std::optional<std::string_view> find_property(std::string_view s, std::string_view key);
void append_property(std::string& s, std::string_view key, std::string_view value);

namespace prop {
inline constexpr std::string_view kTags = "TAGS";
inline constexpr std::string_view kKeys = "KEYS";
inline constexpr std::string_view kUniqKey = "UNIQ_KEY";
inline constexpr std::string_view kDelay = "DELAY";
inline constexpr std::string_view kRetryTopic = "RETRY_TOPIC";
inline constexpr std::string_view kRealTopic = "REAL_TOPIC";
inline constexpr std::string_view kRealQueueId = "REAL_QID";
inline constexpr std::string_view kOriginMessageId = "ORIGIN_MESSAGE_ID";
inline constexpr std::string_view kReconsumeTime = "RECONSUME_TIME";
inline constexpr std::string_view kMaxReconsumeTimes = "MAX_RECONSUME_TIMES";
inline constexpr std::string_view kWaitStoreMsgOk = "WAIT";
inline constexpr std::string_view kCluster = "CLUSTER";
}  // namespace prop

// Java String.hashCode() of the tag (over UTF-16 code units), widened to long; 0 for no tag.
int64_t tags_hash_code(std::string_view tags);
// The offsetMsgId: upper-case hex of store host address, 4-byte port and 8-byte physical offset.
std::string make_msg_id(const HostAddress& store_host, int64_t physical_offset);
// Inverse of make_msg_id; nullopt if malformed.
std::optional<std::pair<HostAddress, int64_t>> parse_msg_id(std::string_view msg_id);

}  // namespace rmq::store
