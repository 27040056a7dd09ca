// libFuzzer target for the remoting frame decoders (remoting/frame_codec.h).
//
// The input is treated four ways: as a byte stream cut into frames with probe_frame (what a
// connection does), as one whole frame for decode_frame, and as a bare JSON header and a bare
// ROCKETMQ header. Nothing may crash, hang or trip ASan/UBSan, and every command that decodes must
// re-encode (same serialization) into a frame that decodes again to an equal command.
// Built and run by tests/fuzz/run_fuzz.sh.
#include "common/bytes.h"
#include "remoting/frame_codec.h"
#include "remoting/remoting_command.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using rmq::common::Buffer;
using rmq::common::ByteView;
using rmq::remoting::FrameProbe;
using rmq::remoting::RemotingCommand;
using rmq::remoting::SerializeType;

[[noreturn]] void fail(const char* what, const RemotingCommand& cmd) {
  std::fprintf(stderr, "frame_decoder_fuzz: %s\n  command: %s\n", what, cmd.describe().c_str());
  std::abort();
}

// decode(encode(cmd)) must succeed and give cmd back.
void check_frame_round_trip(const RemotingCommand& cmd, SerializeType type) {
  const Buffer frame = rmq::remoting::encode_frame(cmd, type);
  const FrameProbe p = rmq::remoting::probe_frame(frame.view());
  if (p.state != FrameProbe::State::kComplete || p.frame_size != frame.size()) {
    fail("probe_frame does not see the re-encoded frame as one complete frame", cmd);
  }
  SerializeType type2 =
      type == SerializeType::kJson ? SerializeType::kRocketmq : SerializeType::kJson;
  auto again = rmq::remoting::decode_frame(frame.view(), &type2);
  if (!again.ok()) {
    std::fprintf(stderr, "re-decode error: %s\n", again.status().to_string().c_str());
    fail("re-encoded frame does not decode", cmd);
  }
  if (type2 != type) fail("re-encoded frame changed serialize type", cmd);
  if (!(*again == cmd)) {
    std::fprintf(stderr, "  again:   %s\n", again->describe().c_str());
    fail("re-encoded frame decodes to a different command", cmd);
  }
}

void fuzz_stream(ByteView in, size_t max_frame_size) {
  ByteView rest = in;
  while (true) {
    const FrameProbe p = rmq::remoting::probe_frame(rest, max_frame_size);
    if (p.state != FrameProbe::State::kComplete) {
      if (p.state == FrameProbe::State::kBad && p.error.empty()) {
        fail("kBad probe without an error text", RemotingCommand());
      }
      return;
    }
    if (p.frame_size < 8 || p.frame_size > rest.size() || p.frame_size > max_frame_size) {
      fail("probe_frame returned an impossible frame size", RemotingCommand());
    }
    SerializeType type = SerializeType::kJson;
    auto cmd = rmq::remoting::decode_frame(rest.first(p.frame_size), &type);
    if (cmd.ok()) check_frame_round_trip(*cmd, type);
    rest = rest.subspan(p.frame_size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in(data, size);

  // 1. A connection's receive buffer, with the real limit and with a tiny one.
  fuzz_stream(in, rmq::remoting::kDefaultMaxFrameSize);
  fuzz_stream(in, 64);

  // 2. The whole input as one frame (length word and all).
  {
    SerializeType type = SerializeType::kJson;
    auto cmd = rmq::remoting::decode_frame(in, &type);
    if (cmd.ok()) check_frame_round_trip(*cmd, type);
  }

  // 3. The input as a bare JSON header.
  {
    RemotingCommand cmd;
    if (rmq::remoting::decode_json_header(rmq::common::as_string_view(in), &cmd).is_ok()) {
      check_frame_round_trip(cmd, SerializeType::kJson);
      std::string json;
      rmq::remoting::encode_json_header(cmd, json);
      RemotingCommand again;
      if (!rmq::remoting::decode_json_header(json, &again).is_ok() || !(again == cmd)) {
        fail("bare JSON header does not round-trip", cmd);
      }
    }
  }

  // 4. The input as a bare ROCKETMQ header.
  {
    RemotingCommand cmd;
    if (rmq::remoting::decode_rocketmq_header(in, &cmd).is_ok()) {
      check_frame_round_trip(cmd, SerializeType::kRocketmq);
      Buffer header;
      rmq::remoting::encode_rocketmq_header(cmd, header);
      RemotingCommand again;
      if (!rmq::remoting::decode_rocketmq_header(header.view(), &again).is_ok() ||
          !(again == cmd)) {
        fail("bare ROCKETMQ header does not round-trip", cmd);
      }
    }
  }
  return 0;
}
