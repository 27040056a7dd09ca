#include "namesrv/route_json.h"

#include "common/json.h"
#include "remoting/protocol/compression.h"
#include "remoting/protocol/fastjson.h"

#include <limits>

namespace rmq::namesrv {
namespace {

using common::Json;
using common::Result;
using common::Status;
using remoting::protocol::parse_json;
using remoting::protocol::read_int;

// A compressed body never inflates past this (a registration of ~100k topics is ~10 MiB).
constexpr size_t kMaxInflatedSize = 64u << 20;

Result<DataVersion> parse_data_version(const Json& v, const std::string& where) {
  DataVersion dv;
  if (v.is_null()) return dv;
  if (!v.is_object()) return Status::invalid_argument(where + ": expected an object");
  RMQ_RETURN_IF_ERROR(read_int(v, "timestamp", where, &dv.timestamp));
  RMQ_RETURN_IF_ERROR(read_int(v, "counter", where, &dv.counter));
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
  RMQ_RETURN_IF_ERROR(read_int(v, "readQueueNums", where, &tc.read_queue_nums, 0));
  RMQ_RETURN_IF_ERROR(read_int(v, "writeQueueNums", where, &tc.write_queue_nums, 0));
  RMQ_RETURN_IF_ERROR(read_int(v, "perm", where, &tc.perm, 0));
  RMQ_RETURN_IF_ERROR(read_int(v, "topicSysFlag", where, &tc.topic_sys_flag, 0));
  return tc;
}

Result<std::vector<std::string>> parse_filter_servers(const Json* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  RMQ_RETURN_IF_ERROR(remoting::protocol::strings_from_json(*v, "filterServerList", &out));
  return out;
}

Result<RegisterBrokerBody> decode_json_body(common::ByteView text) {
  RegisterBrokerBody body;
  RMQ_ASSIGN_OR_RETURN(const Json root,
                       remoting::protocol::parse_json_object(text, "RegisterBrokerBody"));
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
  auto inflated = remoting::protocol::zlib_inflate(in, kMaxInflatedSize);
  if (!inflated.ok()) return inflated.status().with_context("compressed RegisterBrokerBody");
  common::Reader r(common::as_bytes(*inflated));
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

Result<RegisterBrokerBody> decode_register_broker_body(common::ByteView body,
                                                       BodyCompression compression) {
  if (body.empty()) return RegisterBrokerBody{};
  if (compression == BodyCompression::kZlib) return decode_compressed_body(body);
  return decode_json_body(body);
}

std::string encode_register_broker_body(const RegisterBrokerBody& body) {
  std::string out = "{\"filterServerList\":";
  remoting::protocol::append_string_array(out, body.filter_server_list);
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
  remoting::protocol::append_string_array(servers, body.filter_server_list);
  put_chunk(servers);
  // Deflater(BEST_COMPRESSION = 9) with the zlib wrapper, as Java's DeflaterOutputStream writes.
  return remoting::protocol::zlib_deflate(raw.view(), 9);
}

}  // namespace rmq::namesrv
