#include "common/json.h"

#include "common/random.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace rmq::common {
namespace {

Json parse_ok(std::string_view text, const Json::ParseOptions& opts = {}) {
  Result<Json> r = Json::parse(text, opts);
  EXPECT_TRUE(r.ok()) << text << " -> " << r.status();
  return r.ok() ? std::move(r).value() : Json();
}

TEST(JsonTest, ParseDumpRoundTrip) {
  const std::string text =
      R"({"code":10,"flag":0,"language":"JAVA","extFields":{"topic":"T","queueId":"3"},)"
      R"("list":[1,-2.5,true,false,null,"s",[],{}]})";
  Json j = parse_ok(text);
  EXPECT_EQ(j.dump(), text);
  EXPECT_EQ(parse_ok(j.dump()), j);
}

TEST(JsonTest, ObjectsKeepMemberOrder) {
  Json j = parse_ok(R"({"z":1,"a":2,"m":3})");
  ASSERT_EQ(j.members().size(), 3u);
  EXPECT_EQ(j.members()[0].first, "z");
  EXPECT_EQ(j.members()[2].first, "m");
  j.set("a", Json::string("x"));  // replace keeps the slot
  j.set("b", Json::boolean(true));
  EXPECT_EQ(j.dump(), R"({"z":1,"a":"x","m":3,"b":true})");
}

TEST(JsonTest, NumbersKeepTheirText) {
  Json j = parse_ok(R"({"max":9223372036854775807,"min":-9223372036854775808,)"
                    R"("huge":18446744073709551616,"f":1.50,"e":1E+3})");
  ASSERT_EQ(j.size(), 5u);
  EXPECT_EQ(j.find("max")->text(), "9223372036854775807");
  EXPECT_EQ(j.find("max")->as_int(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(j.find("min")->as_int(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(j.find("huge")->text(), "18446744073709551616");
  EXPECT_EQ(j.find("f")->text(), "1.50");
  EXPECT_EQ(j.find("e")->as_int(), 1000);
  EXPECT_DOUBLE_EQ(*j.find("f")->as_double(), 1.5);
  EXPECT_EQ(j.dump(), R"({"max":9223372036854775807,"min":-9223372036854775808,)"
                      R"("huge":18446744073709551616,"f":1.50,"e":1E+3})");
  EXPECT_EQ(Json::number(std::numeric_limits<int64_t>::max()).dump(), "9223372036854775807");
  EXPECT_EQ(Json::number_double(1.5).dump(), "1.5");
  EXPECT_EQ(Json::number_double(std::numeric_limits<double>::quiet_NaN()).dump(), "0");
}

TEST(JsonTest, StringEscapes) {
  Json j = parse_ok(R"("q\"b\\s\/n\nt\tr\rb\bf\f\u0041\u00e9\u4e2d")");
  EXPECT_EQ(j.text(), "q\"b\\s/n\nt\tr\rb\bf\fA\xC3\xA9\xE4\xB8\xAD");
  // The writer escapes what must be escaped; '/' and UTF-8 pass through.
  EXPECT_EQ(j.dump(), R"("q\"b\\s/n\nt\tr\rb\bf\fA)"
                      "\xC3\xA9\xE4\xB8\xAD\"");
  EXPECT_EQ(Json::string(std::string("\x01\x1f", 2)).dump(), R"("\u0001\u001f")");
}

TEST(JsonTest, SurrogatePairs) {
  EXPECT_EQ(parse_ok(R"("\ud83d\ude00")").text(), "\xF0\x9F\x98\x80");  // U+1F600
  EXPECT_EQ(parse_ok(R"("\uD834\uDD1E")").text(), "\xF0\x9D\x84\x9E");  // U+1D11E
  // Lone surrogates become U+FFFD instead of invalid UTF-8.
  EXPECT_EQ(parse_ok(R"("\ude00")").text(), "\xEF\xBF\xBD");
  EXPECT_EQ(parse_ok(R"("\ud83dx")").text(), "\xEF\xBF\xBDx");
  EXPECT_EQ(parse_ok(R"("\ud83d\u0041")").text(),
            "\xEF\xBF\xBD"
            "A");
}

TEST(JsonTest, DepthLimit) {
  EXPECT_TRUE(Json::parse(std::string(10, '[') + std::string(10, ']')).ok());
  Json::ParseOptions opts;
  opts.max_depth = 3;
  EXPECT_TRUE(Json::parse("[[[[]]]]", opts).ok());
  EXPECT_FALSE(Json::parse("[[[[[]]]]]", opts).ok());
  EXPECT_FALSE(Json::parse(R"({"a":{"b":{"c":{"d":{}}}}})", opts).ok());

  // Hostile nesting must fail cleanly, not exhaust the stack.
  Result<Json> deep = Json::parse(std::string(100'000, '['));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), Code::kInvalidArgument);
  EXPECT_NE(deep.status().message().find("nesting too deep"), std::string_view::npos);
  EXPECT_FALSE(Json::parse(std::string(100'000, '[') + std::string(100'000, ']')).ok());
}

TEST(JsonTest, WhitespaceAroundDocument) {
  EXPECT_TRUE(Json::parse(" \t\r\n{\"a\" : [ 1 , 2 ] }\n").ok());
  EXPECT_TRUE(Json::parse("{}\n").ok());
  EXPECT_TRUE(Json::parse("{}\r\n\t ").ok());
  EXPECT_FALSE(Json::parse("{} x").ok());
  EXPECT_FALSE(Json::parse("{}{}").ok());
}

TEST(JsonTest, UnquotedIntKeysOnlyWhenAllowed) {
  const std::string_view text = R"({0:"broker-a:10911",1:"broker-b:10911",-1:"x"})";
  EXPECT_FALSE(Json::parse(text).ok());
  Json::ParseOptions opts;
  opts.allow_unquoted_int_keys = true;
  Json j = parse_ok(text, opts);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j.get_string("0"), "broker-a:10911");
  EXPECT_EQ(j.get_string("1"), "broker-b:10911");
  EXPECT_EQ(j.get_string("-1"), "x");
  // Quoted keys still work and other bare words are still rejected.
  EXPECT_TRUE(Json::parse(R"({"0":"a"})", opts).ok());
  EXPECT_FALSE(Json::parse(R"({abc:"a"})", opts).ok());
}

TEST(JsonTest, ToPlainString) {
  EXPECT_EQ(Json::string("abc").to_plain_string(), "abc");
  EXPECT_EQ(Json::number(-42).to_plain_string(), "-42");
  EXPECT_EQ(parse_ok("1.25e2").to_plain_string(), "1.25e2");
  EXPECT_EQ(Json::boolean(true).to_plain_string(), "true");
  EXPECT_EQ(Json::boolean(false).to_plain_string(), "false");
  EXPECT_EQ(Json::null().to_plain_string(), "");
  EXPECT_EQ(parse_ok(R"([1,"a"])").to_plain_string(), R"([1,"a"])");
  EXPECT_EQ(parse_ok(R"({"k":null})").to_plain_string(), R"({"k":null})");
}

TEST(JsonTest, NumericCoercions) {
  EXPECT_EQ(Json::string("42").as_int(), 42);
  EXPECT_EQ(Json::string(" 42 ").as_int(), 42);
  EXPECT_EQ(Json::string("+7").as_int(), 7);
  EXPECT_EQ(Json::string("5.0").as_int(), 5);
  EXPECT_EQ(Json::string("5.5").as_int(), std::nullopt);
  EXPECT_EQ(Json::string("abc").as_int(), std::nullopt);
  EXPECT_EQ(Json::string("").as_int(), std::nullopt);
  EXPECT_EQ(Json::boolean(true).as_int(), std::nullopt);
  EXPECT_EQ(Json::null().as_double(), std::nullopt);
  EXPECT_EQ(Json::string("2.5").as_double(), 2.5);
}

TEST(JsonTest, ObjectGettersWithFallbacks) {
  Json j = parse_ok(R"({"s":"v","n":12,"ns":"34","b":true,"bs":"false","z":null})");
  EXPECT_EQ(j.get_string("s"), "v");
  EXPECT_EQ(j.get_string("n"), "12");
  EXPECT_EQ(j.get_string("z", "dflt"), "dflt");
  EXPECT_EQ(j.get_string("missing", "dflt"), "dflt");
  EXPECT_EQ(j.get_int("n"), 12);
  EXPECT_EQ(j.get_int("ns"), 34);
  EXPECT_EQ(j.get_int("s", -1), -1);
  EXPECT_EQ(j.get_int("missing", 9), 9);
  EXPECT_TRUE(j.get_bool("b"));
  EXPECT_FALSE(j.get_bool("bs", true));
  EXPECT_TRUE(j.get_bool("s", true));
  EXPECT_EQ(j.find("missing"), nullptr);
  EXPECT_EQ(Json::array().find("x"), nullptr);
}

TEST(JsonTest, BuildersAndEquality) {
  Json a = Json::object();
  a.set("list", Json::array()).push_back(Json::number(1));
  a.find("list")->push_back(Json::string("two"));
  EXPECT_EQ(a.dump(), R"({"list":[1,"two"]})");
  EXPECT_EQ(a, parse_ok(R"({"list":[1,"two"]})"));
  EXPECT_FALSE(a == parse_ok(R"({"list":[1,"three"]})"));
  EXPECT_FALSE(Json::number(1) == Json::string("1"));
  std::string out;
  append_json_string(out, "a\"b");
  EXPECT_EQ(out, R"("a\"b")");
}

TEST(JsonTest, GarbageIsRejected) {
  for (std::string_view bad : {"",
                               " ",
                               "{",
                               "}",
                               "[",
                               "[1,",
                               "[1 2]",
                               "{\"a\"}",
                               "{\"a\":}",
                               "{\"a\":1,}",
                               "[1,]",
                               "tru",
                               "nul",
                               "falsey",
                               "-",
                               "1.",
                               "1e",
                               "1e+",
                               ".5",
                               "\"unterminated",
                               "\"bad \\x\"",
                               "\"\\u12G4\"",
                               "\"\\u12\"",
                               "\"\\",
                               "{\"a\" 1}",
                               "{1:2}",
                               "'single'",
                               "NaN"}) {
    Result<Json> r = Json::parse(bad);
    EXPECT_FALSE(r.ok()) << "accepted: " << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
    }
  }
}

TEST(JsonTest, RandomInputNeverCrashes) {
  Random rnd(20240601);
  const std::string alphabet = "{}[]\",:\\u0123456789abcdefnrtl -+.eE\xff";
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    const auto len = rnd.uniform(0, 40);
    for (int64_t k = 0; k < len; ++k) {
      s.push_back(
          alphabet[static_cast<size_t>(rnd.uniform(0, static_cast<int64_t>(alphabet.size()) - 1))]);
    }
    Result<Json> r = Json::parse(s);
    if (r.ok()) {
      EXPECT_TRUE(Json::parse(r->dump()).ok()) << s;  // whatever parses must re-parse
    }
  }
}

}  // namespace
}  // namespace rmq::common

namespace rmq::common {
namespace {
TEST(JsonCoercion, RejectsSignSoupAndNonDecimalNotations) {
  EXPECT_FALSE(Json::string("+-5").as_int().has_value());
  EXPECT_FALSE(Json::string("0x10").as_int().has_value());
  EXPECT_FALSE(Json::string("inf").as_double().has_value());
  EXPECT_FALSE(Json::string("nan").as_double().has_value());
  EXPECT_EQ(Json::string("+5").as_int(), 5);
  EXPECT_EQ(Json::string("1e3").as_int(), 1000);
}
}  // namespace
}  // namespace rmq::common
