// The ROCKETMQ binary header serialization (type 1), RocketMQSerializable.java's layout:
//   [2 code][1 language][2 version][4 opaque][4 flag][4 remarkLen][remark]
//   [4 extLen][ repeated: 2 keyLen, key, 4 valLen, val ]
// Neither reference client uses it; we decode it and can encode it for Java peers and tests.
#include "remoting/frame_codec.h"

#include <array>

namespace rmq::remoting {

using common::Buffer;
using common::ByteView;
using common::Reader;
using common::Status;

namespace {
constexpr std::array<std::string_view, 14> kLanguages = {
    "JAVA",  "CPP",  "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO",     "PHP",    "OMS",    "RUST",   "NODE_JS"};
}  // namespace

uint8_t language_to_byte(std::string_view name) {
  for (size_t i = 0; i < kLanguages.size(); ++i) {
    if (kLanguages[i] == name) return static_cast<uint8_t>(i);
  }
  return 7;  // OTHER
}

std::string_view language_from_byte(uint8_t b) {
  return b < kLanguages.size() ? kLanguages[b] : std::string_view("OTHER");
}

void encode_rocketmq_header(const RemotingCommand& cmd, Buffer& out) {
  out.put_i16(static_cast<int16_t>(cmd.code));
  out.put_u8(language_to_byte(cmd.language));
  out.put_i16(static_cast<int16_t>(cmd.version));
  out.put_i32(cmd.opaque);
  out.put_i32(cmd.flag);
  if (cmd.remark && !cmd.remark->empty()) {
    out.put_u32(static_cast<uint32_t>(cmd.remark->size()));
    out.put_string(*cmd.remark);
  } else {
    out.put_u32(0);
  }
  const size_t ext_len_pos = out.size();
  out.put_u32(0);
  for (const auto& [k, v] : cmd.ext_fields.entries()) {
    out.put_u16(static_cast<uint16_t>(k.size()));
    out.put_string(k);
    out.put_u32(static_cast<uint32_t>(v.size()));
    out.put_string(v);
  }
  out.patch_be<uint32_t>(ext_len_pos, static_cast<uint32_t>(out.size() - ext_len_pos - 4));
}

Status decode_rocketmq_header(ByteView header, RemotingCommand* cmd) {
  Reader r(header);
  int16_t code = 0;
  uint8_t lang = 0;
  int16_t version = 0;
  uint32_t remark_len = 0;
  if (!r.read_i16(&code) || !r.read_u8(&lang) || !r.read_i16(&version) ||
      !r.read_i32(&cmd->opaque) || !r.read_i32(&cmd->flag) || !r.read_u32(&remark_len)) {
    return Status::corruption("ROCKETMQ header truncated in its fixed part");
  }
  cmd->code = code;
  cmd->language = std::string(language_from_byte(lang));
  cmd->version = version;
  if (remark_len > 0) {
    std::string remark;
    if (!r.read_string(remark_len, &remark)) {
      return Status::corruption("ROCKETMQ header remark length " + std::to_string(remark_len) +
                                " exceeds the header");
    }
    cmd->remark = std::move(remark);
  }
  uint32_t ext_len = 0;
  if (!r.read_u32(&ext_len))
    return Status::corruption("ROCKETMQ header truncated before extFields");
  ByteView ext;
  if (!r.read_view(ext_len, &ext)) {
    return Status::corruption("ROCKETMQ header extFields length " + std::to_string(ext_len) +
                              " exceeds the header");
  }
  Reader er(ext);
  while (!er.at_end()) {
    uint16_t klen = 0;
    uint32_t vlen = 0;
    std::string k;
    std::string v;
    if (!er.read_u16(&klen) || !er.read_string(klen, &k) || !er.read_u32(&vlen) ||
        !er.read_string(vlen, &v)) {
      return Status::corruption("ROCKETMQ header extFields entry truncated");
    }
    cmd->ext_fields.append(std::move(k), std::move(v));
  }
  return Status::ok();
}

}  // namespace rmq::remoting
