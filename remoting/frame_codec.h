// Pure encode/decode of RocketMQ remoting frames (NettyEncoder/NettyDecoder), no I/O:
//   [4: length = 4 + headerLength + bodyLength][1: serialize type][3: headerLength][header][body]
// All integers big-endian. Responses are always encoded JSON (clients read all 4 bytes of the
// header-length word as the length; PROTOCOL.md §1). Decoding validates every length before use and
// never reads outside the given bytes.
#pragma once

#include "common/bytes.h"
#include "common/result.h"
#include "remoting/remoting_command.h"

#include <cstddef>
#include <string>

namespace rmq::remoting {

// The largest frame accepted, counting its 4-byte length prefix (Java's FRAME_MAX_LENGTH).
inline constexpr size_t kDefaultMaxFrameSize = 16 * 1024 * 1024;
inline constexpr size_t kMaxHeaderLength = 0xFFFFFF;  // 3 bytes

// The frame up to (not including) the body; send it followed by cmd.body.
common::Buffer encode_frame_head(const RemotingCommand& cmd,
                                 SerializeType type = SerializeType::kJson);
// The whole frame in one buffer (tests, small messages).
common::Buffer encode_frame(const RemotingCommand& cmd, SerializeType type = SerializeType::kJson);

// What the start of a receive buffer holds.
struct FrameProbe {
  enum class State { kNeedMore, kComplete, kBad };
  State state = State::kNeedMore;
  size_t frame_size = 0;  // with kComplete: bytes of the whole frame, length prefix included
  std::string error;      // with kBad: why the stream cannot continue
};
// Inspects `data` (the unread bytes of a connection). kBad means the length is negative, shorter
// than the header-length word, or over max_frame_size: the connection must be closed.
FrameProbe probe_frame(common::ByteView data, size_t max_frame_size = kDefaultMaxFrameSize);

// Decodes one whole frame (length prefix included), e.g. data.first(probe.frame_size).
// `type_out`, if given, receives the frame's header serialization.
common::Result<RemotingCommand> decode_frame(common::ByteView frame,
                                             SerializeType* type_out = nullptr);

// The two header serializations, exposed for golden tests.
void encode_json_header(const RemotingCommand& cmd, std::string& out);
common::Status decode_json_header(std::string_view header, RemotingCommand* cmd);
void encode_rocketmq_header(const RemotingCommand& cmd, common::Buffer& out);
common::Status decode_rocketmq_header(common::ByteView header, RemotingCommand* cmd);

// LanguageCode byte <-> name for the ROCKETMQ header ("JAVA" = 0, "CPP" = 1, ...).
uint8_t language_to_byte(std::string_view name);
std::string_view language_from_byte(uint8_t b);

}  // namespace rmq::remoting
