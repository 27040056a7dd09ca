#include "remoting/protocol/heartbeat.h"

#include "common/java_hash.h"
#include "remoting/protocol/fastjson.h"

#include <array>
#include <limits>
#include <utility>

namespace rmq::remoting::protocol {
namespace {

using common::Json;
using common::Result;
using common::Status;

constexpr std::array<std::string_view, 2> kConsumeTypeNames = {"CONSUME_ACTIVELY",
                                                               "CONSUME_PASSIVELY"};
constexpr std::array<std::string_view, 2> kMessageModelNames = {"BROADCASTING", "CLUSTERING"};
constexpr std::array<std::string_view, 6> kConsumeFromWhereNames = {
    "CONSUME_FROM_LAST_OFFSET",  "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
    "CONSUME_FROM_MIN_OFFSET",   "CONSUME_FROM_MAX_OFFSET",
    "CONSUME_FROM_FIRST_OFFSET", "CONSUME_FROM_TIMESTAMP"};

template <typename E, size_t N>
std::optional<E> enum_from_name(const std::array<std::string_view, N>& names,
                                std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::string_view enum_name(const std::array<std::string_view, N>& names, E v) {
  const auto i = static_cast<size_t>(v);
  return i < N ? names[i] : std::string_view("UNKNOWN");
}

// An enum member given as a Java name or as an ordinal (number or numeric string).
template <typename E, size_t N>
Status read_enum(const Json& obj, std::string_view key,
                 const std::array<std::string_view, N>& names, const std::string& where, E* out) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();  // keep the default
  if (v->is_string()) {
    if (auto e = enum_from_name<E>(names, v->text())) {
      *out = *e;
      return Status::ok();
    }
  }
  if (v->is_number() || v->is_string()) {
    if (auto n = v->as_int(); n && *n >= 0 && *n < static_cast<int64_t>(N)) {
      *out = static_cast<E>(*n);
      return Status::ok();
    }
  }
  return Status::invalid_argument(where + "." + std::string(key) + ": unknown value " + v->dump());
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

Result<ConsumerData> consumer_data_from_json(const Json& v, const std::string& where) {
  if (!v.is_object()) return Status::invalid_argument(where + ": expected an object");
  ConsumerData cd;
  RMQ_RETURN_IF_ERROR(read_string(v, "groupName", where, &cd.group));
  if (cd.group.empty()) return Status::invalid_argument(where + ".groupName: missing or empty");
  RMQ_RETURN_IF_ERROR(read_enum(v, "consumeType", kConsumeTypeNames, where, &cd.consume_type));
  RMQ_RETURN_IF_ERROR(read_enum(v, "messageModel", kMessageModelNames, where, &cd.message_model));
  RMQ_RETURN_IF_ERROR(
      read_enum(v, "consumeFromWhere", kConsumeFromWhereNames, where, &cd.consume_from_where));
  RMQ_RETURN_IF_ERROR(read_bool(v, "unitMode", where, &cd.unit_mode));
  RMQ_ASSIGN_OR_RETURN(const std::vector<Json>* subs, read_array(v, "subscriptionDataSet", where));
  for (size_t i = 0; i < subs->size(); ++i) {
    RMQ_ASSIGN_OR_RETURN(SubscriptionData sd,
                         subscription_data_from_json((*subs)[i], where + ".subscriptionDataSet[" +
                                                                     std::to_string(i) + "]"));
    cd.subscriptions.push_back(std::move(sd));
  }
  return cd;
}

}  // namespace

std::string_view to_string(ConsumeType v) { return enum_name(kConsumeTypeNames, v); }
std::string_view to_string(MessageModel v) { return enum_name(kMessageModelNames, v); }
std::string_view to_string(ConsumeFromWhere v) { return enum_name(kConsumeFromWhereNames, v); }

std::optional<ConsumeType> consume_type_from_name(std::string_view name) {
  return enum_from_name<ConsumeType>(kConsumeTypeNames, name);
}
std::optional<MessageModel> message_model_from_name(std::string_view name) {
  return enum_from_name<MessageModel>(kMessageModelNames, name);
}
std::optional<ConsumeFromWhere> consume_from_where_from_name(std::string_view name) {
  return enum_from_name<ConsumeFromWhere>(kConsumeFromWhereNames, name);
}

bool SubscriptionData::matches_code(int64_t tags_code) const {
  if (class_filter_mode || subscribes_all()) return true;
  if (!expression_type.empty() && expression_type != kExpressionTypeTag) return true;
  return codes.contains(static_cast<int32_t>(tags_code));  // Java: tagsCode.intValue()
}

bool SubscriptionData::matches_tag(std::string_view tag) const {
  if (class_filter_mode || subscribes_all()) return true;
  if (!expression_type.empty() && expression_type != kExpressionTypeTag) return true;
  return tags.contains(std::string(tag));
}

SubscriptionData parse_subscription(std::string_view topic, std::string_view sub_string) {
  const std::string_view whole = trim(sub_string);
  const bool all = whole.empty() || whole == kSubAll;
  SubscriptionData sd;
  sd.topic = std::string(topic);
  sd.sub_string = std::string(all ? kSubAll : sub_string);
  if (all) return sd;
  std::string_view rest = sub_string;
  while (true) {
    const size_t bar = rest.find("||");
    const std::string_view tag = trim(rest.substr(0, bar));
    if (!tag.empty()) {
      sd.tags.emplace(tag);
      sd.codes.insert(common::java_string_hash(tag));
    }
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 2);
  }
  return sd;
}

void append_subscription_data(std::string& out, const SubscriptionData& sd) {
  ObjectWriter(out)
      .boolean("classFilterMode", sd.class_filter_mode)
      .array("codeSet", sd.codes, [](std::string& o, int32_t c) { append_int(o, c); })
      .str("expressionType", sd.expression_type)
      .str("subString", sd.sub_string)
      .num("subVersion", sd.sub_version)
      .strings("tagsSet", sd.tags)
      .str("topic", sd.topic)
      .end();
}

Result<SubscriptionData> subscription_data_from_json(const Json& v, const std::string& where,
                                                     std::string_view default_topic) {
  if (!v.is_object()) return Status::invalid_argument(where + ": expected an object");
  std::string topic;
  std::string sub_string;
  RMQ_RETURN_IF_ERROR(read_string(v, "topic", where, &topic));
  if (topic.empty()) topic = std::string(default_topic);
  if (topic.empty()) return Status::invalid_argument(where + ".topic: missing or empty");
  RMQ_RETURN_IF_ERROR(read_string(v, "subString", where, &sub_string));
  std::string expression_type(kExpressionTypeTag);
  RMQ_RETURN_IF_ERROR(read_string(v, "expressionType", where, &expression_type));
  if (expression_type.empty()) expression_type = kExpressionTypeTag;

  SubscriptionData sd;
  if (expression_type == kExpressionTypeTag) {
    sd = parse_subscription(topic, sub_string);
  } else {
    sd.topic = topic;
    sd.sub_string = sub_string;
  }
  sd.expression_type = expression_type;

  RMQ_ASSIGN_OR_RETURN(const std::vector<Json>* tags, read_array(v, "tagsSet", where));
  RMQ_ASSIGN_OR_RETURN(const std::vector<Json>* codes, read_array(v, "codeSet", where));
  if (!tags->empty()) {  // the client's own split wins, as in Java
    sd.tags.clear();
    RMQ_RETURN_IF_ERROR(read_string_array(v, "tagsSet", where, &sd.tags));
    sd.codes.clear();
    for (const Json& c : *codes) {
      const auto n = c.as_int();
      if (!n || *n < std::numeric_limits<int32_t>::min() ||
          *n > std::numeric_limits<int32_t>::max()) {
        return Status::invalid_argument(where + ".codeSet: expected 32-bit integers, got " +
                                        c.dump());
      }
      sd.codes.insert(static_cast<int32_t>(*n));
    }
    if (sd.codes.empty()) {
      for (const std::string& t : sd.tags) sd.codes.insert(common::java_string_hash(t));
    }
  }
  RMQ_RETURN_IF_ERROR(read_int64(v, "subVersion", where, &sd.sub_version));
  RMQ_RETURN_IF_ERROR(read_bool(v, "classFilterMode", where, &sd.class_filter_mode));
  return sd;
}

Result<HeartbeatData> parse_heartbeat(common::ByteView body) {
  const std::string where = "HeartbeatData";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_json_object(body, where));
  HeartbeatData hb;
  RMQ_RETURN_IF_ERROR(read_string(root, "clientID", where, &hb.client_id));
  if (hb.client_id.empty()) return Status::invalid_argument(where + ".clientID: missing");

  RMQ_ASSIGN_OR_RETURN(const std::vector<Json>* producers,
                       read_array(root, "producerDataSet", where));
  for (size_t i = 0; i < producers->size(); ++i) {
    const std::string pw = where + ".producerDataSet[" + std::to_string(i) + "]";
    const Json& p = (*producers)[i];
    if (!p.is_object()) return Status::invalid_argument(pw + ": expected an object");
    std::string group;
    RMQ_RETURN_IF_ERROR(read_string(p, "groupName", pw, &group));
    if (group.empty()) return Status::invalid_argument(pw + ".groupName: missing or empty");
    hb.producer_groups.push_back(std::move(group));
  }

  RMQ_ASSIGN_OR_RETURN(const std::vector<Json>* consumers,
                       read_array(root, "consumerDataSet", where));
  for (size_t i = 0; i < consumers->size(); ++i) {
    RMQ_ASSIGN_OR_RETURN(ConsumerData cd,
                         consumer_data_from_json((*consumers)[i], where + ".consumerDataSet[" +
                                                                      std::to_string(i) + "]"));
    hb.consumers.push_back(std::move(cd));
  }
  return hb;
}

std::string encode_heartbeat(const HeartbeatData& hb) {
  std::string out;
  ObjectWriter(out)
      .str("clientID", hb.client_id)
      .array("consumerDataSet", hb.consumers,
             [](std::string& o, const ConsumerData& cd) {
               ObjectWriter(o)
                   .str("consumeFromWhere", to_string(cd.consume_from_where))
                   .str("consumeType", to_string(cd.consume_type))
                   .str("groupName", cd.group)
                   .str("messageModel", to_string(cd.message_model))
                   .array("subscriptionDataSet", cd.subscriptions, &append_subscription_data)
                   .boolean("unitMode", cd.unit_mode)
                   .end();
             })
      .array("producerDataSet", hb.producer_groups,
             [](std::string& o, const std::string& group) {
               ObjectWriter(o).str("groupName", group).end();
             })
      .end();
  return out;
}

}  // namespace rmq::remoting::protocol
