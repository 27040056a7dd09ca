// The JSON header serialization (type 0): the only one real clients use. We write keys in
// fastjson's alphabetical order and every extFields value as a JSON string; we read any JSON
// type for every field and coerce it (PROTOCOL.md §1.1).
#include "common/json.h"
#include "remoting/frame_codec.h"

#include <limits>

namespace rmq::remoting {

using common::Json;
using common::Status;

void encode_json_header(const RemotingCommand& cmd, std::string& out) {
  out += "{\"code\":";
  out += std::to_string(cmd.code);
  if (!cmd.ext_fields.empty()) {
    out += ",\"extFields\":{";
    bool first = true;
    for (const auto& [k, v] : cmd.ext_fields.entries()) {
      if (!first) out.push_back(',');
      first = false;
      common::append_json_string(out, k);
      out.push_back(':');
      common::append_json_string(out, v);
    }
    out.push_back('}');
  }
  out += ",\"flag\":";
  out += std::to_string(cmd.flag);
  out += ",\"language\":";
  common::append_json_string(out, cmd.language);
  out += ",\"opaque\":";
  out += std::to_string(cmd.opaque);
  if (cmd.remark) {
    out += ",\"remark\":";
    common::append_json_string(out, *cmd.remark);
  }
  out += ",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":";
  out += std::to_string(cmd.version);
  out.push_back('}');
}

namespace {

Status read_int32(const Json& v, std::string_view key, int32_t* out) {
  const auto i = v.as_int();
  if (!i || *i < std::numeric_limits<int32_t>::min() || *i > std::numeric_limits<int32_t>::max()) {
    return Status::corruption("header field '" + std::string(key) +
                              "' is not a 32-bit integer: " + v.to_plain_string().substr(0, 64));
  }
  *out = static_cast<int32_t>(*i);
  return Status::ok();
}

}  // namespace

Status decode_json_header(std::string_view header, RemotingCommand* cmd) {
  auto parsed = Json::parse(header);
  if (!parsed.ok())
    return Status::corruption("invalid JSON header: " + std::string(parsed.status().message()));
  const Json& root = *parsed;
  if (!root.is_object()) return Status::corruption("JSON header is not an object");
  bool has_code = false;
  for (const auto& [key, v] : root.members()) {
    if (key == "code") {
      RMQ_RETURN_IF_ERROR(read_int32(v, key, &cmd->code));
      has_code = true;
    } else if (key == "opaque") {
      RMQ_RETURN_IF_ERROR(read_int32(v, key, &cmd->opaque));
    } else if (key == "flag") {
      RMQ_RETURN_IF_ERROR(read_int32(v, key, &cmd->flag));
    } else if (key == "version") {
      RMQ_RETURN_IF_ERROR(read_int32(v, key, &cmd->version));
    } else if (key == "language") {
      cmd->language = v.to_plain_string();
    } else if (key == "remark") {
      if (v.is_null()) {
        cmd->remark.reset();
      } else {
        cmd->remark = v.to_plain_string();
      }
    } else if (key == "extFields") {
      if (v.is_null()) continue;
      if (!v.is_object()) return Status::corruption("header field 'extFields' is not an object");
      cmd->ext_fields.reserve(v.members().size());
      for (const auto& [ek, ev] : v.members()) {
        if (ev.is_null()) continue;  // a Java null is an absent field
        cmd->ext_fields.append(ek, ev.to_plain_string());
      }
    }
    // Other keys (serializeTypeCurrentRPC, ...) are informational.
  }
  if (!has_code) return Status::corruption("JSON header has no 'code'");
  return Status::ok();
}

}  // namespace rmq::remoting
