// HeartbeatData (HEART_BEAT, code 34) and the subscription model (Java's remoting.protocol
// .heartbeat package and FilterAPI): the broker reads heartbeats and filters pulls with
// SubscriptionData, the client writes heartbeats, and ConsumerConnection (admin_body.h) carries
// SubscriptionData back to admin tools. parse_heartbeat() accepts both client dialects of
// PROTOCOL.md §5.4: ali-ons (enum names, numeric subVersion) and rocketmq-client-cpp (enum
// ordinals, string subVersion, empty arrays and unitMode/classFilterMode/expressionType left out,
// trailing newline). Pure functions and value types; thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/json.h"
#include "common/result.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::remoting::protocol {

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

// Java SubscriptionData. codes hold common::java_string_hash of each tag.
struct SubscriptionData {
  std::string topic;
  std::string sub_string;  // "*" subscribes to every tag
  std::string expression_type = "TAG";
  std::set<std::string> tags;
  std::set<int32_t> codes;
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

// {"classFilterMode":..,"codeSet":[..],"expressionType":..,"subString":..,"subVersion":..,
//  "tagsSet":[..],"topic":..}
void append_subscription_data(std::string& out, const SubscriptionData& sd);
// One SubscriptionData object, in either dialect: absent expressionType is "TAG"; without
// tagsSet a TAG subscription takes its tags from subString; missing codes are computed from the
// tags. A missing topic takes `default_topic` (the subscriptionTable key); an empty one is an
// error.
[[nodiscard]] common::Result<SubscriptionData> subscription_data_from_json(
    const common::Json& v, const std::string& where, std::string_view default_topic = {});

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
// empty; absent unitMode/classFilterMode are false. Enums are names or ordinals (numbers or
// numeric strings); subVersion and codeSet entries are numbers or numeric strings.
// InvalidArgument naming the bad field otherwise.
[[nodiscard]] common::Result<HeartbeatData> parse_heartbeat(common::ByteView body);

// The ali-ons style body (enum names, numeric subVersion), as Java clients write it.
std::string encode_heartbeat(const HeartbeatData& hb);

}  // namespace rmq::remoting::protocol
