#include "client/consumer_wire.h"

#include "common/json.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace rmq::client {

using common::Json;
using common::Result;
using common::Status;

namespace {

void append_queue(std::string& out, const QueueRef& q) {
  out += "{\"brokerName\":";
  common::append_json_string(out, q.broker_name);
  out += ",\"queueId\":";
  out += std::to_string(q.queue_id);
  out += ",\"topic\":";
  common::append_json_string(out, q.topic);
  out += '}';
}

Result<QueueRef> queue_from_json(const Json& v, const std::string& where) {
  if (!v.is_object()) return Status::invalid_argument(where + ": expected an object");
  QueueRef q;
  q.topic = v.get_string("topic");
  q.broker_name = v.get_string("brokerName");
  const Json* id = v.find("queueId");
  if (q.topic.empty() || id == nullptr || !id->as_int()) {
    return Status::invalid_argument(where + ": topic or queueId missing");
  }
  q.queue_id = static_cast<int32_t>(*id->as_int());
  return q;
}

Result<Json> parse_object(std::string_view body, const std::string& what) {
  auto j = Json::parse(body);
  if (!j.ok()) return Status::invalid_argument(what + ": " + std::string(j.status().message()));
  if (!j->is_object()) return Status::invalid_argument(what + ": not a JSON object");
  return j;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view to_string(ConsumeFromWhere v) {
  switch (v) {
    case ConsumeFromWhere::kLastOffset:
      return "CONSUME_FROM_LAST_OFFSET";
    case ConsumeFromWhere::kFirstOffset:
      return "CONSUME_FROM_FIRST_OFFSET";
    case ConsumeFromWhere::kTimestamp:
      return "CONSUME_FROM_TIMESTAMP";
  }
  return "CONSUME_FROM_LAST_OFFSET";
}

std::string_view to_string(MessageModel v) {
  return v == MessageModel::kBroadcasting ? "BROADCASTING" : "CLUSTERING";
}

int32_t java_string_hash(std::string_view s) {
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = 31 * h + unit; };
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xF0) {
      len = 4;
      cp = c & 0x07u;
    } else if (c >= 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
    }
    if (len > 1 && i + len <= s.size()) {
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3Fu);
    } else {
      len = 1;
      cp = c;  // malformed: one unit per byte
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    } else {
      add(cp);
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

TagFilter TagFilter::parse(std::string_view expression) {
  TagFilter f;
  const std::string_view e = trim(expression);
  if (e.empty() || e == "*") return f;
  f.sub_string = std::string(e);
  size_t start = 0;
  while (start <= e.size()) {
    size_t end = e.find("||", start);
    if (end == std::string_view::npos) end = e.size();
    const std::string_view tag = trim(e.substr(start, end - start));
    if (!tag.empty()) f.tags.insert(std::string(tag));
    start = end + 2;
  }
  if (f.tags.empty()) f.sub_string = "*";
  return f;
}

std::set<int32_t> TagFilter::codes() const {
  std::set<int32_t> out;
  for (const auto& t : tags) out.insert(java_string_hash(t));
  return out;
}

std::string encode_consumer_heartbeat(const ConsumerHeartbeat& hb) {
  std::string out = "{\"clientID\":";
  common::append_json_string(out, hb.client_id);
  out += ",\"consumerDataSet\":[{\"consumeFromWhere\":\"";
  out += to_string(hb.consume_from);
  out += "\",\"consumeType\":\"CONSUME_PASSIVELY\",\"groupName\":";
  common::append_json_string(out, hb.group);
  out += ",\"messageModel\":\"";
  out += to_string(hb.model);
  out += "\",\"subscriptionDataSet\":[";
  for (size_t i = 0; i < hb.subscriptions.size(); ++i) {
    const TagFilter f = TagFilter::parse(hb.subscriptions[i].expression);
    if (i > 0) out += ',';
    out += "{\"classFilterMode\":false,\"codeSet\":[";
    bool first = true;
    for (int32_t c : f.codes()) {
      if (!first) out += ',';
      first = false;
      out += std::to_string(c);
    }
    out += "],\"expressionType\":\"TAG\",\"subString\":";
    common::append_json_string(out, f.sub_string);
    out += ",\"subVersion\":";
    out += std::to_string(hb.sub_version);
    out += ",\"tagsSet\":[";
    first = true;
    for (const auto& t : f.tags) {
      if (!first) out += ',';
      first = false;
      common::append_json_string(out, t);
    }
    out += "],\"topic\":";
    common::append_json_string(out, hb.subscriptions[i].topic);
    out += '}';
  }
  out += "],\"unitMode\":false}],\"producerDataSet\":[]}";
  return out;
}

Result<std::vector<std::string>> parse_consumer_id_list(std::string_view body) {
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_object(body, "ConsumerListByGroupResponseBody"));
  std::vector<std::string> ids;
  const Json* list = root.find("consumerIdList");
  if (list == nullptr || list->is_null()) return ids;
  if (!list->is_array()) return Status::invalid_argument("consumerIdList: expected an array");
  for (const Json& id : list->items()) {
    if (!id.is_string()) return Status::invalid_argument("consumerIdList: not a string");
    ids.push_back(id.text());
  }
  return ids;
}

std::string encode_lock_batch_body(const std::string& group, const std::string& client_id,
                                   const std::vector<QueueRef>& queues) {
  std::string out = "{\"clientId\":";
  common::append_json_string(out, client_id);
  out += ",\"consumerGroup\":";
  common::append_json_string(out, group);
  out += ",\"mqSet\":[";
  for (size_t i = 0; i < queues.size(); ++i) {
    if (i > 0) out += ',';
    append_queue(out, queues[i]);
  }
  out += "],\"onlyThisBroker\":false}";
  return out;
}

Result<std::set<QueueRef>> parse_lock_batch_response_body(std::string_view body) {
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_object(body, "LockBatchResponseBody"));
  std::set<QueueRef> out;
  const Json* set = root.find("lockOKMQSet");
  if (set == nullptr || set->is_null()) return out;
  if (!set->is_array()) return Status::invalid_argument("lockOKMQSet: expected an array");
  for (const Json& v : set->items()) {
    RMQ_ASSIGN_OR_RETURN(QueueRef q, queue_from_json(v, "lockOKMQSet"));
    out.insert(std::move(q));
  }
  return out;
}

std::string encode_offset_table(const std::map<QueueRef, int64_t>& offsets) {
  std::string out = "{\"offsetTable\":[";
  bool first = true;
  for (const auto& [q, off] : offsets) {
    if (!first) out += ',';
    first = false;
    out += "\n  ";
    append_queue(out, q);
    out.pop_back();
    out += ",\"offset\":";
    out += std::to_string(off);
    out += '}';
  }
  out += "\n]}\n";
  return out;
}

Result<std::map<QueueRef, int64_t>> parse_offset_table(std::string_view text) {
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_object(text, "offset file"));
  std::map<QueueRef, int64_t> out;
  const Json* table = root.find("offsetTable");
  if (table == nullptr || !table->is_array()) {
    return Status::invalid_argument("offset file: offsetTable missing");
  }
  for (const Json& v : table->items()) {
    RMQ_ASSIGN_OR_RETURN(QueueRef q, queue_from_json(v, "offsetTable"));
    const Json* off = v.find("offset");
    if (off == nullptr || !off->as_int() || *off->as_int() < 0) {
      return Status::invalid_argument("offsetTable: bad offset");
    }
    out[q] = *off->as_int();
  }
  return out;
}

std::string local_ipv4() {
  std::string found = "127.0.0.1";
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return found;
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if ((a->ifa_flags & IFF_LOOPBACK) != 0 || (a->ifa_flags & IFF_UP) == 0) continue;
    char buf[INET_ADDRSTRLEN];
    const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if (::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf) != nullptr) {
      found = buf;
      break;
    }
  }
  ::freeifaddrs(list);
  return found;
}

}  // namespace rmq::client
