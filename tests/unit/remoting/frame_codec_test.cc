// frame_codec: encode/decode of [len][type<<24 | headerLen][header][body] (PROTOCOL.md §1),
// both header serializations, probe_frame's reassembly decisions, and every malformed-input path.
#include "remoting/frame_codec.h"

#include "common/bytes.h"
#include "tests/unit/remoting/command_printer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::remoting {
namespace {

using common::Buffer;
using common::ByteView;
using State = FrameProbe::State;

// Builds a frame by hand: the codec under test is not used to make its own inputs.
Buffer raw_frame(uint8_t type, ByteView header, ByteView body = {}) {
  Buffer b;
  b.put_u32(static_cast<uint32_t>(4 + header.size() + body.size()));
  b.put_u32((static_cast<uint32_t>(type) << 24) | static_cast<uint32_t>(header.size()));
  b.put_bytes(header);
  b.put_bytes(body);
  return b;
}

Buffer json_frame(std::string_view header, std::string_view body = {}) {
  return raw_frame(0, common::as_bytes(header), common::as_bytes(body));
}

Buffer length_word_only(uint32_t length) {
  Buffer b;
  b.put_u32(length);
  return b;
}

common::Result<RemotingCommand> decode_json(std::string_view header) {
  return decode_frame(json_frame(header).view());
}

RemotingCommand sample_request() {
  RemotingCommand cmd = RemotingCommand::request(RequestCode::kSendMessageV2);
  cmd.language = "JAVA";
  cmd.version = 121;
  cmd.opaque = 42;
  cmd.ext_fields.set("a", "group");
  cmd.ext_fields.set("b", "TopicTest");
  cmd.ext_fields.set("e", int64_t{3});
  cmd.ext_fields.set("i", std::string("TAGS\x01TagA\x02", 11));
  cmd.ext_fields.set("k", "false");
  cmd.body = Buffer(std::string_view("hello body"));
  return cmd;
}

RemotingCommand sample_response() {
  RemotingCommand req = sample_request();
  RemotingCommand resp = RemotingCommand::response_to(req, ResponseCode::kSystemBusy,
                                                      "busy \"now\"\n\ttry \xC3\xA9 later");
  resp.ext_fields.set("queueOffset", int64_t{-1});
  resp.ext_fields.set("", "empty key");
  return resp;
}

// Header JSON text of an encoded JSON frame.
std::string header_text(const Buffer& frame) {
  const uint32_t word = common::load_be<uint32_t>(frame.data() + 4);
  return std::string(frame.str().substr(8, word & 0xFFFFFF));
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(FrameCodecTest, JsonRoundTripRequestWithBody) {
  const RemotingCommand cmd = sample_request();
  const Buffer frame = encode_frame(cmd);
  ASSERT_GE(frame.size(), 8u);
  EXPECT_EQ(common::load_be<uint32_t>(frame.data()), frame.size() - 4);
  EXPECT_EQ(frame.data()[4], 0) << "JSON serialize type";
  const uint32_t header_len = common::load_be<uint32_t>(frame.data() + 4) & 0xFFFFFF;
  EXPECT_EQ(frame.size(), 8 + header_len + cmd.body.size());
  EXPECT_EQ(frame.str().substr(frame.size() - cmd.body.size()), "hello body");

  SerializeType type = SerializeType::kRocketmq;
  auto decoded = decode_frame(frame.view(), &type);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(type, SerializeType::kJson);
  EXPECT_EQ(*decoded, cmd);
}

TEST(FrameCodecTest, JsonRoundTripResponseWithEscapedRemark) {
  const RemotingCommand cmd = sample_response();
  auto decoded = decode_frame(encode_frame(cmd).view());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, cmd);
  EXPECT_TRUE(decoded->is_response());
  EXPECT_EQ(decoded->remark, "busy \"now\"\n\ttry \xC3\xA9 later");
}

TEST(FrameCodecTest, JsonHeaderKeyOrderAndStringValues) {
  RemotingCommand cmd = RemotingCommand::request(RequestCode::kPullMessage);
  cmd.opaque = 5;
  cmd.ext_fields.set("queueId", int64_t{2});
  cmd.ext_fields.set("commitOffset", "7");
  EXPECT_EQ(header_text(encode_frame(cmd)),
            R"({"code":11,"extFields":{"queueId":"2","commitOffset":"7"},"flag":0,)"
            R"("language":"CPP","opaque":5,"serializeTypeCurrentRPC":"JSON","version":401})");
}

TEST(FrameCodecTest, JsonNullRemarkIsOmittedAndEmptyRemarkKept) {
  RemotingCommand cmd = RemotingCommand::request(RequestCode::kHeartBeat);
  EXPECT_EQ(header_text(encode_frame(cmd)).find("remark"), std::string::npos);
  EXPECT_EQ(header_text(encode_frame(cmd)).find("extFields"), std::string::npos)
      << "empty extFields are left out";
  auto null_remark = decode_frame(encode_frame(cmd).view());
  ASSERT_TRUE(null_remark.ok());
  EXPECT_FALSE(null_remark->remark.has_value());

  cmd.remark = "";
  EXPECT_NE(header_text(encode_frame(cmd)).find(R"("remark":"")"), std::string::npos);
  auto empty_remark = decode_frame(encode_frame(cmd).view());
  ASSERT_TRUE(empty_remark.ok());
  ASSERT_TRUE(empty_remark->remark.has_value());
  EXPECT_EQ(*empty_remark->remark, "");
}

TEST(FrameCodecTest, RocketmqRoundTrip) {
  for (const RemotingCommand& cmd : {sample_request(), sample_response()}) {
    const Buffer frame = encode_frame(cmd, SerializeType::kRocketmq);
    EXPECT_EQ(common::load_be<uint32_t>(frame.data()), frame.size() - 4);
    EXPECT_EQ(frame.data()[4], 1) << "ROCKETMQ serialize type";
    SerializeType type = SerializeType::kJson;
    auto decoded = decode_frame(frame.view(), &type);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(type, SerializeType::kRocketmq);
    EXPECT_EQ(*decoded, cmd);
  }
}

TEST(FrameCodecTest, RocketmqEmptyRemarkDecodesAsNull) {
  RemotingCommand cmd = RemotingCommand::request(RequestCode::kHeartBeat);
  cmd.remark = "";
  auto decoded = decode_frame(encode_frame(cmd, SerializeType::kRocketmq).view());
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->remark.has_value()) << "length 0 means null (PROTOCOL.md §1.2)";
}

TEST(FrameCodecTest, RocketmqLanguageBytes) {
  EXPECT_EQ(language_to_byte("JAVA"), 0);
  EXPECT_EQ(language_to_byte("CPP"), 1);
  EXPECT_EQ(language_to_byte("GO"), 9);
  EXPECT_EQ(language_to_byte("NODE_JS"), 13);
  EXPECT_EQ(language_to_byte("COBOL"), 7) << "unknown names become OTHER";
  EXPECT_EQ(language_from_byte(0), "JAVA");
  EXPECT_EQ(language_from_byte(12), "RUST");
  EXPECT_EQ(language_from_byte(13), "NODE_JS");
  EXPECT_EQ(language_from_byte(14), "OTHER");
  EXPECT_EQ(language_from_byte(255), "OTHER");

  RemotingCommand cmd = RemotingCommand::request(RequestCode::kHeartBeat);
  cmd.language = "COBOL";
  auto decoded = decode_frame(encode_frame(cmd, SerializeType::kRocketmq).view());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->language, "OTHER");
}

TEST(FrameCodecTest, RocketmqNegativeShortFieldsSignExtend) {
  RemotingCommand cmd = RemotingCommand::request(-5);
  cmd.version = -2;
  cmd.opaque = std::numeric_limits<int32_t>::min();
  cmd.flag = -1;
  auto decoded = decode_frame(encode_frame(cmd, SerializeType::kRocketmq).view());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->code, -5);
  EXPECT_EQ(decoded->version, -2);
  EXPECT_EQ(decoded->opaque, std::numeric_limits<int32_t>::min());
  EXPECT_EQ(decoded->flag, -1);
}

TEST(FrameCodecTest, EncodeFrameHeadPlusBodyIsEncodeFrame) {
  const RemotingCommand cmd = sample_request();
  for (SerializeType type : {SerializeType::kJson, SerializeType::kRocketmq}) {
    Buffer head = encode_frame_head(cmd, type);
    EXPECT_EQ(common::load_be<uint32_t>(head.data()), head.size() - 4 + cmd.body.size())
        << "the length word counts the body that follows the head";
    head.put_bytes(cmd.body.view());
    EXPECT_EQ(head, encode_frame(cmd, type));
  }
}

TEST(FrameCodecTest, BinaryBodyIsPreserved) {
  RemotingCommand cmd = RemotingCommand::request(RequestCode::kSendMessage);
  for (int i = 0; i < 256; ++i) cmd.body.put_u8(static_cast<uint8_t>(i));
  for (SerializeType type : {SerializeType::kJson, SerializeType::kRocketmq}) {
    auto decoded = decode_frame(encode_frame(cmd, type).view());
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->body, cmd.body);
  }
}

// ---------------------------------------------------------------------------------------------
// probe_frame

TEST(ProbeFrameTest, FewerThanFourBytesNeedsMore) {
  const Buffer frame = encode_frame(sample_request());
  for (size_t n = 0; n < 4; ++n) {
    const FrameProbe p = probe_frame(frame.view().first(n));
    EXPECT_EQ(p.state, State::kNeedMore) << n;
  }
  // Even bytes that will be a bad length are not judged before all four arrive.
  const Buffer bad = length_word_only(0xFFFFFFFF);
  EXPECT_EQ(probe_frame(bad.view().first(3)).state, State::kNeedMore);
}

TEST(ProbeFrameTest, NegativeLengthIsBad) {
  for (uint32_t word : {0xFFFFFFFFu, 0x80000000u, 0xFFFFFFFCu}) {
    const FrameProbe p = probe_frame(length_word_only(word).view());
    EXPECT_EQ(p.state, State::kBad) << word;
    EXPECT_FALSE(p.error.empty());
  }
}

TEST(ProbeFrameTest, LengthBelowFourIsBad) {
  for (uint32_t len = 0; len < 4; ++len) {
    EXPECT_EQ(probe_frame(length_word_only(len).view()).state, State::kBad) << len;
  }
  // 4 is the smallest legal value: a frame of only the two words.
  Buffer minimal = length_word_only(4);
  EXPECT_EQ(probe_frame(minimal.view()).state, State::kNeedMore);
  minimal.put_u32(0);
  const FrameProbe p = probe_frame(minimal.view());
  EXPECT_EQ(p.state, State::kComplete);
  EXPECT_EQ(p.frame_size, 8u);
}

TEST(ProbeFrameTest, DefaultLimitBoundaryFromLengthWordOnly) {
  // length + 4 == 16 MiB is accepted (waits for the rest); one byte more is refused at once.
  const uint32_t at_limit = static_cast<uint32_t>(kDefaultMaxFrameSize - 4);
  EXPECT_EQ(probe_frame(length_word_only(at_limit).view()).state, State::kNeedMore);
  const FrameProbe over = probe_frame(length_word_only(at_limit + 1).view());
  EXPECT_EQ(over.state, State::kBad);
  EXPECT_NE(over.error.find("exceeds"), std::string::npos) << over.error;
  EXPECT_EQ(probe_frame(length_word_only(0x7FFFFFFF).view()).state, State::kBad);
}

TEST(ProbeFrameTest, CustomLimitBoundary) {
  EXPECT_EQ(probe_frame(length_word_only(96).view(), 100).state, State::kNeedMore);
  EXPECT_EQ(probe_frame(length_word_only(97).view(), 100).state, State::kBad);
  Buffer exact = length_word_only(96);
  exact.resize(100);
  const FrameProbe p = probe_frame(exact.view(), 100);
  EXPECT_EQ(p.state, State::kComplete);
  EXPECT_EQ(p.frame_size, 100u);
}

TEST(ProbeFrameTest, FrameOfExactlySixteenMiBDecodesAndOneMoreByteIsRefused) {
  // The one test that needs the real allocation: a whole frame at the limit must get through.
  RemotingCommand cmd = RemotingCommand::request(RequestCode::kSendMessageV2);
  cmd.opaque = 77;
  const size_t head_size = encode_frame_head(cmd).size();
  cmd.body.resize(kDefaultMaxFrameSize - head_size);
  cmd.body.data()[0] = 0xAB;
  cmd.body.data()[cmd.body.size() - 1] = 0xCD;
  Buffer frame = encode_frame(cmd);
  ASSERT_EQ(frame.size(), kDefaultMaxFrameSize);
  const FrameProbe p = probe_frame(frame.view());
  ASSERT_EQ(p.state, State::kComplete) << p.error;
  EXPECT_EQ(p.frame_size, kDefaultMaxFrameSize);
  auto decoded = decode_frame(frame.view().first(p.frame_size));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->opaque, 77);
  ASSERT_EQ(decoded->body.size(), cmd.body.size());
  EXPECT_EQ(decoded->body.data()[0], 0xAB);
  EXPECT_EQ(decoded->body.data()[decoded->body.size() - 1], 0xCD);

  frame.put_u8(0);
  frame.patch_be<uint32_t>(0, static_cast<uint32_t>(frame.size() - 4));
  EXPECT_EQ(probe_frame(frame.view()).state, State::kBad);
}

TEST(ProbeFrameTest, IncrementalArrivalByteByByte) {
  for (SerializeType type : {SerializeType::kJson, SerializeType::kRocketmq}) {
    const Buffer frame = encode_frame(sample_request(), type);
    for (size_t n = 0; n < frame.size(); ++n) {
      const FrameProbe p = probe_frame(frame.view().first(n));
      ASSERT_EQ(p.state, State::kNeedMore) << "prefix of " << n << " bytes";
    }
    const FrameProbe p = probe_frame(frame.view());
    ASSERT_EQ(p.state, State::kComplete);
    EXPECT_EQ(p.frame_size, frame.size());
    auto decoded = decode_frame(frame.view().first(p.frame_size));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, sample_request());
  }
}

TEST(ProbeFrameTest, SeveralFramesBackToBack) {
  RemotingCommand third = RemotingCommand::request(RequestCode::kHeartBeat);
  third.opaque = 3;
  third.body = Buffer(std::string_view(R"({"clientID":"c"})"));
  const std::vector<RemotingCommand> cmds = {sample_request(), sample_response(), third};
  Buffer stream;
  stream.put_bytes(encode_frame(cmds[0]).view());
  stream.put_bytes(encode_frame(cmds[1], SerializeType::kRocketmq).view());
  stream.put_bytes(encode_frame(cmds[2]).view());
  const Buffer fourth = encode_frame(sample_request());
  stream.put_bytes(fourth.view().first(fourth.size() / 2));  // a partial fourth frame

  std::vector<RemotingCommand> got;
  ByteView rest = stream.view();
  while (true) {
    const FrameProbe p = probe_frame(rest);
    ASSERT_NE(p.state, State::kBad) << p.error;
    if (p.state == State::kNeedMore) break;
    auto decoded = decode_frame(rest.first(p.frame_size));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    got.push_back(std::move(decoded).value());
    rest = rest.subspan(p.frame_size);
  }
  EXPECT_EQ(got, cmds);
  EXPECT_EQ(rest.size(), fourth.size() / 2);
}

// ---------------------------------------------------------------------------------------------
// decode_frame: frame-level errors

TEST(DecodeFrameTest, ShorterThanEightBytes) {
  const Buffer frame = encode_frame(sample_request());
  for (size_t n = 0; n < 8; ++n) {
    EXPECT_FALSE(decode_frame(frame.view().first(n)).ok()) << n;
  }
}

TEST(DecodeFrameTest, LengthFieldMustMatchTheFrame) {
  Buffer frame = encode_frame(sample_request());
  EXPECT_FALSE(decode_frame(frame.view().first(frame.size() - 1)).ok()) << "truncated body";
  Buffer longer = frame;
  longer.put_u8(0);
  EXPECT_FALSE(decode_frame(longer.view()).ok()) << "trailing byte";
  frame.patch_be<uint32_t>(0, static_cast<uint32_t>(frame.size()));
  EXPECT_FALSE(decode_frame(frame.view()).ok()) << "length off by one";
}

TEST(DecodeFrameTest, HeaderLengthBeyondTheFrame) {
  const std::string header = R"({"code":1})";
  Buffer frame = json_frame(header, "bo");
  ASSERT_TRUE(decode_frame(frame.view()).ok());
  // Header length = header + body is still inside; one more is not.
  frame.patch_be<uint32_t>(4, static_cast<uint32_t>(header.size() + 3));
  auto r = decode_frame(frame.view());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("header length"), std::string::npos) << r.status();
  frame.patch_be<uint32_t>(4, 0x00FFFFFF);
  EXPECT_FALSE(decode_frame(frame.view()).ok());
  frame.patch_be<uint32_t>(4, 0x01FFFFFF);
  EXPECT_FALSE(decode_frame(frame.view()).ok());
}

TEST(DecodeFrameTest, UnknownSerializeType) {
  const std::string header = R"({"code":1})";
  for (uint8_t type : {uint8_t{2}, uint8_t{7}, uint8_t{0x80}, uint8_t{0xFF}}) {
    auto r = decode_frame(raw_frame(type, common::as_bytes(header)).view());
    ASSERT_FALSE(r.ok()) << int{type};
    EXPECT_NE(r.status().message().find("serialize type"), std::string::npos) << r.status();
  }
  EXPECT_TRUE(decode_frame(raw_frame(0, common::as_bytes(header)).view()).ok());
}

TEST(DecodeFrameTest, EmptyHeaderIsAnError) {
  EXPECT_FALSE(decode_json("").ok());
  EXPECT_FALSE(decode_frame(raw_frame(1, {}).view()).ok());
}

// ---------------------------------------------------------------------------------------------
// JSON header

TEST(JsonHeaderTest, MinimalHeaderDefaults) {
  auto r = decode_json(R"({"code":34})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, 34);
  EXPECT_EQ(r->opaque, 0);
  EXPECT_EQ(r->flag, 0);
  EXPECT_EQ(r->version, 0);
  EXPECT_EQ(r->language, "");
  EXPECT_FALSE(r->remark.has_value());
  EXPECT_TRUE(r->ext_fields.empty());
  EXPECT_TRUE(r->body.empty());
}

TEST(JsonHeaderTest, TruncatedJsonAtEveryByte) {
  const std::string header = R"({"code":310,"language":"JAVA","opaque":1,"flag":0,"version":121,)"
                             R"("extFields":{"a":"g","d":4,"k":false}})";
  ASSERT_TRUE(decode_json(header).ok());
  for (size_t n = 0; n < header.size(); ++n) {
    EXPECT_FALSE(decode_json(header.substr(0, n)).ok()) << header.substr(0, n);
  }
}

TEST(JsonHeaderTest, InvalidJson) {
  for (const char* h : {R"({code:1})", R"({"code":1,})", R"({"code":1}})", R"({"code" 1})",
                        R"({'code':1})", "nul", R"({"code":01x})", R"({"code":"1)", "\x00\x01"}) {
    EXPECT_FALSE(decode_json(h).ok()) << h;
  }
}

TEST(JsonHeaderTest, NotAnObject) {
  for (const char* h : {"[1,2]", R"("code")", "42", "null", "true", "[]"}) {
    auto r = decode_json(h);
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_NE(r.status().message().find("not an object"), std::string::npos) << r.status();
  }
}

TEST(JsonHeaderTest, MissingCode) {
  for (const char* h : {"{}", R"({"opaque":1,"flag":0})", R"({"extFields":{"code":"5"}})"}) {
    auto r = decode_json(h);
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_NE(r.status().message().find("code"), std::string::npos) << r.status();
  }
}

TEST(JsonHeaderTest, CodeNotAnInteger) {
  for (const char* h : {R"({"code":"abc"})", R"({"code":true})", R"({"code":null})",
                        R"({"code":1.5})", R"({"code":{}})", R"({"code":[1]})", R"({"code":""})"}) {
    EXPECT_FALSE(decode_json(h).ok()) << h;
  }
}

TEST(JsonHeaderTest, CodeOutsideInt32) {
  for (const char* h : {R"({"code":2147483648})", R"({"code":-2147483649})",
                        R"({"code":99999999999999999999})", R"({"code":1e12})"}) {
    EXPECT_FALSE(decode_json(h).ok()) << h;
  }
  auto max = decode_json(R"({"code":2147483647})");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->code, std::numeric_limits<int32_t>::max());
  auto min = decode_json(R"({"code":-2147483648})");
  ASSERT_TRUE(min.ok());
  EXPECT_EQ(min->code, std::numeric_limits<int32_t>::min());
}

TEST(JsonHeaderTest, OtherIntFieldsAreCheckedToo) {
  for (const char* h : {R"({"code":1,"opaque":2147483648})", R"({"code":1,"flag":"x"})",
                        R"({"code":1,"version":[]})", R"({"code":1,"opaque":true})"}) {
    EXPECT_FALSE(decode_json(h).ok()) << h;
  }
}

TEST(JsonHeaderTest, NumericLikeScalarsAreCoerced) {
  // Lenient like fastjson: a numeric string or an integral double is an int.
  auto r = decode_json(R"({"code":"310","opaque":5.0,"flag":1e0,"version":"121"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, 310);
  EXPECT_EQ(r->opaque, 5);
  EXPECT_EQ(r->flag, 1);
  EXPECT_EQ(r->version, 121);
}

TEST(JsonHeaderTest, ExtFieldsNotAnObject) {
  for (const char* h : {R"({"code":1,"extFields":[1]})", R"({"code":1,"extFields":"a=b"})",
                        R"({"code":1,"extFields":5})", R"({"code":1,"extFields":true})"}) {
    auto r = decode_json(h);
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_NE(r.status().message().find("extFields"), std::string::npos) << r.status();
  }
  auto null_ext = decode_json(R"({"code":1,"extFields":null})");
  ASSERT_TRUE(null_ext.ok());
  EXPECT_TRUE(null_ext->ext_fields.empty());
}

TEST(JsonHeaderTest, ExtFieldsValuesOfEveryJsonType) {
  auto r = decode_json(
      R"({"code":310,"extFields":{"s":"str","n":5,"neg":-7,"big":9007199254740993,"f":1.50,)"
      R"("t":true,"fa":false,"nul":null,"obj":{"x":1},"arr":[1,"a"],"e":"","q":"\u0001\"\n"}})");
  ASSERT_TRUE(r.ok()) << r.status();
  const ExtFields& ext = r->ext_fields;
  EXPECT_EQ(ext.size(), 11u) << "null is dropped, everything else kept";
  auto get = [&](std::string_view k) { return ext.find(k) ? *ext.find(k) : "<absent>"; };
  EXPECT_EQ(get("s"), "str");
  EXPECT_EQ(get("n"), "5");
  EXPECT_EQ(get("neg"), "-7");
  EXPECT_EQ(get("big"), "9007199254740993") << "numbers keep their source text, not a double";
  EXPECT_EQ(get("f"), "1.50");
  EXPECT_EQ(get("t"), "true");
  EXPECT_EQ(get("fa"), "false");
  EXPECT_EQ(ext.find("nul"), nullptr);
  EXPECT_EQ(get("obj"), R"({"x":1})");
  EXPECT_EQ(get("arr"), R"([1,"a"])");
  EXPECT_EQ(get("e"), "");
  EXPECT_EQ(get("q"), "\x01\"\n");
  EXPECT_EQ(r->ext_int("n"), 5);
  EXPECT_EQ(r->ext_int("big"), 9007199254740993LL);
  EXPECT_EQ(r->ext_bool("t"), true);
  EXPECT_EQ(r->ext_bool("fa"), false);
  EXPECT_EQ(r->ext_int("nul"), std::nullopt);
  // Order of arrival is kept.
  ASSERT_GE(ext.entries().size(), 2u);
  EXPECT_EQ(ext.entries()[0].first, "s");
  EXPECT_EQ(ext.entries()[1].first, "n");
}

TEST(JsonHeaderTest, CppStyleTrailingNewlineAndWhitespace) {
  const std::string cpp =
      R"({"code":105,"extFields":{"AccessKey":"","OnsChannel":"","Signature":"","topic":"T"},)"
      R"("flag":0,"language":"CPP","opaque":3,"remark":"","version":333})"
      "\n";
  auto r = decode_json(cpp);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, 105);
  EXPECT_EQ(r->language, "CPP");
  EXPECT_EQ(r->version, 333);
  EXPECT_EQ(r->remark, std::optional<std::string>(""));
  EXPECT_EQ(r->ext_fields.size(), 4u);
  EXPECT_EQ(*r->ext("topic"), "T");
  EXPECT_EQ(*r->ext("AccessKey"), "");
  EXPECT_TRUE(decode_json(" \t\r\n{\"code\":1} \r\n\t").ok());
}

TEST(JsonHeaderTest, NonStringScalarsForStringFields) {
  auto r = decode_json(R"({"code":1,"language":7,"remark":false})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->language, "7");
  EXPECT_EQ(r->remark, std::optional<std::string>("false"));
  auto null_remark = decode_json(R"({"code":1,"remark":null})");
  ASSERT_TRUE(null_remark.ok());
  EXPECT_FALSE(null_remark->remark.has_value());
}

TEST(JsonHeaderTest, UnknownKeysIgnored) {
  auto r = decode_json(R"({"code":1,"serializeTypeCurrentRPC":"JSON","extra":{"deep":[1,2]}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, 1);
}

TEST(JsonHeaderTest, DeepNestingIsRefusedNotACrash) {
  std::string h = R"({"code":1,"extFields":{"x":)";
  h += std::string(100000, '[');
  h += std::string(100000, ']');
  h += "}}";
  EXPECT_FALSE(decode_json(h).ok());
}

// ---------------------------------------------------------------------------------------------
// ROCKETMQ header

Buffer rocketmq_fixed(int16_t code, uint8_t lang, int16_t version, int32_t opaque, int32_t flag) {
  Buffer b;
  b.put_i16(code);
  b.put_u8(lang);
  b.put_i16(version);
  b.put_i32(opaque);
  b.put_i32(flag);
  return b;
}

common::Result<RemotingCommand> decode_rocketmq(const Buffer& header) {
  return decode_frame(raw_frame(1, header.view()).view());
}

TEST(RocketmqHeaderTest, HandBuiltHeaderDecodes) {
  Buffer h = rocketmq_fixed(310, 13, 121, 9, 2);
  h.put_u32(2);
  h.put_string("hi");
  Buffer ext;
  ext.put_u16(5);
  ext.put_string("topic");
  ext.put_u32(1);
  ext.put_string("T");
  ext.put_u16(0);
  ext.put_u32(0);
  h.put_u32(static_cast<uint32_t>(ext.size()));
  h.put_bytes(ext.view());
  auto r = decode_frame(raw_frame(1, h.view(), common::as_bytes("BODY")).view());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, 310);
  EXPECT_EQ(r->language, "NODE_JS");
  EXPECT_EQ(r->version, 121);
  EXPECT_EQ(r->opaque, 9);
  EXPECT_EQ(r->flag, 2);
  EXPECT_TRUE(r->is_oneway());
  EXPECT_EQ(r->remark, std::optional<std::string>("hi"));
  ASSERT_EQ(r->ext_fields.size(), 2u);
  EXPECT_EQ(*r->ext("topic"), "T");
  EXPECT_EQ(*r->ext(""), "");
  EXPECT_EQ(r->body.str(), "BODY");
}

TEST(RocketmqHeaderTest, TruncatedAtEveryByte) {
  const RemotingCommand cmd = sample_response();  // has a remark and ext fields
  Buffer header;
  encode_rocketmq_header(cmd, header);
  ASSERT_TRUE(decode_rocketmq(header).ok());
  for (size_t n = 0; n < header.size(); ++n) {
    Buffer prefix(std::vector<uint8_t>(header.data(), header.data() + n));
    EXPECT_FALSE(decode_rocketmq(prefix).ok()) << "header cut to " << n << " of " << header.size();
    // Also directly, without the frame around it.
    RemotingCommand out;
    EXPECT_FALSE(decode_rocketmq_header(prefix.view(), &out).is_ok()) << n;
  }
}

TEST(RocketmqHeaderTest, RemarkLengthBeyondHeader) {
  for (uint32_t len : {4u, 100u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
    Buffer h = rocketmq_fixed(1, 0, 1, 1, 0);
    h.put_u32(len);
    h.put_string("abc");
    auto r = decode_rocketmq(h);
    ASSERT_FALSE(r.ok()) << len;
    EXPECT_NE(r.status().message().find("remark"), std::string::npos) << r.status();
  }
}

TEST(RocketmqHeaderTest, ExtLengthBeyondHeader) {
  Buffer h = rocketmq_fixed(1, 0, 1, 1, 0);
  h.put_u32(0);
  h.put_u32(8);
  h.put_u16(1);
  h.put_string("k");
  EXPECT_FALSE(decode_rocketmq(h).ok());
}

TEST(RocketmqHeaderTest, ExtEntryTruncated) {
  auto with_ext = [](const Buffer& ext) {
    Buffer h = rocketmq_fixed(1, 0, 1, 1, 0);
    h.put_u32(0);
    h.put_u32(static_cast<uint32_t>(ext.size()));
    h.put_bytes(ext.view());
    return h;
  };
  Buffer one_byte;
  one_byte.put_u8(0);
  Buffer key_too_long;
  key_too_long.put_u16(5);
  key_too_long.put_string("ab");
  Buffer no_value_len;
  no_value_len.put_u16(1);
  no_value_len.put_string("k");
  no_value_len.put_u16(0);
  Buffer value_too_long;
  value_too_long.put_u16(1);
  value_too_long.put_string("k");
  value_too_long.put_u32(9);
  value_too_long.put_string("v");
  Buffer huge_value_len;
  huge_value_len.put_u16(1);
  huge_value_len.put_string("k");
  huge_value_len.put_u32(0xFFFFFFFF);
  for (const Buffer* ext :
       {&one_byte, &key_too_long, &no_value_len, &value_too_long, &huge_value_len}) {
    auto r = decode_rocketmq(with_ext(*ext));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("entry truncated"), std::string::npos) << r.status();
  }
  Buffer good;
  good.put_u16(1);
  good.put_string("k");
  good.put_u32(1);
  good.put_string("v");
  auto ok = decode_rocketmq(with_ext(good));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok->ext("k"), "v");
}

// ---------------------------------------------------------------------------------------------
// Mutation: the codec never crashes, and whatever it accepts re-encodes to an equal command.

TEST(FrameCodecMutationTest, SeededMutationsNeverCrash) {
  std::vector<Buffer> seeds;
  for (SerializeType type : {SerializeType::kJson, SerializeType::kRocketmq}) {
    seeds.push_back(encode_frame(sample_request(), type));
    seeds.push_back(encode_frame(sample_response(), type));
  }
  seeds.push_back(
      json_frame(R"({"code":105,"extFields":{"AccessKey":"","topic":"T","n":5,"b":true,"z":null},)"
                 R"("flag":0,"language":"CPP","opaque":3,"remark":"","version":333})"
                 "\n"));

  std::mt19937_64 rng(0x5EED2024);
  auto uniform = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  int decoded_ok = 0;
  int decoded_err = 0;
  constexpr int kIterations = 20000;
  for (int iter = 0; iter < kIterations; ++iter) {
    std::vector<uint8_t> b = seeds[uniform(seeds.size())].vec();
    const int mutations = 1 + static_cast<int>(uniform(4));
    for (int m = 0; m < mutations; ++m) {
      switch (uniform(7)) {
        case 0:  // flip one bit
          if (!b.empty()) b[uniform(b.size())] ^= static_cast<uint8_t>(1u << uniform(8));
          break;
        case 1:  // overwrite one byte, biased towards interesting values
          if (!b.empty()) {
            static constexpr uint8_t kInteresting[] = {0x00, 0xFF, 0x7F, 0x80, '"', '{',
                                                       '}',  '\\', ',',  ':',  '0', '-'};
            b[uniform(b.size())] = uniform(2) ? kInteresting[uniform(sizeof(kInteresting))]
                                              : static_cast<uint8_t>(rng());
          }
          break;
        case 2:  // truncate
          b.resize(uniform(b.size() + 1));
          break;
        case 3:  // extend with random bytes
          for (size_t n = uniform(16); n > 0; --n) b.push_back(static_cast<uint8_t>(rng()));
          break;
        case 4: {  // insert bytes in the middle
          const size_t at = uniform(b.size() + 1);
          std::vector<uint8_t> ins(1 + uniform(8));
          for (auto& x : ins) x = static_cast<uint8_t>(rng());
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), ins.begin(), ins.end());
          break;
        }
        case 5:  // delete a range
          if (!b.empty()) {
            const size_t at = uniform(b.size());
            const size_t n = 1 + uniform(std::min<size_t>(8, b.size() - at));
            b.erase(b.begin() + static_cast<std::ptrdiff_t>(at),
                    b.begin() + static_cast<std::ptrdiff_t>(at + n));
          }
          break;
        case 6:  // random header-length word
          if (b.size() >= 8) common::store_be<uint32_t>(b.data() + 4, static_cast<uint32_t>(rng()));
          break;
      }
    }
    // Usually repair the total length so the mutation reaches the header decoders.
    if (b.size() >= 4 && uniform(4) != 0) {
      common::store_be<uint32_t>(b.data(), static_cast<uint32_t>(b.size() - 4));
    }
    // ...and sometimes the header length as well, keeping the serialize type byte.
    if (b.size() >= 8 && uniform(3) == 0) {
      const uint32_t word = common::load_be<uint32_t>(b.data() + 4);
      const uint32_t header_len = static_cast<uint32_t>(uniform(b.size() - 8 + 1));
      common::store_be<uint32_t>(b.data() + 4, (word & 0xFF000000u) | header_len);
    }
    const ByteView view(b.data(), b.size());

    const FrameProbe p = probe_frame(view);
    if (p.state == State::kComplete) {
      ASSERT_LE(p.frame_size, b.size()) << "iter " << iter;
      ASSERT_GE(p.frame_size, 8u) << "iter " << iter;
    }
    SerializeType type = SerializeType::kJson;
    auto r = decode_frame(view, &type);
    if (!r.ok()) {
      ++decoded_err;
      ASSERT_FALSE(r.status().message().empty()) << "iter " << iter;
      continue;
    }
    ++decoded_ok;
    const Buffer again = encode_frame(*r, type);
    auto r2 = decode_frame(again.view());
    ASSERT_TRUE(r2.ok()) << "iter " << iter << ": " << r2.status();
    ASSERT_EQ(*r2, *r) << "iter " << iter;
  }
  // Not vacuous: both outcomes must have been exercised many times.
  EXPECT_GT(decoded_ok, kIterations / 50);
  EXPECT_GT(decoded_err, kIterations / 10);
}

}  // namespace
}  // namespace rmq::remoting
