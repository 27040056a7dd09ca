// RemotingCommand and ExtFields: builders, flags, RocketMQ's header coercions (PROTOCOL.md §1.1:
// values arrive as numbers, strings or booleans and are parsed from their string form), and the
// code-name tables.
#include "remoting/remoting_command.h"

#include "remoting/request_code.h"
#include "remoting/response_code.h"
#include "tests/unit/remoting/command_printer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace rmq::remoting {
namespace {

RemotingCommand with_ext(std::string_view key, std::string value) {
  RemotingCommand cmd;
  cmd.ext_fields.set(key, std::move(value));
  return cmd;
}

std::optional<int64_t> ext_int_of(std::string value) {
  return with_ext("v", std::move(value)).ext_int("v");
}

std::optional<bool> ext_bool_of(std::string value) {
  return with_ext("v", std::move(value)).ext_bool("v");
}

TEST(ExtFieldsTest, SetReplacesInPlaceAndKeepsOrder) {
  ExtFields ext;
  ext.set("b", "1");
  ext.set("a", "2");
  ext.set("b", "3");
  ext.set("n", int64_t{-42});
  ASSERT_EQ(ext.size(), 3u);
  EXPECT_EQ(ext.entries()[0], ExtFields::Entry("b", "3"));
  EXPECT_EQ(ext.entries()[1], ExtFields::Entry("a", "2"));
  EXPECT_EQ(ext.entries()[2], ExtFields::Entry("n", "-42"));
  EXPECT_EQ(ext.find("c"), nullptr);
  EXPECT_FALSE(ext.empty());
}

TEST(ExtFieldsTest, AppendedDuplicateShadowsEarlierAndEraseRemovesAll) {
  ExtFields ext;
  ext.append("k", "first");
  ext.append("x", "y");
  ext.append("k", "second");
  ASSERT_NE(ext.find("k"), nullptr);
  EXPECT_EQ(*ext.find("k"), "second") << "a later duplicate wins, like a Java HashMap";
  EXPECT_EQ(ext.size(), 3u);
  EXPECT_TRUE(ext.erase("k"));
  EXPECT_EQ(ext.find("k"), nullptr);
  EXPECT_EQ(ext.size(), 1u);
  EXPECT_FALSE(ext.erase("k"));
  ext.clear();
  EXPECT_TRUE(ext.empty());
}

TEST(ExtFieldsTest, Equality) {
  ExtFields a;
  ExtFields b;
  a.set("k", "v");
  EXPECT_NE(a, b);
  b.set("k", "v");
  EXPECT_EQ(a, b);
  b.set("k", "w");
  EXPECT_NE(a, b);
}

TEST(RemotingCommandTest, ExtIntCoercions) {
  EXPECT_EQ(ext_int_of("12"), 12);
  EXPECT_EQ(ext_int_of(" 12 "), 12);
  EXPECT_EQ(ext_int_of("\t7\r\n"), 7);
  EXPECT_EQ(ext_int_of("+5"), 5);
  EXPECT_EQ(ext_int_of("-5"), -5);
  EXPECT_EQ(ext_int_of("0"), 0);
  EXPECT_EQ(ext_int_of("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ext_int_of("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(ext_int_of("9223372036854775808"), std::nullopt) << "overflow";
  EXPECT_EQ(ext_int_of("x"), std::nullopt);
  EXPECT_EQ(ext_int_of(""), std::nullopt);
  EXPECT_EQ(ext_int_of("   "), std::nullopt);
  EXPECT_EQ(ext_int_of("+"), std::nullopt);
  EXPECT_EQ(ext_int_of("-"), std::nullopt);
  EXPECT_EQ(ext_int_of("++5"), std::nullopt);
  EXPECT_EQ(ext_int_of("+-5"), std::nullopt) << "Java's Long.parseLong refuses a double sign";
  EXPECT_EQ(ext_int_of("12x"), std::nullopt);
  EXPECT_EQ(ext_int_of("1 2"), std::nullopt);
  EXPECT_EQ(ext_int_of("1.5"), std::nullopt);
  EXPECT_EQ(ext_int_of("true"), std::nullopt);
  EXPECT_EQ(RemotingCommand().ext_int("absent"), std::nullopt);
}

TEST(RemotingCommandTest, ExtBoolCoercions) {
  EXPECT_EQ(ext_bool_of("true"), true);
  EXPECT_EQ(ext_bool_of("TRUE"), true);
  EXPECT_EQ(ext_bool_of("True"), true);
  EXPECT_EQ(ext_bool_of(" true\n"), true);
  EXPECT_EQ(ext_bool_of("false"), false);
  EXPECT_EQ(ext_bool_of("FALSE"), false);
  EXPECT_EQ(ext_bool_of("fAlSe"), false);
  EXPECT_EQ(ext_bool_of("x"), std::nullopt);
  EXPECT_EQ(ext_bool_of(""), std::nullopt);
  EXPECT_EQ(ext_bool_of("1"), std::nullopt);
  EXPECT_EQ(ext_bool_of("0"), std::nullopt);
  EXPECT_EQ(ext_bool_of("yes"), std::nullopt);
  EXPECT_EQ(ext_bool_of("truex"), std::nullopt);
  EXPECT_EQ(ext_bool_of("tru"), std::nullopt);
  EXPECT_EQ(ext_bool_of("t\x12ue"), std::nullopt);
  EXPECT_EQ(RemotingCommand().ext_bool("absent"), std::nullopt);
}

TEST(RemotingCommandTest, ExtReturnsRawString) {
  const RemotingCommand cmd = with_ext("topic", " T ");
  ASSERT_NE(cmd.ext("topic"), nullptr);
  EXPECT_EQ(*cmd.ext("topic"), " T ") << "ext() does not trim";
  EXPECT_EQ(cmd.ext("other"), nullptr);
}

TEST(RemotingCommandTest, RequestDefaults) {
  const RemotingCommand cmd = RemotingCommand::request(RequestCode::kSendMessageV2);
  EXPECT_EQ(cmd.code, 310);
  EXPECT_EQ(cmd.language, "CPP");
  EXPECT_EQ(cmd.version, kOurVersion);
  EXPECT_EQ(cmd.flag, 0);
  EXPECT_FALSE(cmd.remark.has_value());
  EXPECT_FALSE(cmd.is_response());
  EXPECT_FALSE(cmd.is_oneway());
  EXPECT_EQ(RemotingCommand::request(20001).code, 20001);
}

TEST(RemotingCommandTest, ResponseEchoesOpaqueAndSetsResponseBit) {
  RemotingCommand req = RemotingCommand::request(RequestCode::kPullMessage);
  req.opaque = 12345;
  req.flag = kFlagOneway;
  req.ext_fields.set("topic", "T");
  req.body = common::Buffer(std::string_view("req body"));
  const RemotingCommand resp =
      RemotingCommand::response_to(req, ResponseCode::kPullNotFound, "no new message");
  EXPECT_EQ(resp.code, 19);
  EXPECT_EQ(resp.opaque, 12345);
  EXPECT_EQ(resp.flag, kFlagResponse) << "the request's oneway bit is not copied";
  EXPECT_TRUE(resp.is_response());
  EXPECT_FALSE(resp.is_oneway());
  EXPECT_EQ(resp.remark, std::optional<std::string>("no new message"));
  EXPECT_TRUE(resp.ext_fields.empty()) << "request fields are not echoed";
  EXPECT_TRUE(resp.body.empty());

  const RemotingCommand plain = RemotingCommand::response_to(req, 3);
  EXPECT_EQ(plain.code, 3);
  EXPECT_FALSE(plain.remark.has_value());
}

TEST(RemotingCommandTest, FlagBits) {
  RemotingCommand cmd;
  cmd.mark_oneway();
  EXPECT_TRUE(cmd.is_oneway());
  EXPECT_FALSE(cmd.is_response());
  EXPECT_EQ(cmd.flag, 2);
  cmd.mark_response();
  EXPECT_TRUE(cmd.is_response());
  EXPECT_EQ(cmd.flag, 3);
}

TEST(RemotingCommandTest, EqualityCoversEveryField) {
  const RemotingCommand base = with_ext("k", "v");
  auto differs = [&](auto mutate) {
    RemotingCommand c = base;
    mutate(c);
    return !(c == base);
  };
  EXPECT_EQ(base, base);
  EXPECT_TRUE(differs([](RemotingCommand& c) { c.code = 1; }));
  EXPECT_TRUE(differs([](RemotingCommand& c) { c.language = "JAVA"; }));
  EXPECT_TRUE(differs([](RemotingCommand& c) { c.version = 1; }));
  EXPECT_TRUE(differs([](RemotingCommand& c) { c.opaque = 1; }));
  EXPECT_TRUE(differs([](RemotingCommand& c) { c.flag = 1; }));
  EXPECT_TRUE(differs([](RemotingCommand& c) { c.remark = ""; }));
  EXPECT_TRUE(differs([](RemotingCommand& c) { c.ext_fields.set("k", "w"); }));
  EXPECT_TRUE(differs([](RemotingCommand& c) { c.body.put_u8(0); }));
}

TEST(RemotingCommandTest, Describe) {
  RemotingCommand req = RemotingCommand::request(RequestCode::kSendMessageV2);
  req.opaque = 7;
  const std::string d = req.describe();
  EXPECT_NE(d.find("code=310(SEND_MESSAGE_V2)"), std::string::npos) << d;
  EXPECT_NE(d.find("opaque=7"), std::string::npos) << d;

  // The same number names a response code when the response bit is set.
  const RemotingCommand busy = RemotingCommand::response_to(req, 2, "too busy");
  EXPECT_NE(busy.describe().find("code=2(SYSTEM_BUSY)"), std::string::npos) << busy.describe();
  EXPECT_NE(busy.describe().find("remark=\"too busy\""), std::string::npos) << busy.describe();

  const std::string unknown = RemotingCommand::request(9999).describe();
  EXPECT_NE(unknown.find("code=9999 "), std::string::npos) << unknown;
  EXPECT_EQ(unknown.find('('), std::string::npos) << unknown;
}

TEST(CodeNamesTest, KnownAndUnknown) {
  EXPECT_EQ(request_code_name(310), "SEND_MESSAGE_V2");
  EXPECT_EQ(request_code_name(10), "SEND_MESSAGE");
  EXPECT_EQ(request_code_name(105), "GET_ROUTEINFO_BY_TOPIC");
  EXPECT_EQ(request_code_name(352), "GET_SUBSCRIPTIONGROUP_CONFIG");
  EXPECT_EQ(response_code_name(2), "SYSTEM_BUSY");
  EXPECT_EQ(response_code_name(0), "SUCCESS");
  EXPECT_EQ(response_code_name(604), "ILLEGAL_OPERATION");
  EXPECT_EQ(request_code_name(0), "");
  EXPECT_EQ(request_code_name(16), "");
  EXPECT_EQ(request_code_name(-1), "");
  EXPECT_EQ(request_code_name(std::numeric_limits<int32_t>::max()), "");
  EXPECT_EQ(request_code_name(kRaftmqCodeBase), "");
  EXPECT_EQ(response_code_name(5), "");
  EXPECT_EQ(response_code_name(-1), "");
  EXPECT_EQ(response_code_name(std::numeric_limits<int32_t>::min()), "");
}

}  // namespace
}  // namespace rmq::remoting
