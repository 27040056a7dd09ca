// Wire compatibility with RocketMQ (PROTOCOL.md §1, §2, §10, §11), checked byte for byte.
//
// testdata/*.hex hold whole frames written by hand from PROTOCOL.md's layout (length words computed
// once with a throwaway script, never with our encoder). Hex digits may be separated by any
// whitespace; '#' starts a comment that runs to the end of the line. Requests are what real clients
// send (ali-ons, rocketmq-client-cpp) and must decode to the documented fields; responses are what
// we must send, and our encoder must reproduce them exactly.
//
// The code tables pin every RequestCode / ResponseCode enumerator to Java's number and name
// (org.apache.rocketmq.remoting.protocol.RequestCode / ResponseCode / RemotingSysResponseCode).
#include "common/bytes.h"
#include "common/json.h"
#include "remoting/frame_codec.h"
#include "remoting/remoting_command.h"
#include "remoting/request_code.h"
#include "remoting/response_code.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rmq::remoting {

// Readable failure output for RemotingCommand comparisons (this binary's only definition).
void PrintTo(const RemotingCommand& cmd, std::ostream* os) {
  *os << "{" << cmd.describe() << " ext=[";
  for (const auto& [k, v] : cmd.ext_fields.entries()) *os << k << "=" << v << ";";
  *os << "]}";
}

namespace {

using common::Buffer;
using common::ByteView;
using common::Json;

// Hex text with whitespace and '#' comments -> bytes. False on an odd digit count or a non-hex
// character.
bool parse_hex_text(std::string_view text, std::vector<uint8_t>* out) {
  std::string digits;
  bool in_comment = false;
  for (const char c : text) {
    if (c == '\n') {
      in_comment = false;
    } else if (in_comment) {
      continue;
    } else if (c == '#') {
      in_comment = true;
    } else if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      digits.push_back(c);
    }
  }
  out->clear();
  return common::from_hex(digits, out);
}

std::vector<uint8_t> golden(const std::string& name) {
  const std::string path = std::string(RMQ_COMPAT_TESTDATA_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<uint8_t> bytes;
  EXPECT_TRUE(parse_hex_text(ss.str(), &bytes)) << "bad hex in " << path;
  EXPECT_GE(bytes.size(), 8u) << path;
  return bytes;
}

// Byte-exact comparison that names the first differing offset and shows both frames.
::testing::AssertionResult same_bytes(const std::vector<uint8_t>& expected, const Buffer& actual) {
  if (expected == actual.vec()) return ::testing::AssertionSuccess();
  size_t i = 0;
  while (i < expected.size() && i < actual.size() && expected[i] == actual.data()[i]) ++i;
  const ByteView exp_view(expected.data(), expected.size());
  return ::testing::AssertionFailure()
         << "frames differ at byte " << i << " (expected " << expected.size() << " bytes, got "
         << actual.size() << ")\n  expected: " << common::to_hex_upper(exp_view)
         << "\n  actual:   " << common::to_hex_upper(actual.view())
         << "\n  expected text: " << common::as_string_view(exp_view)
         << "\n  actual text:   " << actual.str();
}

RemotingCommand decode_golden(const std::string& name, SerializeType expected_type) {
  const std::vector<uint8_t> bytes = golden(name);
  SerializeType type{};
  auto r = decode_frame(ByteView(bytes.data(), bytes.size()), &type);
  EXPECT_TRUE(r.ok()) << name << ": " << r.status();
  if (!r.ok()) return {};
  EXPECT_EQ(type, expected_type) << name;
  return std::move(r).value();
}

// The header JSON of an encoded JSON frame, parsed.
Json header_json(const Buffer& frame) {
  EXPECT_GE(frame.size(), 8u);
  EXPECT_EQ(frame.data()[4], 0) << "not a JSON frame";
  const uint32_t len = common::load_be<uint32_t>(frame.data() + 4) & 0xFFFFFF;
  auto parsed = Json::parse(frame.str().substr(8, len));
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? std::move(parsed).value() : Json();
}

const char* const kGoldenFiles[] = {
    "send_message_v2_request_alions.hex",           "send_message_v2_response_json.hex",
    "send_message_v2_response_rocketmq.hex",        "get_routeinfo_request_cpp.hex",
    "request_code_not_supported_response_json.hex",
};

constexpr const char* kMsgId = "7F00000100002A9F0000000000001234";

// The request of golden (a), built field by field from PROTOCOL.md rather than decoded.
RemotingCommand alions_send_request() {
  RemotingCommand req = RemotingCommand::request(RequestCode::kSendMessageV2);
  req.language = "JAVA";
  req.version = 121;
  req.opaque = 42;
  return req;
}

// Our answer to it: golden (b) and (c).
RemotingCommand send_response(const RemotingCommand& req) {
  RemotingCommand resp = RemotingCommand::response_to(req, ResponseCode::kSuccess);
  resp.ext_fields.set("msgId", kMsgId);
  resp.ext_fields.set("queueId", int64_t{1});
  resp.ext_fields.set("queueOffset", int64_t{5});
  return resp;
}

// ---------------------------------------------------------------------------------------------
// The golden files themselves

TEST(GoldenHexTest, ParserHandlesCommentsAndWhitespaceAndRejectsGarbage) {
  std::vector<uint8_t> b;
  ASSERT_TRUE(
      parse_hex_text("# title 0xff\n00 0A\tff\n  # indented comment 12\n7b # trailing\n", &b));
  EXPECT_EQ(b, (std::vector<uint8_t>{0x00, 0x0A, 0xFF, 0x7B}));
  EXPECT_FALSE(parse_hex_text("0a b", &b)) << "odd digit count";
  EXPECT_FALSE(parse_hex_text("0g", &b)) << "not hex";
  ASSERT_TRUE(parse_hex_text("# only a comment", &b));
  EXPECT_TRUE(b.empty());
}

TEST(GoldenHexTest, EveryGoldenFrameIsSelfConsistent) {
  for (const char* name : kGoldenFiles) {
    SCOPED_TRACE(name);
    const std::vector<uint8_t> b = golden(name);
    ASSERT_GE(b.size(), 8u);
    EXPECT_EQ(common::load_be<uint32_t>(b.data()), b.size() - 4) << "total length word";
    const uint32_t word = common::load_be<uint32_t>(b.data() + 4);
    EXPECT_LE(word >> 24, 1u) << "serialize type";
    EXPECT_LE(word & 0xFFFFFF, b.size() - 8) << "header length";
    const FrameProbe p = probe_frame(ByteView(b.data(), b.size()));
    EXPECT_EQ(p.state, FrameProbe::State::kComplete) << p.error;
    EXPECT_EQ(p.frame_size, b.size());
  }
}

// ---------------------------------------------------------------------------------------------
// (a) SEND_MESSAGE_V2 from ali-ons: numbers and booleans inside extFields, no remark key.

TEST(CompatFramesTest, AliOnsSendMessageV2RequestDecodes) {
  const RemotingCommand req =
      decode_golden("send_message_v2_request_alions.hex", SerializeType::kJson);
  EXPECT_EQ(req.code, 310);
  EXPECT_EQ(request_code_name(req.code), "SEND_MESSAGE_V2");
  EXPECT_EQ(req.language, "JAVA");
  EXPECT_EQ(req.version, 121);
  EXPECT_EQ(req.opaque, 42);
  EXPECT_EQ(req.flag, 0);
  EXPECT_FALSE(req.is_response());
  EXPECT_FALSE(req.is_oneway());
  EXPECT_FALSE(req.remark.has_value());

  const std::vector<ExtFields::Entry> expected = {
      {"a", "please_rename_unique_group_name"},
      {"b", "TopicTest"},
      {"c", "TBW102"},
      {"d", "4"},
      {"e", "1"},
      {"f", "0"},
      {"g", "1700000000000"},
      {"h", "0"},
      {"i", "TAGS\x01TagA\x02WAIT\x01true\x02"},
      {"j", "0"},
      {"k", "false"},
  };
  EXPECT_EQ(req.ext_fields.entries(), expected);
  EXPECT_EQ(req.ext_int("d"), 4);
  EXPECT_EQ(req.ext_int("e"), 1);
  EXPECT_EQ(req.ext_int("g"), 1700000000000LL);
  EXPECT_EQ(req.ext_bool("k"), false);
  EXPECT_EQ(req.body.str(), "Hello RocketMQ");

  // Same header fields as the hand-built request (extFields and body aside).
  RemotingCommand bare = req;
  bare.ext_fields.clear();
  bare.body.clear();
  EXPECT_EQ(bare, alions_send_request());
}

// ---------------------------------------------------------------------------------------------
// (b) / (c) Our response to it, JSON and ROCKETMQ: encode must equal the golden bytes exactly.

TEST(CompatFramesTest, SendMessageV2ResponseJsonIsByteExact) {
  const RemotingCommand req =
      decode_golden("send_message_v2_request_alions.hex", SerializeType::kJson);
  const RemotingCommand resp = send_response(req);
  const std::vector<uint8_t> expected = golden("send_message_v2_response_json.hex");
  EXPECT_TRUE(same_bytes(expected, encode_frame(resp)));
  EXPECT_TRUE(same_bytes(expected, encode_frame(resp, SerializeType::kJson)));
  // The head alone is the whole frame here (no body).
  EXPECT_TRUE(same_bytes(expected, encode_frame_head(resp)));
  // And the golden decodes back to the same command.
  EXPECT_EQ(decode_golden("send_message_v2_response_json.hex", SerializeType::kJson), resp);
}

TEST(CompatFramesTest, SendMessageV2ResponseRocketmqIsByteExact) {
  const RemotingCommand resp = send_response(alions_send_request());
  const std::vector<uint8_t> expected = golden("send_message_v2_response_rocketmq.hex");
  EXPECT_TRUE(same_bytes(expected, encode_frame(resp, SerializeType::kRocketmq)));
  EXPECT_EQ(decode_golden("send_message_v2_response_rocketmq.hex", SerializeType::kRocketmq), resp);
}

// ---------------------------------------------------------------------------------------------
// (d) GET_ROUTEINFO_BY_TOPIC from rocketmq-client-cpp: sorted keys, empty credentials, remark "",
// header ends with "\n".

TEST(CompatFramesTest, CppGetRouteInfoRequestDecodes) {
  const std::vector<uint8_t> bytes = golden("get_routeinfo_request_cpp.hex");
  ASSERT_EQ(bytes.back(), '\n') << "the golden must keep cpp's trailing newline";
  const RemotingCommand req = decode_golden("get_routeinfo_request_cpp.hex", SerializeType::kJson);
  EXPECT_EQ(req.code, 105);
  EXPECT_EQ(request_code_name(req.code), "GET_ROUTEINFO_BY_TOPIC");
  EXPECT_EQ(req.language, "CPP");
  EXPECT_EQ(req.version, 333);
  EXPECT_EQ(req.opaque, 7);
  EXPECT_EQ(req.flag, 0);
  ASSERT_TRUE(req.remark.has_value());
  EXPECT_EQ(*req.remark, "");
  const std::vector<ExtFields::Entry> expected = {
      {"AccessKey", ""}, {"OnsChannel", ""}, {"Signature", ""}, {"topic", "TopicTest"}};
  EXPECT_EQ(req.ext_fields.entries(), expected);
  EXPECT_TRUE(req.body.empty());
}

// ---------------------------------------------------------------------------------------------
// (e) REQUEST_CODE_NOT_SUPPORTED with Java's remark wording.

TEST(CompatFramesTest, RequestCodeNotSupportedResponseIsByteExact) {
  RemotingCommand req = RemotingCommand::request(999);
  req.opaque = 9;
  ASSERT_EQ(request_code_name(999), "") << "999 must stay an unknown code for this golden";
  const RemotingCommand resp = RemotingCommand::response_to(
      req, ResponseCode::kRequestCodeNotSupported, " request type 999 not supported");
  const std::vector<uint8_t> expected = golden("request_code_not_supported_response_json.hex");
  EXPECT_TRUE(same_bytes(expected, encode_frame(resp)));

  const RemotingCommand decoded =
      decode_golden("request_code_not_supported_response_json.hex", SerializeType::kJson);
  EXPECT_EQ(decoded, resp);
  EXPECT_EQ(response_code_name(decoded.code), "REQUEST_CODE_NOT_SUPPORTED");
}

// ---------------------------------------------------------------------------------------------
// PROTOCOL.md §1.1 / §11.2: every response extFields value is a JSON string, never a number or a
// boolean, whatever it looks like.

TEST(CompatFramesTest, ResponseExtFieldsAreAlwaysJsonStrings) {
  RemotingCommand req = RemotingCommand::request(RequestCode::kPullMessage);
  req.opaque = 11;
  RemotingCommand resp = RemotingCommand::response_to(req, ResponseCode::kPullNotFound);
  const std::vector<ExtFields::Entry> fields = {
      {"nextBeginOffset", "5"},
      {"minOffset", "0"},
      {"maxOffset", "-1"},
      {"suggestWhichBrokerId", "0"},
      {"TRACE_ON", "false"},
      {"flag", "true"},
      {"empty", ""},
      {"null", "null"},
      {"obj", "{\"a\":1}"},
      {"big", "18446744073709551616"},
      {"float", "1.5e3"},
      {"quote", "\"\\\n"},
  };
  for (const auto& [k, v] : fields) resp.ext_fields.set(k, v);
  resp.ext_fields.set("queueOffset", int64_t{42});

  const Json header = header_json(encode_frame(resp));
  const Json* ext = header.find("extFields");
  ASSERT_NE(ext, nullptr);
  ASSERT_TRUE(ext->is_object());
  ASSERT_EQ(ext->members().size(), fields.size() + 1);
  for (const auto& [k, v] : ext->members()) {
    EXPECT_TRUE(v.is_string()) << k << " is written as " << v.dump();
    ASSERT_NE(resp.ext(k), nullptr) << k;
    EXPECT_EQ(v.text(), *resp.ext(k)) << k;
  }
  EXPECT_EQ(ext->find("queueOffset")->text(), "42");

  // The other header members have the JSON types the clients read (§1.1).
  EXPECT_TRUE(header.find("code")->is_number());
  EXPECT_TRUE(header.find("opaque")->is_number());
  EXPECT_TRUE(header.find("flag")->is_number());
  EXPECT_TRUE(header.find("version")->is_number());
  EXPECT_TRUE(header.find("language")->is_string());
  EXPECT_EQ(header.find("remark"), nullptr) << "a null remark is left out";

  // The same holds for the golden send response.
  const std::vector<uint8_t> b = golden("send_message_v2_response_json.hex");
  const Json golden_header = header_json(Buffer(b));
  const Json* golden_ext = golden_header.find("extFields");
  ASSERT_NE(golden_ext, nullptr);
  ASSERT_EQ(golden_ext->members().size(), 3u);
  for (const auto& [k, v] : golden_ext->members()) EXPECT_TRUE(v.is_string()) << k;
}

TEST(CompatFramesTest, RequestsDecodedFromNumbersReEncodeAsStrings) {
  // A request's numeric / boolean values (ali-ons) come back out as strings when echoed.
  const RemotingCommand req =
      decode_golden("send_message_v2_request_alions.hex", SerializeType::kJson);
  const Json header = header_json(encode_frame(req));
  const Json* ext = header.find("extFields");
  ASSERT_NE(ext, nullptr);
  ASSERT_EQ(ext->members().size(), 11u);
  for (const auto& [k, v] : ext->members()) EXPECT_TRUE(v.is_string()) << k;
  EXPECT_EQ(ext->find("d")->text(), "4");
  EXPECT_EQ(ext->find("k")->text(), "false");
}

// ---------------------------------------------------------------------------------------------
// Code tables pinned against Java (rocketmq-rust protocol_compatibility.rs style).

// Java's RequestCode: every number raftmq defines, with Java's constant name.
const std::vector<std::pair<std::string_view, int32_t>> kJavaRequestCodes = {
    {"SEND_MESSAGE", 10},
    {"PULL_MESSAGE", 11},
    {"QUERY_MESSAGE", 12},
    {"QUERY_BROKER_OFFSET", 13},
    {"QUERY_CONSUMER_OFFSET", 14},
    {"UPDATE_CONSUMER_OFFSET", 15},
    {"UPDATE_AND_CREATE_TOPIC", 17},
    {"UPDATE_AND_CREATE_TOPIC_LIST", 18},
    {"GET_ALL_TOPIC_CONFIG", 21},
    {"GET_TOPIC_CONFIG_LIST", 22},
    {"GET_TOPIC_NAME_LIST", 23},
    {"UPDATE_BROKER_CONFIG", 25},
    {"GET_BROKER_CONFIG", 26},
    {"TRIGGER_DELETE_FILES", 27},
    {"GET_BROKER_RUNTIME_INFO", 28},
    {"SEARCH_OFFSET_BY_TIMESTAMP", 29},
    {"GET_MAX_OFFSET", 30},
    {"GET_MIN_OFFSET", 31},
    {"GET_EARLIEST_MSG_STORETIME", 32},
    {"VIEW_MESSAGE_BY_ID", 33},
    {"HEART_BEAT", 34},
    {"UNREGISTER_CLIENT", 35},
    {"CONSUMER_SEND_MSG_BACK", 36},
    {"END_TRANSACTION", 37},
    {"GET_CONSUMER_LIST_BY_GROUP", 38},
    {"CHECK_TRANSACTION_STATE", 39},
    {"NOTIFY_CONSUMER_IDS_CHANGED", 40},
    {"LOCK_BATCH_MQ", 41},
    {"UNLOCK_BATCH_MQ", 42},
    {"GET_ALL_CONSUMER_OFFSET", 43},
    {"GET_ALL_DELAY_OFFSET", 45},
    {"CHECK_CLIENT_CONFIG", 46},
    {"GET_CLIENT_CONFIG", 47},
    {"PUT_KV_CONFIG", 100},
    {"GET_KV_CONFIG", 101},
    {"DELETE_KV_CONFIG", 102},
    {"REGISTER_BROKER", 103},
    {"UNREGISTER_BROKER", 104},
    {"GET_ROUTEINFO_BY_TOPIC", 105},
    {"GET_BROKER_CLUSTER_INFO", 106},
    {"UPDATE_AND_CREATE_SUBSCRIPTIONGROUP", 200},
    {"GET_ALL_SUBSCRIPTIONGROUP_CONFIG", 201},
    {"GET_TOPIC_STATS_INFO", 202},
    {"GET_CONSUMER_CONNECTION_LIST", 203},
    {"GET_PRODUCER_CONNECTION_LIST", 204},
    {"WIPE_WRITE_PERM_OF_BROKER", 205},
    {"GET_ALL_TOPIC_LIST_FROM_NAMESERVER", 206},
    {"DELETE_SUBSCRIPTIONGROUP", 207},
    {"GET_CONSUME_STATS", 208},
    {"SUSPEND_CONSUMER", 209},
    {"RESUME_CONSUMER", 210},
    {"RESET_CONSUMER_OFFSET_IN_CONSUMER", 211},
    {"RESET_CONSUMER_OFFSET_IN_BROKER", 212},
    {"ADJUST_CONSUMER_THREAD_POOL", 213},
    {"WHO_CONSUME_THE_MESSAGE", 214},
    {"DELETE_TOPIC_IN_BROKER", 215},
    {"DELETE_TOPIC_IN_NAMESRV", 216},
    {"REGISTER_TOPIC_IN_NAMESRV", 217},
    {"GET_KVLIST_BY_NAMESPACE", 219},
    {"RESET_CONSUMER_CLIENT_OFFSET", 220},
    {"GET_CONSUMER_STATUS_FROM_CLIENT", 221},
    {"INVOKE_BROKER_TO_RESET_OFFSET", 222},
    {"INVOKE_BROKER_TO_GET_CONSUMER_STATUS", 223},
    {"GET_TOPICS_BY_CLUSTER", 224},
    {"QUERY_TOPIC_CONSUME_BY_WHO", 300},
    {"QUERY_CONSUME_TIME_SPAN", 303},
    {"GET_SYSTEM_TOPIC_LIST_FROM_NS", 304},
    {"GET_SYSTEM_TOPIC_LIST_FROM_BROKER", 305},
    {"CLEAN_EXPIRED_CONSUMEQUEUE", 306},
    {"GET_CONSUMER_RUNNING_INFO", 307},
    {"QUERY_CORRECTION_OFFSET", 308},
    {"CONSUME_MESSAGE_DIRECTLY", 309},
    {"SEND_MESSAGE_V2", 310},
    {"CLONE_GROUP_OFFSET", 314},
    {"VIEW_BROKER_STATS_DATA", 315},
    {"CLEAN_UNUSED_TOPIC", 316},
    {"GET_BROKER_CONSUME_STATS", 317},
    {"UPDATE_NAMESRV_CONFIG", 318},
    {"GET_NAMESRV_CONFIG", 319},
    {"SEND_BATCH_MESSAGE", 320},
    {"QUERY_CONSUME_QUEUE", 321},
    {"QUERY_DATA_VERSION", 322},
    {"SEND_REPLY_MESSAGE", 324},
    {"SEND_REPLY_MESSAGE_V2", 325},
    {"PUSH_REPLY_MESSAGE_TO_CLIENT", 326},
    {"ADD_WRITE_PERM_OF_BROKER", 327},
    {"GET_ALL_PRODUCER_INFO", 328},
    {"DELETE_EXPIRED_COMMITLOG", 329},
    {"GET_TOPIC_CONFIG", 351},
    {"GET_SUBSCRIPTIONGROUP_CONFIG", 352},
};

// Java's RemotingSysResponseCode + ResponseCode: every number raftmq defines.
const std::vector<std::pair<std::string_view, int32_t>> kJavaResponseCodes = {
    {"SUCCESS", 0},
    {"SYSTEM_ERROR", 1},
    {"SYSTEM_BUSY", 2},
    {"REQUEST_CODE_NOT_SUPPORTED", 3},
    {"TRANSACTION_FAILED", 4},
    {"FLUSH_DISK_TIMEOUT", 10},
    {"SLAVE_NOT_AVAILABLE", 11},
    {"FLUSH_SLAVE_TIMEOUT", 12},
    {"MESSAGE_ILLEGAL", 13},
    {"SERVICE_NOT_AVAILABLE", 14},
    {"VERSION_NOT_SUPPORTED", 15},
    {"NO_PERMISSION", 16},
    {"TOPIC_NOT_EXIST", 17},
    {"TOPIC_EXIST_ALREADY", 18},
    {"PULL_NOT_FOUND", 19},
    {"PULL_RETRY_IMMEDIATELY", 20},
    {"PULL_OFFSET_MOVED", 21},
    {"QUERY_NOT_FOUND", 22},
    {"SUBSCRIPTION_PARSE_FAILED", 23},
    {"SUBSCRIPTION_NOT_EXIST", 24},
    {"SUBSCRIPTION_NOT_LATEST", 25},
    {"SUBSCRIPTION_GROUP_NOT_EXIST", 26},
    {"FILTER_DATA_NOT_EXIST", 27},
    {"FILTER_DATA_NOT_LATEST", 28},
    {"INVALID_PARAMETER", 29},
    {"TRANSACTION_SHOULD_COMMIT", 200},
    {"TRANSACTION_SHOULD_ROLLBACK", 201},
    {"TRANSACTION_STATE_UNKNOW", 202},
    {"TRANSACTION_STATE_GROUP_WRONG", 203},
    {"NO_BUYER_ID", 204},
    {"NOT_IN_CURRENT_UNIT", 205},
    {"CONSUMER_NOT_ONLINE", 206},
    {"CONSUME_MSG_TIMEOUT", 207},
    {"NO_MESSAGE", 208},
    {"POLLING_FULL", 209},
    {"POLLING_TIMEOUT", 210},
    {"BROKER_NOT_EXIST", 211},
    {"BROKER_DISPATCH_NOT_COMPLETE", 212},
    {"BROADCAST_CONSUMPTION", 213},
    {"FLOW_CONTROL", 215},
    {"NOT_LEADER_FOR_QUEUE", 501},
    {"ILLEGAL_OPERATION", 604},
};

// Our enumerators, straight from the X-macros that define the enums.
#define RMQ_COMPAT_CODE(name, value) {#name, static_cast<int32_t>(value)},
const std::vector<std::pair<std::string_view, int32_t>> kOurRequestCodes = {
    RMQ_REQUEST_CODES(RMQ_COMPAT_CODE)};
const std::vector<std::pair<std::string_view, int32_t>> kOurResponseCodes = {
    RMQ_RESPONSE_CODES(RMQ_COMPAT_CODE)};
#undef RMQ_COMPAT_CODE

TEST(CodeTableTest, EveryJavaRequestCodeKeepsItsNumberAndName) {
  for (const auto& [name, number] : kJavaRequestCodes) {
    EXPECT_EQ(request_code_name(number), name) << number;
  }
}

TEST(CodeTableTest, EveryJavaResponseCodeKeepsItsNumberAndName) {
  for (const auto& [name, number] : kJavaResponseCodes) {
    EXPECT_EQ(response_code_name(number), name) << number;
  }
}

TEST(CodeTableTest, EveryRequestEnumeratorIsPinned) {
  std::map<int32_t, std::string_view> java;
  for (const auto& [name, number] : kJavaRequestCodes) {
    EXPECT_TRUE(java.emplace(number, name).second) << "duplicate number " << number;
  }
  EXPECT_EQ(kOurRequestCodes.size(), kJavaRequestCodes.size())
      << "a request code was added or removed: pin it in kJavaRequestCodes";
  for (const auto& [enumerator, number] : kOurRequestCodes) {
    auto it = java.find(number);
    ASSERT_NE(it, java.end()) << enumerator << " = " << number << " is not a Java request code";
    EXPECT_EQ(request_code_name(number), it->second) << enumerator;
  }
}

TEST(CodeTableTest, EveryResponseEnumeratorIsPinned) {
  std::map<int32_t, std::string_view> java;
  for (const auto& [name, number] : kJavaResponseCodes) {
    EXPECT_TRUE(java.emplace(number, name).second) << "duplicate number " << number;
  }
  EXPECT_EQ(kOurResponseCodes.size(), kJavaResponseCodes.size())
      << "a response code was added or removed: pin it in kJavaResponseCodes";
  for (const auto& [enumerator, number] : kOurResponseCodes) {
    auto it = java.find(number);
    ASSERT_NE(it, java.end()) << enumerator << " = " << number << " is not a Java response code";
    EXPECT_EQ(response_code_name(number), it->second) << enumerator;
  }
}

TEST(CodeTableTest, EnumeratorsUsedByTheClientsHaveJavaNumbers) {
  // The codes PROTOCOL.md §2 / §3 lists for ali-ons and cpp, through the C++ enumerators.
  EXPECT_EQ(static_cast<int32_t>(RequestCode::kSendMessageV2), 310);
  EXPECT_EQ(static_cast<int32_t>(RequestCode::kSendBatchMessage), 320);
  EXPECT_EQ(static_cast<int32_t>(RequestCode::kPullMessage), 11);
  EXPECT_EQ(static_cast<int32_t>(RequestCode::kHeartBeat), 34);
  EXPECT_EQ(static_cast<int32_t>(RequestCode::kGetRouteinfoByTopic), 105);
  EXPECT_EQ(static_cast<int32_t>(RequestCode::kNotifyConsumerIdsChanged), 40);
  EXPECT_EQ(static_cast<int32_t>(ResponseCode::kSuccess), 0);
  EXPECT_EQ(static_cast<int32_t>(ResponseCode::kRequestCodeNotSupported), 3);
  EXPECT_EQ(static_cast<int32_t>(ResponseCode::kServiceNotAvailable), 14);
  EXPECT_EQ(static_cast<int32_t>(ResponseCode::kPullNotFound), 19);
  EXPECT_EQ(static_cast<int32_t>(ResponseCode::kQueryNotFound), 22);
  EXPECT_EQ(static_cast<int32_t>(ResponseCode::kConsumerNotOnline), 206);
  for (const auto& [name, number] : kJavaRequestCodes) EXPECT_LT(number, kRaftmqCodeBase) << name;
}

}  // namespace
}  // namespace rmq::remoting
