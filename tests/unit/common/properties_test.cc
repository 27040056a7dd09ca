#include "common/properties.h"

#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace rmq::common {
namespace {

Properties parse_ok(std::string_view text) {
  Result<Properties> r = parse_properties(text, "test.conf");
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? std::move(r).value() : Properties();
}

// The line of `key`, or -1 when absent (so a missing key fails instead of crashing).
int line_of(const Properties& p, std::string_view key) {
  const PropertyEntry* e = p.find(key);
  return e ? e->line : -1;
}

TEST(PropertiesTest, ThreeSeparatorForms) {
  Properties p = parse_ok("a=1\nb: 2\nc 3\nd = 4\ne\t:\t5\nf   6\n");
  EXPECT_EQ(p.size(), 6u);
  EXPECT_EQ(p.get("a"), "1");
  EXPECT_EQ(p.get("b"), "2");
  EXPECT_EQ(p.get("c"), "3");
  EXPECT_EQ(p.get("d"), "4");
  EXPECT_EQ(p.get("e"), "5");
  EXPECT_EQ(p.get("f"), "6");
}

TEST(PropertiesTest, TypicalBrokerConf) {
  Properties p = parse_ok(
      "# broker.conf\n"
      "brokerClusterName = DefaultCluster\n"
      "brokerName = broker-a\n"
      "brokerId = 0\n"
      "deleteWhen = 04\n"
      "fileReservedTime = 48\n"
      "brokerRole = ASYNC_MASTER\n"
      "flushDiskType = ASYNC_FLUSH\n"
      "dLegerPeers=n0-127.0.0.1:40911;n1-127.0.0.1:40912\n");
  EXPECT_EQ(p.size(), 8u);
  EXPECT_EQ(p.get("brokerName"), "broker-a");
  EXPECT_EQ(p.get("deleteWhen"), "04");
  EXPECT_EQ(p.get("dLegerPeers"), "n0-127.0.0.1:40911;n1-127.0.0.1:40912");
  EXPECT_EQ(line_of(p, "brokerName"), 3);
}

TEST(PropertiesTest, CommentsBlankLinesAndLeadingWhitespace) {
  Properties p = parse_ok("# comment\n! also comment\n\n   \n\t  key = v\n  # indented comment\n");
  ASSERT_EQ(p.size(), 1u);
  ASSERT_TRUE(p.contains("key"));
  EXPECT_EQ(p.get("key"), "v");
  EXPECT_EQ(line_of(p, "key"), 5);
  EXPECT_TRUE(parse_ok("").empty());
  EXPECT_TRUE(parse_ok("#only=comment").empty());
}

TEST(PropertiesTest, HashInsideValueIsNotAComment) {
  Properties p = parse_ok("k=a#b !c\n");
  EXPECT_EQ(p.get("k"), "a#b !c");
}

TEST(PropertiesTest, ValueDetails) {
  Properties p = parse_ok("eq=a=b:c\nkeyonly\nempty=\ntrailing=v  \n");
  EXPECT_EQ(p.get("eq"), "a=b:c");  // only the first separator splits
  ASSERT_TRUE(p.contains("keyonly"));
  EXPECT_EQ(p.get("keyonly", "x"), "");
  EXPECT_EQ(p.get("empty", "x"), "");
  EXPECT_EQ(p.get("trailing"), "v  ");  // values are verbatim, as in Java
  EXPECT_EQ(p.get("absent", "fallback"), "fallback");
  EXPECT_EQ(p.find("absent"), nullptr);
}

TEST(PropertiesTest, LineContinuation) {
  Properties p = parse_ok(
      "list = a,\\\n"
      "       b,\\\n"
      "\tc\n"
      "next=1\n");
  EXPECT_EQ(p.get("list"), "a,b,c");
  EXPECT_EQ(line_of(p, "list"), 1);
  EXPECT_EQ(line_of(p, "next"), 4);
}

TEST(PropertiesTest, ContinuationLineIsNeverAComment) {
  Properties p = parse_ok("k=a\\\n#notcomment\n");
  EXPECT_EQ(p.get("k"), "a#notcomment");
}

TEST(PropertiesTest, CommentLineDoesNotContinue) {
  Properties p = parse_ok("# comment \\\nk=v\n");
  EXPECT_EQ(p.get("k"), "v");
}

TEST(PropertiesTest, EvenBackslashesDoNotContinue) {
  Properties p = parse_ok("path=C:\\\\\nnext=1\n");
  EXPECT_EQ(p.get("path"), "C:\\");
  EXPECT_EQ(p.get("next"), "1");
}

TEST(PropertiesTest, ContinuationAtEndOfInput) {
  Properties p = parse_ok("k=v\\");
  EXPECT_EQ(p.get("k"), "v");
}

TEST(PropertiesTest, Escapes) {
  Properties p = parse_ok(
      "tab=a\\tb\nnl=a\\nb\ncr=a\\rb\nff=a\\fb\nbs=a\\\\b\neq=a\\=b\ncolon=a\\:b\n"
      "uni=\\u0041\\u00e9\\u4E2D\nother=\\q\\ \n");
  EXPECT_EQ(p.get("tab"), "a\tb");
  EXPECT_EQ(p.get("nl"), "a\nb");
  EXPECT_EQ(p.get("cr"), "a\rb");
  EXPECT_EQ(p.get("ff"), "a\fb");
  EXPECT_EQ(p.get("bs"), "a\\b");
  EXPECT_EQ(p.get("eq"), "a=b");
  EXPECT_EQ(p.get("colon"), "a:b");
  EXPECT_EQ(p.get("uni"), "A\xC3\xA9\xE4\xB8\xAD");
  EXPECT_EQ(p.get("other"), "q ");
}

TEST(PropertiesTest, SurrogatePairEscape) {
  Properties p = parse_ok("smile=\\ud83d\\ude00\nlone=\\ud83d!\n");
  EXPECT_EQ(p.get("smile"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(p.get("lone"), "\xEF\xBF\xBD!");
}

TEST(PropertiesTest, EscapedSeparatorsInKey) {
  Properties p = parse_ok("a\\ b\\=c\\:d = v\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p.get("a b=c:d"), "v");
}

TEST(PropertiesTest, LaterDuplicateWins) {
  Properties p = parse_ok("k=1\nother=x\nk=2\n");
  EXPECT_EQ(p.size(), 2u);
  EXPECT_EQ(p.get("k"), "2");
  EXPECT_EQ(line_of(p, "k"), 3);
}

TEST(PropertiesTest, LineEndings) {
  Properties crlf = parse_ok("a=1\r\nb=2\r\n\r\nc=3");
  EXPECT_EQ(crlf.get("a"), "1");
  EXPECT_EQ(crlf.get("b"), "2");
  EXPECT_EQ(line_of(crlf, "c"), 4);
  Properties cr = parse_ok("a=1\rb=2\r");
  EXPECT_EQ(cr.get("a"), "1");
  EXPECT_EQ(line_of(cr, "b"), 2);
  Properties cont = parse_ok("a=x\\\r\n  y\r\n");
  EXPECT_EQ(cont.get("a"), "xy");
}

TEST(PropertiesTest, Utf8BomAndBytesPassThrough) {
  Properties p = parse_ok("\xEF\xBB\xBFname=\xE4\xB8\xAD\n");
  EXPECT_EQ(p.get("name"), "\xE4\xB8\xAD");
}

TEST(PropertiesTest, MalformedUnicodeEscapeNamesLine) {
  for (std::string_view bad : {"ok=1\nk=\\u12G4\n", "ok=1\nk=\\u12\n", "ok=1\n\\uZZZZ=v\n"}) {
    Result<Properties> r = parse_properties(bad, "broker.conf");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find("broker.conf:2"), std::string_view::npos) << r.status();
  }
}

TEST(PropertiesTest, LocationAndProgrammaticSet) {
  Properties p("x.conf");
  p.set("k", "v", 7);
  p.set("m", "w");
  EXPECT_EQ(p.source(), "x.conf");
  ASSERT_TRUE(p.contains("k") && p.contains("m"));
  EXPECT_EQ(p.location(*p.find("k")), "x.conf:7");
  EXPECT_EQ(p.location(*p.find("m")), "x.conf");
  p.set("k", "v2", 9);
  EXPECT_EQ(p.get("k"), "v2");
  EXPECT_EQ(p.entries().size(), 2u);
}

TEST(PropertiesTest, LoadFile) {
  testutil::TempDir dir;
  const std::string path = dir.file("broker.conf");
  {
    std::ofstream out(path);
    out << "# header\nbrokerName=broker-a\nlistenPort=10911\n";
  }
  Result<Properties> r = load_properties_file(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->source(), path);
  EXPECT_EQ(r->get("brokerName"), "broker-a");
  ASSERT_TRUE(r->contains("listenPort"));
  EXPECT_EQ(r->location(*r->find("listenPort")), path + ":3");
}

TEST(PropertiesTest, LoadMissingFileNamesPath) {
  testutil::TempDir dir;
  const std::string path = dir.file("nope.conf");
  Result<Properties> r = load_properties_file(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kIOError);
  EXPECT_NE(r.status().message().find(path), std::string_view::npos) << r.status();
  EXPECT_NE(r.status().message().find("No such file"), std::string_view::npos) << r.status();
}

TEST(PropertiesTest, LoadDirectoryFails) {
  testutil::TempDir dir;
  Result<Properties> r = load_properties_file(dir.path().string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kIOError);
  EXPECT_NE(r.status().message().find(dir.path().string()), std::string_view::npos);
}

TEST(PropertiesTest, FormatPropertyRoundTrips) {
  const std::pair<std::string, std::string> cases[] = {
      {"plain", "value"},
      {"a b", " leading space"},
      {"k=e:y", "x=y:z"},
      {"#hash", "#v!"},
      {"!bang", "tab\there"},
      {"multi", "line1\nline2\r\n"},
      {"back\\slash", "ends with \\"},
      {"utf8", "\xE4\xB8\xAD"},
      {"empty", ""},
  };
  std::string text;
  for (const auto& [k, v] : cases) text += format_property(k, v) + "\n";
  Properties p = parse_ok(text);
  ASSERT_EQ(p.size(), std::size(cases)) << text;
  for (const auto& [k, v] : cases) {
    ASSERT_TRUE(p.contains(k)) << k << "\n" << text;
    EXPECT_EQ(p.get(k), v) << k;
  }
  EXPECT_EQ(format_property("listenPort", "10911"), "listenPort=10911");
}

}  // namespace
}  // namespace rmq::common
