#include "remoting/frame_codec.h"

#include <limits>

namespace rmq::remoting {

using common::Buffer;
using common::ByteView;
using common::Result;
using common::Status;

common::Buffer encode_frame_head(const RemotingCommand& cmd, SerializeType type) {
  Buffer out(256);
  out.put_u32(0);  // total length, patched below
  out.put_u32(0);  // serialize type | header length, patched below
  size_t header_len = 0;
  if (type == SerializeType::kJson) {
    std::string json;
    json.reserve(160 + cmd.ext_fields.size() * 32);
    encode_json_header(cmd, json);
    out.put_string(json);
    header_len = json.size();
  } else {
    const size_t before = out.size();
    encode_rocketmq_header(cmd, out);
    header_len = out.size() - before;
  }
  const uint64_t total = 4 + header_len + cmd.body.size();
  out.patch_be<uint32_t>(0, static_cast<uint32_t>(total));
  out.patch_be<uint32_t>(4, (static_cast<uint32_t>(type) << 24) |
                                static_cast<uint32_t>(header_len & kMaxHeaderLength));
  return out;
}

common::Buffer encode_frame(const RemotingCommand& cmd, SerializeType type) {
  Buffer out = encode_frame_head(cmd, type);
  out.put_bytes(cmd.body.view());
  return out;
}

FrameProbe probe_frame(ByteView data, size_t max_frame_size) {
  FrameProbe p;
  if (data.size() < 4) return p;
  const int32_t length = common::load_be<int32_t>(data.data());
  if (length < 4) {
    p.state = FrameProbe::State::kBad;
    p.error = "frame length " + std::to_string(length) + " is below the minimum of 4";
    return p;
  }
  const size_t frame_size = static_cast<size_t>(length) + 4;
  if (frame_size > max_frame_size) {
    p.state = FrameProbe::State::kBad;
    p.error = "frame of " + std::to_string(frame_size) + " bytes exceeds the limit of " +
              std::to_string(max_frame_size);
    return p;
  }
  if (data.size() < frame_size) return p;
  p.state = FrameProbe::State::kComplete;
  p.frame_size = frame_size;
  return p;
}

Result<RemotingCommand> decode_frame(ByteView frame, SerializeType* type_out) {
  if (frame.size() < 8) return Status::corruption("frame shorter than 8 bytes");
  const uint32_t length = common::load_be<uint32_t>(frame.data());
  if (static_cast<size_t>(length) + 4 != frame.size()) {
    return Status::corruption("frame length field " + std::to_string(length) +
                              " does not match frame size " + std::to_string(frame.size()));
  }
  const uint32_t word = common::load_be<uint32_t>(frame.data() + 4);
  const uint8_t type = static_cast<uint8_t>(word >> 24);
  const size_t header_len = word & kMaxHeaderLength;
  if (header_len > frame.size() - 8) {
    return Status::corruption("header length " + std::to_string(header_len) +
                              " exceeds the frame (" + std::to_string(frame.size() - 8) +
                              " bytes after the length words)");
  }
  const ByteView header = frame.subspan(8, header_len);
  const ByteView body = frame.subspan(8 + header_len);
  RemotingCommand cmd;
  cmd.language.clear();
  cmd.version = 0;
  Status st;
  if (type == static_cast<uint8_t>(SerializeType::kJson)) {
    st = decode_json_header(common::as_string_view(header), &cmd);
  } else if (type == static_cast<uint8_t>(SerializeType::kRocketmq)) {
    st = decode_rocketmq_header(header, &cmd);
  } else {
    return Status::corruption("unknown serialize type " + std::to_string(type));
  }
  if (!st.is_ok()) return st;
  if (type_out != nullptr) *type_out = static_cast<SerializeType>(type);
  cmd.serialize_type = static_cast<SerializeType>(type);
  cmd.body.put_bytes(body);
  return cmd;
}

}  // namespace rmq::remoting
