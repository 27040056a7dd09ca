// The consumer's wire bodies and small pure helpers, kept apart from PushConsumer's threading:
// the HeartbeatData body (34, ali-ons style: enum names, numeric subVersion; PROTOCOL.md §5.4),
// ConsumerListByGroupResponseBody (38), Lock/UnlockBatchRequestBody and LockBatchResponseBody
// (41/42), the client-side tag filter with Java's String.hashCode codes, the broadcasting offset
// file, and the client id's address. Pure functions and value types; thread-safe.
#pragma once

#include "client/route.h"
#include "common/result.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::client {

enum class ConsumeFromWhere : uint8_t { kLastOffset, kFirstOffset, kTimestamp };
enum class MessageModel : uint8_t { kClustering, kBroadcasting };

// Java's names: "CONSUME_FROM_LAST_OFFSET", "CLUSTERING", ...
std::string_view to_string(ConsumeFromWhere v);
std::string_view to_string(MessageModel v);

// Java String.hashCode() over the UTF-16 code units of a UTF-8 string (tagsCode).
int32_t java_string_hash(std::string_view utf8);

// A TAG subscription expression: "*" (or "") takes everything, else "TagA || TagB".
struct TagFilter {
  std::string sub_string = "*";
  std::set<std::string> tags;  // empty: everything
  static TagFilter parse(std::string_view expression);
  bool all() const { return tags.empty(); }
  bool matches(std::string_view tag) const { return all() || tags.contains(std::string(tag)); }
  std::set<int32_t> codes() const;
};

struct ConsumerHeartbeat {
  struct Subscription {
    std::string topic;
    std::string expression;
  };
  std::string client_id;
  std::string group;
  ConsumeFromWhere consume_from = ConsumeFromWhere::kLastOffset;
  MessageModel model = MessageModel::kClustering;
  std::vector<Subscription> subscriptions;
  int64_t sub_version = 0;
};
std::string encode_consumer_heartbeat(const ConsumerHeartbeat& hb);

// {"consumerIdList":[...]}; a missing or null list is empty.
[[nodiscard]] common::Result<std::vector<std::string>> parse_consumer_id_list(
    std::string_view body);

// {"clientId":..,"consumerGroup":..,"mqSet":[{"brokerName","queueId","topic"}],"onlyThisBroker":false}
std::string encode_lock_batch_body(const std::string& group, const std::string& client_id,
                                   const std::vector<QueueRef>& queues);
// {"lockOKMQSet":[...]}
[[nodiscard]] common::Result<std::set<QueueRef>> parse_lock_batch_response_body(
    std::string_view body);

// The broadcasting offset file: {"offsetTable":[{"brokerName","queueId","topic","offset"},...]}.
std::string encode_offset_table(const std::map<QueueRef, int64_t>& offsets);
[[nodiscard]] common::Result<std::map<QueueRef, int64_t>> parse_offset_table(std::string_view text);

// The first non-loopback IPv4 address of this host, or "127.0.0.1".
std::string local_ipv4();

}  // namespace rmq::client
