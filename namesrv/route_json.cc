#include "namesrv/route_json.h"

#include "common/check.h"
#include "common/json.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace rmq::namesrv {
namespace {

using common::Json;
using common::Result;
using common::Status;

// A compressed body never inflates past this (a registration of ~100k topics is ~10 MiB).
constexpr size_t kMaxInflatedSize = 64u << 20;

void append_int(std::string& out, int64_t v) { out += std::to_string(v); }

void append_broker_data(std::string& out, const BrokerData& bd) {
  out += "{\"brokerAddrs\":{";
  bool first = true;
  for (const auto& [id, addr] : bd.broker_addrs) {  // ascending brokerId
    if (!first) out += ',';
    first = false;
    out += '"';
    append_int(out, id);
    out += "\":";
    common::append_json_string(out, addr);
  }
  out += "},\"brokerName\":";
  common::append_json_string(out, bd.broker_name);
  out += ",\"cluster\":";
  common::append_json_string(out, bd.cluster);
  out += '}';
}

void append_queue_data(std::string& out, const QueueData& qd) {
  out += "{\"brokerName\":";
  common::append_json_string(out, qd.broker_name);
  out += ",\"perm\":";
  append_int(out, qd.perm);
  out += ",\"readQueueNums\":";
  append_int(out, qd.read_queue_nums);
  out += ",\"topicSysFlag\":";
  append_int(out, qd.topic_sys_flag);
  out += ",\"writeQueueNums\":";
  append_int(out, qd.write_queue_nums);
  out += '}';
}

void append_string_array(std::string& out, const auto& strings) {
  out += '[';
  bool first = true;
  for (const std::string& s : strings) {
    if (!first) out += ',';
    first = false;
    common::append_json_string(out, s);
  }
  out += ']';
}

// An optional integer member of a JSON object: a number or a numeric string within [lo, hi].
Status read_int(const Json& obj, std::string_view key, int64_t lo, int64_t hi,
                const std::string& where, int64_t* out) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  const auto n = v->as_int();
  if (!n || *n < lo || *n > hi) {
    return Status::invalid_argument(where + "." + std::string(key) + ": expected an integer in [" +
                                    std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                                    v->dump());
  }
  *out = *n;
  return Status::ok();
}

Status read_int32(const Json& obj, std::string_view key, int64_t lo, const std::string& where,
                  int32_t* out) {
  int64_t v = *out;
  RMQ_RETURN_IF_ERROR(read_int(obj, key, lo, std::numeric_limits<int32_t>::max(), where, &v));
  *out = static_cast<int32_t>(v);
  return Status::ok();
}

Result<DataVersion> parse_data_version(const Json& v, const std::string& where) {
  DataVersion dv;
  if (v.is_null()) return dv;
  if (!v.is_object()) return Status::invalid_argument(where + ": expected an object");
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  RMQ_RETURN_IF_ERROR(read_int(v, "timestamp", kMin, kMax, where, &dv.timestamp));
  RMQ_RETURN_IF_ERROR(read_int(v, "counter", kMin, kMax, where, &dv.counter));
  return dv;
}

Result<TopicConfig> parse_topic_config(const std::string& key, const Json& v) {
  const std::string where = "topicConfigTable." + key;
  if (!v.is_object()) return Status::invalid_argument(where + ": expected an object");
  TopicConfig tc;
  tc.topic_name = key;
  if (const Json* name = v.find("topicName"); name != nullptr && !name->is_null()) {
    if (!name->is_string()) return Status::invalid_argument(where + ".topicName: not a string");
    if (!name->text().empty()) tc.topic_name = name->text();
  }
  if (tc.topic_name.empty()) return Status::invalid_argument(where + ": empty topic name");
  RMQ_RETURN_IF_ERROR(read_int32(v, "readQueueNums", 0, where, &tc.read_queue_nums));
  RMQ_RETURN_IF_ERROR(read_int32(v, "writeQueueNums", 0, where, &tc.write_queue_nums));
  RMQ_RETURN_IF_ERROR(read_int32(v, "perm", 0, where, &tc.perm));
  RMQ_RETURN_IF_ERROR(read_int32(v, "topicSysFlag", 0, where, &tc.topic_sys_flag));
  return tc;
}

Result<std::vector<std::string>> parse_filter_servers(const Json* v) {
  std::vector<std::string> out;
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array()) return Status::invalid_argument("filterServerList: expected an array");
  for (const Json& item : v->items()) {
    if (!item.is_string()) return Status::invalid_argument("filterServerList: not a string");
    out.push_back(item.text());
  }
  return out;
}

Result<Json> parse_json(std::string_view text, std::string_view what) {
  Json::ParseOptions po;
  po.allow_unquoted_int_keys = true;
  auto parsed = Json::parse(text, po);
  if (!parsed.ok()) {
    return Status::invalid_argument(std::string(what) +
                                    ": bad JSON: " + std::string(parsed.status().message()));
  }
  return parsed;
}

Result<RegisterBrokerBody> decode_json_body(std::string_view text) {
  RegisterBrokerBody body;
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_json(text, "RegisterBrokerBody"));
  if (!root.is_object()) return Status::invalid_argument("RegisterBrokerBody: not a JSON object");
  if (const Json* w = root.find("topicConfigSerializeWrapper"); w != nullptr && !w->is_null()) {
    if (!w->is_object()) {
      return Status::invalid_argument("topicConfigSerializeWrapper: expected an object");
    }
    if (const Json* dv = w->find("dataVersion"); dv != nullptr) {
      RMQ_ASSIGN_OR_RETURN(body.data_version, parse_data_version(*dv, "dataVersion"));
    }
    if (const Json* t = w->find("topicConfigTable"); t != nullptr && !t->is_null()) {
      if (!t->is_object()) return Status::invalid_argument("topicConfigTable: expected an object");
      for (const auto& [key, value] : t->members()) {
        RMQ_ASSIGN_OR_RETURN(TopicConfig tc, parse_topic_config(key, value));
        body.topic_configs.push_back(std::move(tc));
      }
    }
  }
  RMQ_ASSIGN_OR_RETURN(body.filter_server_list,
                       parse_filter_servers(root.find("filterServerList")));
  return body;
}

Result<std::string> inflate_zlib(common::ByteView in) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Status::internal("inflateInit failed");
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (out.size() >= kMaxInflatedSize) {
      inflateEnd(&zs);
      return Status::invalid_argument("compressed RegisterBrokerBody inflates past 64 MiB");
    }
    const size_t old = out.size();
    out.resize(std::min(kMaxInflatedSize, std::max<size_t>(old * 2, 4096)));
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    zs.avail_out = static_cast<uInt>(out.size() - old);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(out.size() - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in > 0) rc = Z_OK;  // output was full: grow and go on
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    return Status::corruption("compressed RegisterBrokerBody: zlib error " + std::to_string(rc) +
                              (zs.msg != nullptr ? std::string(": ") + zs.msg : std::string()));
  }
  return out;
}

// [int32 n][n bytes] of the compressed layout.
Result<std::string> read_chunk(common::Reader& r, std::string_view what) {
  int32_t n = 0;
  std::string out;
  if (!r.read_i32(&n) || n < 0 || !r.read_string(static_cast<size_t>(n), &out)) {
    return Status::invalid_argument("compressed RegisterBrokerBody: truncated " +
                                    std::string(what));
  }
  return out;
}

// Java's TopicConfig.encode(): "name read write perm filterType" (5.x adds " attributesJson").
Result<TopicConfig> parse_topic_config_line(const std::string& line) {
  std::vector<std::string_view> parts;
  std::string_view rest = line;
  while (parts.size() < 5) {
    const size_t sp = rest.find(' ');
    parts.push_back(rest.substr(0, sp));
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  const std::string bad = "compressed RegisterBrokerBody: bad topic config '" + line + "'";
  if (parts.size() < 5 || parts[0].empty()) return Status::invalid_argument(bad);
  TopicConfig tc;
  tc.topic_name = std::string(parts[0]);
  int32_t* fields[] = {&tc.read_queue_nums, &tc.write_queue_nums, &tc.perm};
  for (size_t i = 0; i < 3; ++i) {
    const auto v = Json::string(std::string(parts[i + 1])).as_int();
    if (!v || *v < 0 || *v > std::numeric_limits<int32_t>::max()) {
      return Status::invalid_argument(bad);
    }
    *fields[i] = static_cast<int32_t>(*v);
  }
  return tc;
}

Result<RegisterBrokerBody> decode_compressed_body(common::ByteView in) {
  RMQ_ASSIGN_OR_RETURN(const std::string raw, inflate_zlib(in));
  common::Reader r(common::as_bytes(raw));
  RegisterBrokerBody body;
  RMQ_ASSIGN_OR_RETURN(const std::string dv_text, read_chunk(r, "dataVersion"));
  RMQ_ASSIGN_OR_RETURN(const Json dv, parse_json(dv_text, "dataVersion"));
  RMQ_ASSIGN_OR_RETURN(body.data_version, parse_data_version(dv, "dataVersion"));
  int32_t count = 0;
  if (!r.read_i32(&count) || count < 0 || static_cast<size_t>(count) > r.remaining() / 4) {
    return Status::invalid_argument("compressed RegisterBrokerBody: bad topic count");
  }
  for (int32_t i = 0; i < count; ++i) {
    RMQ_ASSIGN_OR_RETURN(const std::string line, read_chunk(r, "topic config"));
    RMQ_ASSIGN_OR_RETURN(TopicConfig tc, parse_topic_config_line(line));
    body.topic_configs.push_back(std::move(tc));
  }
  RMQ_ASSIGN_OR_RETURN(const std::string fs_text, read_chunk(r, "filterServerList"));
  RMQ_ASSIGN_OR_RETURN(const Json fs, parse_json(fs_text, "filterServerList"));
  RMQ_ASSIGN_OR_RETURN(body.filter_server_list, parse_filter_servers(&fs));
  return body;
}

std::string encode_data_version(const DataVersion& dv) {
  return "{\"counter\":" + std::to_string(dv.counter) +
         ",\"timestamp\":" + std::to_string(dv.timestamp) + "}";
}

}  // namespace

std::string encode_topic_route_data(const TopicRouteData& route) {
  auto by_name = [](const auto& a, const auto& b) { return a.broker_name < b.broker_name; };
  std::vector<BrokerData> brokers = route.broker_datas;
  std::vector<QueueData> queues = route.queue_datas;
  std::stable_sort(brokers.begin(), brokers.end(), by_name);
  std::stable_sort(queues.begin(), queues.end(), by_name);
  std::string out = "{\"brokerDatas\":[";
  for (size_t i = 0; i < brokers.size(); ++i) {
    if (i > 0) out += ',';
    append_broker_data(out, brokers[i]);
  }
  out += "],\"filterServerTable\":{},\"queueDatas\":[";
  for (size_t i = 0; i < queues.size(); ++i) {
    if (i > 0) out += ',';
    append_queue_data(out, queues[i]);
  }
  out += ']';
  if (route.order_topic_conf) {
    out += ",\"orderTopicConf\":";
    common::append_json_string(out, *route.order_topic_conf);
  }
  out += '}';
  return out;
}

std::string encode_cluster_info(const ClusterInfo& info) {
  std::string out = "{\"brokerAddrTable\":{";
  bool first = true;
  for (const auto& [name, bd] : info.broker_addr_table) {
    if (!first) out += ',';
    first = false;
    common::append_json_string(out, name);
    out += ':';
    append_broker_data(out, bd);
  }
  out += "},\"clusterAddrTable\":{";
  first = true;
  for (const auto& [cluster, names] : info.cluster_addr_table) {
    if (!first) out += ',';
    first = false;
    common::append_json_string(out, cluster);
    out += ':';
    append_string_array(out, names);
  }
  out += "}}";
  return out;
}

std::string encode_topic_list(const std::vector<std::string>& topics) {
  std::string out = "{\"topicList\":";
  append_string_array(out, topics);
  out += '}';
  return out;
}

std::string encode_kv_table(const std::map<std::string, std::string>& table) {
  std::string out = "{\"table\":{";
  bool first = true;
  for (const auto& [k, v] : table) {
    if (!first) out += ',';
    first = false;
    common::append_json_string(out, k);
    out += ':';
    common::append_json_string(out, v);
  }
  out += "}}";
  return out;
}

Result<RegisterBrokerBody> decode_register_broker_body(common::ByteView body,
                                                       BodyCompression compression) {
  if (body.empty()) return RegisterBrokerBody{};
  if (compression == BodyCompression::kZlib) return decode_compressed_body(body);
  return decode_json_body(common::as_string_view(body));
}

std::string encode_register_broker_body(const RegisterBrokerBody& body) {
  std::string out = "{\"filterServerList\":";
  append_string_array(out, body.filter_server_list);
  out += ",\"topicConfigSerializeWrapper\":{\"dataVersion\":" +
         encode_data_version(body.data_version) + ",\"topicConfigTable\":{";
  bool first = true;
  for (const TopicConfig& tc : body.topic_configs) {
    if (!first) out += ',';
    first = false;
    common::append_json_string(out, tc.topic_name);
    out += ":{\"order\":false,\"perm\":" + std::to_string(tc.perm) +
           ",\"readQueueNums\":" + std::to_string(tc.read_queue_nums) +
           ",\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":";
    common::append_json_string(out, tc.topic_name);
    out += ",\"topicSysFlag\":" + std::to_string(tc.topic_sys_flag) +
           ",\"writeQueueNums\":" + std::to_string(tc.write_queue_nums) + "}";
  }
  out += "}}}";
  return out;
}

common::Buffer encode_register_broker_body_compressed(const RegisterBrokerBody& body) {
  common::Buffer raw;
  auto put_chunk = [&raw](std::string_view s) {
    raw.put_i32(static_cast<int32_t>(s.size()));
    raw.put_string(s);
  };
  put_chunk(encode_data_version(body.data_version));
  raw.put_i32(static_cast<int32_t>(body.topic_configs.size()));
  for (const TopicConfig& tc : body.topic_configs) {
    put_chunk(tc.topic_name + " " + std::to_string(tc.read_queue_nums) + " " +
              std::to_string(tc.write_queue_nums) + " " + std::to_string(tc.perm) + " SINGLE_TAG");
  }
  std::string servers;
  append_string_array(servers, body.filter_server_list);
  put_chunk(servers);

  uLongf n = compressBound(static_cast<uLong>(raw.size()));
  common::Buffer out;
  out.resize(n);
  // Deflater(BEST_COMPRESSION) with the zlib wrapper, as Java's DeflaterOutputStream writes.
  const int rc =
      compress2(out.data(), &n, raw.data(), static_cast<uLong>(raw.size()), Z_BEST_COMPRESSION);
  RMQ_CHECK(rc == Z_OK);  // only fails on a too-small buffer or bad level
  out.resize(n);
  return out;
}

}  // namespace rmq::namesrv
