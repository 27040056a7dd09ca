// HeartbeatData (HEART_BEAT, code 34) and the subscription model the broker filters pulls with.
// parse_heartbeat() accepts both client dialects of PROTOCOL.md §5.4: ali-ons (enum names, numeric
// subVersion) and rocketmq-client-cpp (enum ordinals, string subVersion, empty arrays and
// unitMode/classFilterMode/expressionType left out, trailing newline). Pure functions and value
// types; thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/result.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::broker {

// Enumerators are in Java's ordinal order; cpp sends the ordinals.
enum class ConsumeType : uint8_t { kConsumeActively = 0, kConsumePassively = 1 };
enum class MessageModel : uint8_t { kBroadcasting = 0, kClustering = 1 };
enum class ConsumeFromWhere : uint8_t {
  kConsumeFromLastOffset = 0,
  kConsumeFromLastOffsetAndFromMinWhenBootFirst = 1,
  kConsumeFromMinOffset = 2,
  kConsumeFromMaxOffset = 3,
  kConsumeFromFirstOffset = 4,
  kConsumeFromTimestamp = 5,
};

// Java enum names: "CONSUME_PASSIVELY", "CLUSTERING", "CONSUME_FROM_LAST_OFFSET", ...
std::string_view to_string(ConsumeType v);
std::string_view to_string(MessageModel v);
std::string_view to_string(ConsumeFromWhere v);
// Inverse of to_string; nullopt for an unknown name.
std::optional<ConsumeType> consume_type_from_name(std::string_view name);
std::optional<MessageModel> message_model_from_name(std::string_view name);
std::optional<ConsumeFromWhere> consume_from_where_from_name(std::string_view name);

inline constexpr std::string_view kSubAll = "*";
inline constexpr std::string_view kExpressionTypeTag = "TAG";

struct SubscriptionData {
  std::string topic;
  std::string sub_string;  // "*" subscribes to every tag
  std::string expression_type = "TAG";
  std::set<std::string> tags;
  std::set<int32_t> codes;  // Java String.hashCode() of each tag
  int64_t sub_version = 0;
  bool class_filter_mode = false;

  bool subscribes_all() const { return sub_string.empty() || sub_string == kSubAll; }
  // Broker-side filter against a ConsumeQueue tagsCode (Java ExpressionMessageFilter): true for
  // "*", class-filter mode and non-TAG expressions (not evaluated here); else the code's low 32
  // bits must be in `codes`.
  bool matches_code(int64_t tags_code) const;
  // The exact check clients make on the message's TAGS property.
  bool matches_tag(std::string_view tags) const;

  friend bool operator==(const SubscriptionData&, const SubscriptionData&) = default;
};

// Java FilterAPI.buildSubscriptionData for TAG expressions: "" or "*" -> all (sub_string "*");
// "TagA || TagB" -> trimmed, non-empty tags and their hash codes.
SubscriptionData parse_subscription(std::string_view topic, std::string_view sub_string);

struct ConsumerData {
  std::string group;
  ConsumeType consume_type = ConsumeType::kConsumePassively;
  MessageModel message_model = MessageModel::kClustering;
  ConsumeFromWhere consume_from_where = ConsumeFromWhere::kConsumeFromLastOffset;
  bool unit_mode = false;
  std::vector<SubscriptionData> subscriptions;

  friend bool operator==(const ConsumerData&, const ConsumerData&) = default;
};

struct HeartbeatData {
  std::string client_id;
  std::vector<std::string> producer_groups;
  std::vector<ConsumerData> consumers;

  friend bool operator==(const HeartbeatData&, const HeartbeatData&) = default;
};

// Decodes a HEART_BEAT body. Absent producerDataSet/consumerDataSet/subscriptionDataSet are
// empty; absent unitMode/classFilterMode are false, absent expressionType is "TAG". Enums are
// names or ordinals (numbers or numeric strings); subVersion and codeSet entries are numbers or
// numeric strings. A subscription without tagsSet takes its tags from subString (TAG only);
// missing codes are computed from the tags. InvalidArgument naming the bad field otherwise.
[[nodiscard]] common::Result<HeartbeatData> parse_heartbeat(common::ByteView body);

// The ali-ons style body (enum names, numeric subVersion). For tests and our own clients.
std::string encode_heartbeat(const HeartbeatData& hb);

}  // namespace rmq::broker
