// The consumer's small pure helpers, kept apart from PushConsumer's threading: the client-side
// tag filter with Java's String.hashCode codes, the HeartbeatData body a consumer sends (34, via
// remoting/protocol/heartbeat.h: enum names, numeric subVersion; PROTOCOL.md §5.4), the
// broadcasting offset file, and the client id's address. The other consumer bodies (38, 41/42)
// are remoting/protocol/body.h's. Pure functions and value types; thread-safe.
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

// The consumer options' subset of Java's enums (remoting/protocol/heartbeat.h has them all).
enum class ConsumeFromWhere : uint8_t { kLastOffset, kFirstOffset, kTimestamp };
enum class MessageModel : uint8_t { kClustering, kBroadcasting };

// A TAG subscription expression: "*" (or "") takes everything, else "TagA || TagB". codes() are
// common::java_string_hash of the tags.
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
// One CONSUME_PASSIVELY consumer group with TAG subscriptions, no producers.
std::string encode_consumer_heartbeat(const ConsumerHeartbeat& hb);

// The broadcasting offset file: {"offsetTable":[{"brokerName","queueId","topic","offset"},...]}.
std::string encode_offset_table(const std::map<QueueRef, int64_t>& offsets);
[[nodiscard]] common::Result<std::map<QueueRef, int64_t>> parse_offset_table(std::string_view text);

// The first non-loopback IPv4 address of this host, or "127.0.0.1".
std::string local_ipv4();

}  // namespace rmq::client
