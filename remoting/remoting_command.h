// RemotingCommand: one RocketMQ remoting message, request or response (RemotingCommand.java).
// A plain value: the codec turns it into frames and back; processors read and build them.
// extFields values are strings on our side whatever JSON type they arrived as (PROTOCOL.md §1.1).
#pragma once

#include "common/bytes.h"
#include "remoting/request_code.h"
#include "remoting/response_code.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rmq::remoting {

enum class SerializeType : uint8_t { kJson = 0, kRocketmq = 1 };

inline constexpr int32_t kFlagResponse = 1;  // bit0
inline constexpr int32_t kFlagOneway = 2;    // bit1
// Our own clients announce themselves like this; ali-ons says JAVA/121, cpp CPP/333.
inline constexpr std::string_view kOurLanguage = "CPP";
inline constexpr int32_t kOurVersion = 401;  // V4_9_4: we accept standard JSON route bodies

// Ordered string map for the custom header. Few entries, so a vector beats a hash map.
class ExtFields {
 public:
  using Entry = std::pair<std::string, std::string>;
  const std::string* find(std::string_view key) const;
  void set(std::string_view key, std::string value);
  void set(std::string_view key, int64_t value) { set(key, std::to_string(value)); }
  bool erase(std::string_view key);
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }
  void reserve(size_t n) { entries_.reserve(n); }
  // Appends without checking for an existing key (decoders; later duplicates shadow earlier).
  void append(std::string key, std::string value) {
    entries_.emplace_back(std::move(key), std::move(value));
  }
  const std::vector<Entry>& entries() const { return entries_; }
  friend bool operator==(const ExtFields&, const ExtFields&) = default;

 private:
  std::vector<Entry> entries_;
};

// A header value with RocketMQ's coercions: numbers, "123", " 123 " all parse; booleans accept
// true/false in any case. nullopt when malformed.
std::optional<int64_t> parse_ext_int(const std::string& value);
std::optional<bool> parse_ext_bool(const std::string& value);

struct RemotingCommand {
  int32_t code = 0;
  std::string language{kOurLanguage};
  int32_t version = kOurVersion;
  int32_t opaque = 0;
  int32_t flag = 0;
  std::optional<std::string> remark;
  ExtFields ext_fields;
  common::Buffer body;
  // How the header travels (RocketMQ's serializeTypeCurrentRPC): decoding records the request's,
  // a response takes its request's. Not part of equality: it is the envelope, not the content.
  SerializeType serialize_type = SerializeType::kJson;

  static RemotingCommand request(RequestCode code);
  static RemotingCommand request(int32_t code);
  // A response to `req`: echoes its opaque, sets the RESPONSE flag.
  static RemotingCommand response_to(const RemotingCommand& req, ResponseCode code,
                                     std::optional<std::string> remark = std::nullopt);
  static RemotingCommand response_to(const RemotingCommand& req, int32_t code,
                                     std::optional<std::string> remark = std::nullopt);

  bool is_response() const { return (flag & kFlagResponse) != 0; }
  bool is_oneway() const { return (flag & kFlagOneway) != 0; }
  void mark_response() { flag |= kFlagResponse; }
  void mark_oneway() { flag |= kFlagOneway; }

  // Header field access with RocketMQ's coercions: numbers, "123", " 123 " all parse; booleans
  // accept true/false in any case. nullopt when absent or malformed.
  const std::string* ext(std::string_view key) const { return ext_fields.find(key); }
  std::optional<int64_t> ext_int(std::string_view key) const;
  std::optional<bool> ext_bool(std::string_view key) const;

  // "code=310(SEND_MESSAGE_V2) opaque=7 flag=0 ..." for logs.
  std::string describe() const;

  friend bool operator==(const RemotingCommand& a, const RemotingCommand& b) {
    return a.code == b.code && a.language == b.language && a.version == b.version &&
           a.opaque == b.opaque && a.flag == b.flag && a.remark == b.remark &&
           a.ext_fields == b.ext_fields && a.body == b.body;
  }
};

}  // namespace rmq::remoting
