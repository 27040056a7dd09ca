#include "common/status.h"

#include <gtest/gtest.h>

#include <sstream>

namespace rmq::common {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.is_ok());
  EXPECT_TRUE(static_cast<bool>(s));
  EXPECT_EQ(s.code(), Code::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.to_string(), "OK");
  EXPECT_EQ(Status::ok(), s);
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = Status::io_error("open /x: No such file or directory");
  EXPECT_FALSE(s.is_ok());
  EXPECT_FALSE(static_cast<bool>(s));
  EXPECT_EQ(s.code(), Code::kIOError);
  EXPECT_EQ(s.message(), "open /x: No such file or directory");
  EXPECT_EQ(s.to_string(), "IOError: open /x: No such file or directory");
}

TEST(StatusTest, OkCodeWithMessageIsStillOk) {
  Status s(Code::kOk, "ignored");
  EXPECT_TRUE(s.is_ok());
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, EmptyMessagePrintsCodeOnly) { EXPECT_EQ(Status::busy("").to_string(), "Busy"); }

TEST(StatusTest, FactoriesMapToCodes) {
  EXPECT_EQ(Status::not_found("x").code(), Code::kNotFound);
  EXPECT_EQ(Status::corruption("x").code(), Code::kCorruption);
  EXPECT_EQ(Status::not_supported("x").code(), Code::kNotSupported);
  EXPECT_EQ(Status::invalid_argument("x").code(), Code::kInvalidArgument);
  EXPECT_EQ(Status::io_error("x").code(), Code::kIOError);
  EXPECT_EQ(Status::busy("x").code(), Code::kBusy);
  EXPECT_EQ(Status::timeout("x").code(), Code::kTimeout);
  EXPECT_EQ(Status::aborted("x").code(), Code::kAborted);
  EXPECT_EQ(Status::unavailable("x").code(), Code::kUnavailable);
  EXPECT_EQ(Status::already_exists("x").code(), Code::kAlreadyExists);
  EXPECT_EQ(Status::no_space("x").code(), Code::kNoSpace);
  EXPECT_EQ(Status::internal("x").code(), Code::kInternal);
  EXPECT_EQ(Status::out_of_range("x").code(), Code::kOutOfRange);
}

TEST(StatusTest, CodeNumbersAndNamesArePinned) {
  // Codes are never renumbered.
  EXPECT_EQ(static_cast<int>(Code::kInvalidArgument), 4);
  EXPECT_EQ(static_cast<int>(Code::kOutOfRange), 13);
  EXPECT_EQ(to_string(Code::kOk), "OK");
  EXPECT_EQ(to_string(Code::kCorruption), "Corruption");
  EXPECT_EQ(to_string(Code::kAlreadyExists), "AlreadyExists");
  EXPECT_EQ(to_string(static_cast<Code>(999)), "Unknown");
}

TEST(StatusTest, WithContextPrefixesMessageAndKeepsCode) {
  Status s = Status::corruption("bad crc").with_context("segment 00000000000000000000");
  EXPECT_EQ(s.code(), Code::kCorruption);
  EXPECT_EQ(s.message(), "segment 00000000000000000000: bad crc");
  EXPECT_TRUE(Status::ok().with_context("ignored").is_ok());
}

TEST(StatusTest, EqualityComparesCodeAndMessage) {
  EXPECT_EQ(Status::busy("a"), Status::busy("a"));
  EXPECT_NE(Status::busy("a"), Status::busy("b"));
  EXPECT_NE(Status::busy("a"), Status::timeout("a"));
  Status copy = Status::busy("a");
  Status other = copy;
  EXPECT_EQ(copy, other);
}

TEST(StatusTest, StreamsToString) {
  std::ostringstream os;
  os << Status::not_found("topic T");
  EXPECT_EQ(os.str(), "NotFound: topic T");
}

Status fail_if(bool fail) { return fail ? Status::aborted("stop") : Status::ok(); }

Status chain(bool fail, int* reached) {
  RMQ_RETURN_IF_ERROR(fail_if(fail));
  *reached = 1;
  return Status::ok();
}

TEST(StatusTest, ReturnIfErrorPropagates) {
  int reached = 0;
  EXPECT_EQ(chain(true, &reached).code(), Code::kAborted);
  EXPECT_EQ(reached, 0);
  EXPECT_TRUE(chain(false, &reached).is_ok());
  EXPECT_EQ(reached, 1);
}

}  // namespace
}  // namespace rmq::common
