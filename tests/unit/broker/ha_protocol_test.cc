// The classic HA channel's codec and the master's start decision (broker/ha/ha_protocol.h):
// hello round trip and rejection, frames split at every byte, control frames, corrupt headers,
// and each branch of decide_start.
#include "broker/ha/ha_protocol.h"

#include "common/crc32.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rmq::broker::ha {
namespace {

std::vector<uint8_t> frame(int64_t offset, int32_t size, std::string_view body = {}) {
  std::vector<uint8_t> out(kFrameHeaderSize);
  encode_frame_header(offset, size, out.data());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

TEST(HaProtocolTest, HelloRoundTripsAndBadHellosAreRejected) {
  Hello h{1 << 20, 2, 123456, 100000, 0xDEADBEEF};
  uint8_t buf[kHelloSize];
  encode_hello(h, buf);
  auto back = decode_hello(common::ByteView(buf, kHelloSize));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, h);
  EXPECT_FALSE(decode_hello(common::ByteView(buf, kHelloSize - 1)).ok());
  uint8_t bad[kHelloSize];
  std::copy(buf, buf + kHelloSize, bad);
  bad[0] ^= 1;  // magic
  EXPECT_FALSE(decode_hello(common::ByteView(bad, kHelloSize)).ok());
  std::copy(buf, buf + kHelloSize, bad);
  bad[7] = 9;  // version
  EXPECT_NE(decode_hello(common::ByteView(bad, kHelloSize)).status().message().find("version"),
            std::string_view::npos);
  Hello inconsistent = h;
  inconsistent.check_from = h.max_offset + 1;
  encode_hello(inconsistent, bad);
  EXPECT_FALSE(decode_hello(common::ByteView(bad, kHelloSize)).ok());
}

TEST(HaProtocolTest, CheckWindowStaysInTheLastSegment) {
  const int64_t seg = 1 << 20;
  EXPECT_EQ(check_window_start(0, seg), 0);
  EXPECT_EQ(check_window_start(100, seg), 0);
  EXPECT_EQ(check_window_start(seg + 100, seg), seg);  // segment start
  EXPECT_EQ(check_window_start(seg + 200'000, seg), seg + 200'000 - kCheckWindow);
  EXPECT_EQ(check_window_start(2 * seg, seg), 2 * seg - kCheckWindow);  // full segment
}

TEST(HaProtocolTest, DecoderReassemblesFramesSplitAtEveryByte) {
  std::vector<uint8_t> stream;
  for (const auto& f : {frame(0, 5, "hello"), frame(5, 0), frame(5, 3, "abc"),
                        frame(77, kTruncateSize), frame(1 << 20, kRefuseSize)}) {
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (size_t split = 0; split <= stream.size(); ++split) {
    FrameDecoder d;
    std::vector<std::string> seen;
    auto drain = [&] {
      while (true) {
        auto f = d.next();
        ASSERT_TRUE(f.ok());
        if (!f->has_value()) return;
        const Frame& fr = **f;
        seen.push_back(std::to_string(static_cast<int>(fr.kind)) + "@" + std::to_string(fr.offset) +
                       ":" + std::string(common::as_string_view(fr.body)));
      }
    };
    d.feed(common::ByteView(stream.data(), split));
    drain();
    d.feed(common::ByteView(stream.data() + split, stream.size() - split));
    drain();
    EXPECT_EQ(seen,
              (std::vector<std::string>{"0@0:hello", "1@5:", "0@5:abc", "2@77:", "3@1048576:"}))
        << "split at " << split;
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(HaProtocolTest, DecoderRejectsHeadersNoMasterWrites) {
  for (const auto& f : {frame(0, -3), frame(0, kMaxFrameBody + 1), frame(-1, 4, "abcd")}) {
    FrameDecoder d;
    d.feed(common::ByteView(f.data(), f.size()));
    EXPECT_FALSE(d.next().ok());
  }
}

// A master log of `max` bytes whose byte at i is (i * 7) % 251, except after `diverge_at`.
MasterLogView master_view(int64_t min, int64_t max, int64_t seg) {
  MasterLogView v;
  v.segment_size = seg;
  v.min_offset = min;
  v.max_offset = max;
  v.crc = [max](int64_t from, int64_t to) -> std::optional<uint32_t> {
    if (to > max) return std::nullopt;
    std::vector<uint8_t> b;
    for (int64_t i = from; i < to; ++i) b.push_back(static_cast<uint8_t>((i * 7) % 251));
    return common::crc32(b.data(), b.size());
  };
  return v;
}

Hello slave_hello(int64_t max, int64_t seg, int64_t diverge_at = -1) {
  Hello h;
  h.segment_size = seg;
  h.broker_id = 1;
  h.max_offset = max;
  h.check_from = check_window_start(max, seg);
  std::vector<uint8_t> b;
  for (int64_t i = h.check_from; i < max; ++i) {
    b.push_back(static_cast<uint8_t>(diverge_at >= 0 && i >= diverge_at ? 0xAA : (i * 7) % 251));
  }
  h.check_crc = common::crc32(b.data(), b.size());
  return h;
}

TEST(HaProtocolTest, DecideStartCoversEveryCase) {
  using K = StartDecision::Kind;
  const int64_t seg = 1 << 20;
  const MasterLogView m = master_view(0, 300'000, seg);
  // Other segment size: refused, naming the master's.
  EXPECT_EQ(decide_start(slave_hello(1000, seg / 2), m), (StartDecision{K::kRefuse, seg}));
  // Empty slave: everything from the master's first byte (retention may have moved it).
  EXPECT_EQ(decide_start(slave_hello(0, seg), m), (StartDecision{K::kStream, 0}));
  EXPECT_EQ(decide_start(slave_hello(0, seg), master_view(seg, seg + 10, seg)),
            (StartDecision{K::kStream, seg}));
  // Same bytes: continue where the slave ends (also exactly at the master's end).
  EXPECT_EQ(decide_start(slave_hello(200'000, seg), m), (StartDecision{K::kStream, 200'000}));
  EXPECT_EQ(decide_start(slave_hello(300'000, seg), m), (StartDecision{K::kStream, 300'000}));
  // Ahead of the master: cut to its end.
  EXPECT_EQ(decide_start(slave_hello(400'000, seg), m), (StartDecision{K::kTruncate, 300'000}));
  // Diverged inside the window: cut to the window's start.
  const Hello diverged = slave_hello(250'000, seg, 240'000);
  EXPECT_EQ(decide_start(diverged, m), (StartDecision{K::kTruncate, diverged.check_from}));
  // Behind the master's first segment (retention): nothing in common, cut everything.
  EXPECT_EQ(decide_start(slave_hello(1000, seg), master_view(2 * seg, 2 * seg + 5, seg)),
            (StartDecision{K::kTruncate, 0}));
  // A window that starts before the master's first byte cannot be checked: trusted.
  EXPECT_EQ(decide_start(slave_hello(seg + 10, seg, seg), master_view(seg + 5, 2 * seg, seg)),
            (StartDecision{K::kStream, seg + 10}));
}

}  // namespace
}  // namespace rmq::broker::ha
