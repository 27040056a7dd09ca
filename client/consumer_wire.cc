#include "client/consumer_wire.h"

#include "common/java_hash.h"
#include "common/json.h"
#include "remoting/protocol/fastjson.h"
#include "remoting/protocol/heartbeat.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace rmq::client {

using common::Json;
using common::Result;
using common::Status;
namespace protocol = remoting::protocol;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

protocol::ConsumeFromWhere to_protocol(ConsumeFromWhere v) {
  switch (v) {
    case ConsumeFromWhere::kLastOffset:
      return protocol::ConsumeFromWhere::kConsumeFromLastOffset;
    case ConsumeFromWhere::kFirstOffset:
      return protocol::ConsumeFromWhere::kConsumeFromFirstOffset;
    case ConsumeFromWhere::kTimestamp:
      return protocol::ConsumeFromWhere::kConsumeFromTimestamp;
  }
  return protocol::ConsumeFromWhere::kConsumeFromLastOffset;
}

protocol::MessageModel to_protocol(MessageModel v) {
  return v == MessageModel::kBroadcasting ? protocol::MessageModel::kBroadcasting
                                          : protocol::MessageModel::kClustering;
}

}  // namespace

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
  for (const auto& t : tags) out.insert(common::java_string_hash(t));
  return out;
}

std::string encode_consumer_heartbeat(const ConsumerHeartbeat& hb) {
  protocol::ConsumerData cd;
  cd.group = hb.group;
  cd.consume_type = protocol::ConsumeType::kConsumePassively;
  cd.message_model = to_protocol(hb.model);
  cd.consume_from_where = to_protocol(hb.consume_from);
  for (const ConsumerHeartbeat::Subscription& sub : hb.subscriptions) {
    const TagFilter f = TagFilter::parse(sub.expression);
    protocol::SubscriptionData sd;
    sd.topic = sub.topic;
    sd.sub_string = f.sub_string;
    sd.expression_type = protocol::kExpressionTypeTag;
    sd.tags = f.tags;
    sd.codes = f.codes();
    sd.sub_version = hb.sub_version;
    cd.subscriptions.push_back(std::move(sd));
  }
  protocol::HeartbeatData data;
  data.client_id = hb.client_id;
  data.consumers.push_back(std::move(cd));
  return protocol::encode_heartbeat(data);
}

std::string encode_offset_table(const std::map<QueueRef, int64_t>& offsets) {
  std::string out = "{\"offsetTable\":[";
  bool first = true;
  for (const auto& [q, off] : offsets) {
    if (!first) out += ',';
    first = false;
    out += "\n  ";
    protocol::append_message_queue(out, q);
    out.pop_back();
    out += ",\"offset\":";
    out += std::to_string(off);
    out += '}';
  }
  out += "\n]}\n";
  return out;
}

Result<std::map<QueueRef, int64_t>> parse_offset_table(std::string_view text) {
  RMQ_ASSIGN_OR_RETURN(const Json root,
                       protocol::parse_json_object(common::as_bytes(text), "offset file"));
  std::map<QueueRef, int64_t> out;
  const Json* table = root.find("offsetTable");
  if (table == nullptr || !table->is_array()) {
    return Status::invalid_argument("offset file: offsetTable missing");
  }
  for (const Json& v : table->items()) {
    RMQ_ASSIGN_OR_RETURN(QueueRef q, protocol::message_queue_from_json(v, "offsetTable"));
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
