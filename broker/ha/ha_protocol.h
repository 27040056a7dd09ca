// The classic HA channel's wire format (broker/ha/README.md has the byte layouts) and the
// master's decision where a slave starts. Pure: no sockets, no clock, no threads.
// Slave -> master: one Hello when the connection opens, then 8-byte reports of its max offset.
// Master -> slave: frames [8 offset][4 size][size bytes]; size 0 is a heartbeat, negative sizes
// are control frames (truncate, refuse).
#pragma once

#include "common/bytes.h"
#include "common/result.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace rmq::broker::ha {

inline constexpr uint32_t kHelloMagic = 0x524D4841;  // "RMHA"
inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kHelloSize = 44;
inline constexpr size_t kReportSize = 8;
inline constexpr size_t kFrameHeaderSize = 12;
// The slave's check window: the crc of its last bytes (at most this many, within one segment).
inline constexpr int64_t kCheckWindow = 64 * 1024;
// Master frames larger than this are refused by the slave (a corrupt stream).
inline constexpr int32_t kMaxFrameBody = 64 * 1024 * 1024;

struct Hello {
  int64_t segment_size = 0;  // mappedFileSizeCommitLog: both ends must agree
  int64_t broker_id = 0;
  int64_t max_offset = 0;  // end of the slave's log (0: empty)
  int64_t check_from = 0;  // the slave's bytes [check_from, max_offset) ...
  uint32_t check_crc = 0;  // ... have this crc32
  friend bool operator==(const Hello&, const Hello&) = default;
};

void encode_hello(const Hello& h, uint8_t out[kHelloSize]);
[[nodiscard]] common::Result<Hello> decode_hello(common::ByteView bytes);
// Where a slave whose log ends at `max_offset` starts its check window.
int64_t check_window_start(int64_t max_offset, int64_t segment_size);

enum class FrameKind {
  kData,       // `body` holds the master's log bytes at `offset`
  kHeartbeat,  // nothing to send; `offset` is the master's max offset
  kTruncate,   // the slave cuts its log at `offset` and connects again
  kRefuse,     // the master will not serve this slave; `offset` is the master's segment size
};
inline constexpr int32_t kTruncateSize = -1;
inline constexpr int32_t kRefuseSize = -2;

void encode_frame_header(int64_t offset, int32_t size, uint8_t out[kFrameHeaderSize]);

struct Frame {
  FrameKind kind = FrameKind::kHeartbeat;
  int64_t offset = 0;
  common::ByteView body;  // kData: points into the decoder's input
};

// Splits a byte stream into master frames. feed() appends received bytes; next() returns the next
// whole frame (its body valid until the following feed() or next()), nullopt when more bytes are
// needed, or an error for a header no master writes (the connection must be dropped).
class FrameDecoder {
 public:
  void feed(common::ByteView bytes);
  [[nodiscard]] common::Result<std::optional<Frame>> next();
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
};

// The master's answer to a Hello.
struct StartDecision {
  enum class Kind { kStream, kTruncate, kRefuse };
  Kind kind = Kind::kStream;
  int64_t offset = 0;  // kStream: first byte to send; kTruncate: where the slave cuts
  friend bool operator==(const StartDecision&, const StartDecision&) = default;
};
// What the master knows of its own log. `crc(from, to)` is the crc32 of its bytes [from, to)
// (one segment) or nullopt when it cannot read them.
struct MasterLogView {
  int64_t segment_size = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  std::function<std::optional<uint32_t>(int64_t from, int64_t to)> crc;
};
// An empty slave starts at the master's first byte; a slave whose last bytes match the master's
// continues where it ends; a slave ahead of the master, behind its first segment, or whose last
// bytes differ (the master lost a tail and wrote new data there) is told to truncate (to the
// master's end, to nothing, or to the start of its check window: each round cuts at least one
// window, so a diverged slave converges in a few reconnections).
StartDecision decide_start(const Hello& hello, const MasterLogView& master);

}  // namespace rmq::broker::ha
