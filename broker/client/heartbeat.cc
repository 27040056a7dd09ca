#include "broker/client/heartbeat.h"

#include "common/json.h"
#include "store/message.h"

#include <array>
#include <limits>
#include <utility>

namespace rmq::broker {
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

// A boolean member: true/false or "true"/"false"; absent or null keeps the default.
Status read_bool(const Json& obj, std::string_view key, const std::string& where, bool* out) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (v->is_bool()) {
    *out = v->as_bool();
    return Status::ok();
  }
  if (v->is_string() && (v->text() == "true" || v->text() == "false")) {
    *out = v->text() == "true";
    return Status::ok();
  }
  return Status::invalid_argument(where + "." + std::string(key) + ": expected a boolean, got " +
                                  v->dump());
}

Status read_string(const Json& obj, std::string_view key, const std::string& where,
                   std::string* out) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (!v->is_string()) {
    return Status::invalid_argument(where + "." + std::string(key) + ": expected a string, got " +
                                    v->dump());
  }
  *out = v->text();
  return Status::ok();
}

// An optional array member; absent or null is empty.
Result<const std::vector<Json>*> read_array(const Json& obj, std::string_view key,
                                            const std::string& where) {
  static const std::vector<Json> kEmpty;
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return &kEmpty;
  if (!v->is_array()) {
    return Status::invalid_argument(where + "." + std::string(key) + ": expected an array");
  }
  return &v->items();
}

Result<SubscriptionData> parse_subscription_json(const Json& v, const std::string& where) {
  if (!v.is_object()) return Status::invalid_argument(where + ": expected an object");
  std::string topic;
  std::string sub_string;
  RMQ_RETURN_IF_ERROR(read_string(v, "topic", where, &topic));
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
    for (const Json& t : *tags) {
      if (!t.is_string()) return Status::invalid_argument(where + ".tagsSet: not a string");
      sd.tags.insert(t.text());
    }
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
      for (const std::string& t : sd.tags) {
        sd.codes.insert(static_cast<int32_t>(store::tags_hash_code(t)));
      }
    }
  }

  if (const Json* sv = v.find("subVersion"); sv != nullptr && !sv->is_null()) {
    const auto n = sv->as_int();
    if (!n) {
      return Status::invalid_argument(where + ".subVersion: expected an integer, got " +
                                      sv->dump());
    }
    sd.sub_version = *n;
  }
  RMQ_RETURN_IF_ERROR(read_bool(v, "classFilterMode", where, &sd.class_filter_mode));
  return sd;
}

Result<ConsumerData> parse_consumer(const Json& v, const std::string& where) {
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
                         parse_subscription_json((*subs)[i], where + ".subscriptionDataSet[" +
                                                                 std::to_string(i) + "]"));
    cd.subscriptions.push_back(std::move(sd));
  }
  return cd;
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

void append_bool(std::string& out, bool b) { out += b ? "true" : "false"; }

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
      sd.codes.insert(static_cast<int32_t>(store::tags_hash_code(tag)));
    }
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 2);
  }
  return sd;
}

Result<HeartbeatData> parse_heartbeat(common::ByteView body) {
  auto parsed = Json::parse(common::as_string_view(body));
  if (!parsed.ok()) {
    return Status::invalid_argument("HeartbeatData: bad JSON: " +
                                    std::string(parsed.status().message()));
  }
  const Json& root = *parsed;
  if (!root.is_object()) return Status::invalid_argument("HeartbeatData: not a JSON object");
  HeartbeatData hb;
  const std::string where = "HeartbeatData";
  RMQ_RETURN_IF_ERROR(read_string(root, "clientID", where, &hb.client_id));
  if (hb.client_id.empty()) return Status::invalid_argument("HeartbeatData.clientID: missing");

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
    RMQ_ASSIGN_OR_RETURN(
        ConsumerData cd,
        parse_consumer((*consumers)[i], where + ".consumerDataSet[" + std::to_string(i) + "]"));
    hb.consumers.push_back(std::move(cd));
  }
  return hb;
}

std::string encode_heartbeat(const HeartbeatData& hb) {
  std::string out = "{\"clientID\":";
  common::append_json_string(out, hb.client_id);
  out += ",\"consumerDataSet\":[";
  for (size_t i = 0; i < hb.consumers.size(); ++i) {
    const ConsumerData& cd = hb.consumers[i];
    if (i > 0) out += ',';
    out += "{\"consumeFromWhere\":\"";
    out += to_string(cd.consume_from_where);
    out += "\",\"consumeType\":\"";
    out += to_string(cd.consume_type);
    out += "\",\"groupName\":";
    common::append_json_string(out, cd.group);
    out += ",\"messageModel\":\"";
    out += to_string(cd.message_model);
    out += "\",\"subscriptionDataSet\":[";
    for (size_t j = 0; j < cd.subscriptions.size(); ++j) {
      const SubscriptionData& sd = cd.subscriptions[j];
      if (j > 0) out += ',';
      out += "{\"classFilterMode\":";
      append_bool(out, sd.class_filter_mode);
      out += ",\"codeSet\":[";
      bool first = true;
      for (int32_t c : sd.codes) {
        if (!first) out += ',';
        first = false;
        out += std::to_string(c);
      }
      out += "],\"expressionType\":";
      common::append_json_string(out, sd.expression_type);
      out += ",\"subString\":";
      common::append_json_string(out, sd.sub_string);
      out += ",\"subVersion\":";
      out += std::to_string(sd.sub_version);
      out += ",\"tagsSet\":[";
      first = true;
      for (const std::string& t : sd.tags) {
        if (!first) out += ',';
        first = false;
        common::append_json_string(out, t);
      }
      out += "],\"topic\":";
      common::append_json_string(out, sd.topic);
      out += '}';
    }
    out += "],\"unitMode\":";
    append_bool(out, cd.unit_mode);
    out += '}';
  }
  out += "],\"producerDataSet\":[";
  for (size_t i = 0; i < hb.producer_groups.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"groupName\":";
    common::append_json_string(out, hb.producer_groups[i]);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace rmq::broker
