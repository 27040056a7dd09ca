#include "broker/ha/ha_protocol.h"

#include <algorithm>
#include <string>

namespace rmq::broker::ha {

using common::Result;
using common::Status;

void encode_hello(const Hello& h, uint8_t out[kHelloSize]) {
  common::store_be<uint32_t>(out, kHelloMagic);
  common::store_be<uint32_t>(out + 4, kProtocolVersion);
  common::store_be<int64_t>(out + 8, h.segment_size);
  common::store_be<int64_t>(out + 16, h.broker_id);
  common::store_be<int64_t>(out + 24, h.max_offset);
  common::store_be<int64_t>(out + 32, h.check_from);
  common::store_be<uint32_t>(out + 40, h.check_crc);
}

Result<Hello> decode_hello(common::ByteView b) {
  if (b.size() != kHelloSize) return Status::invalid_argument("HA hello: wrong size");
  if (common::load_be<uint32_t>(b.data()) != kHelloMagic) {
    return Status::invalid_argument("HA hello: bad magic (not a raftmq slave)");
  }
  const auto version = common::load_be<uint32_t>(b.data() + 4);
  if (version != kProtocolVersion) {
    return Status::invalid_argument("HA hello: protocol version " + std::to_string(version) +
                                    ", this master speaks " + std::to_string(kProtocolVersion));
  }
  Hello h;
  h.segment_size = common::load_be<int64_t>(b.data() + 8);
  h.broker_id = common::load_be<int64_t>(b.data() + 16);
  h.max_offset = common::load_be<int64_t>(b.data() + 24);
  h.check_from = common::load_be<int64_t>(b.data() + 32);
  h.check_crc = common::load_be<uint32_t>(b.data() + 40);
  if (h.segment_size <= 0 || h.max_offset < 0 || h.check_from < 0 || h.check_from > h.max_offset) {
    return Status::invalid_argument("HA hello: inconsistent offsets");
  }
  return h;
}

int64_t check_window_start(int64_t max_offset, int64_t segment_size) {
  if (max_offset <= 0) return 0;
  const int64_t segment_start = (max_offset - 1) / segment_size * segment_size;
  return std::max(segment_start, max_offset - kCheckWindow);
}

void encode_frame_header(int64_t offset, int32_t size, uint8_t out[kFrameHeaderSize]) {
  common::store_be<int64_t>(out, offset);
  common::store_be<int32_t>(out + 8, size);
}

void FrameDecoder::feed(common::ByteView bytes) {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > (1u << 20) && pos_ * 2 > buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Frame>> FrameDecoder::next() {
  const size_t avail = buf_.size() - pos_;
  if (avail < kFrameHeaderSize) return std::optional<Frame>();
  const uint8_t* p = buf_.data() + pos_;
  Frame f;
  f.offset = common::load_be<int64_t>(p);
  const auto size = common::load_be<int32_t>(p + 8);
  if (f.offset < 0) return Status::corruption("HA frame with a negative offset");
  if (size == kTruncateSize || size == kRefuseSize) {
    f.kind = size == kTruncateSize ? FrameKind::kTruncate : FrameKind::kRefuse;
    pos_ += kFrameHeaderSize;
    return std::optional<Frame>(f);
  }
  if (size < 0 || size > kMaxFrameBody) {
    return Status::corruption("HA frame with size " + std::to_string(size));
  }
  if (avail < kFrameHeaderSize + static_cast<size_t>(size)) return std::optional<Frame>();
  f.kind = size == 0 ? FrameKind::kHeartbeat : FrameKind::kData;
  f.body = common::ByteView(p + kFrameHeaderSize, static_cast<size_t>(size));
  pos_ += kFrameHeaderSize + static_cast<size_t>(size);
  return std::optional<Frame>(f);
}

StartDecision decide_start(const Hello& hello, const MasterLogView& m) {
  using Kind = StartDecision::Kind;
  if (hello.segment_size != m.segment_size) return {Kind::kRefuse, m.segment_size};
  const int64_t s = hello.max_offset;
  if (s == 0) return {Kind::kStream, m.min_offset};  // an empty slave takes everything
  if (s > m.max_offset) return {Kind::kTruncate, m.max_offset};
  if (s < m.min_offset) return {Kind::kTruncate, 0};  // nothing in common is left
  // A window starting before the master's first byte cannot be checked (retention deleted it):
  // the slave's bytes up to there were checked when it first received them.
  if (hello.check_from < m.min_offset || hello.check_from == s) return {Kind::kStream, s};
  const std::optional<uint32_t> crc = m.crc(hello.check_from, s);
  if (crc && *crc == hello.check_crc) return {Kind::kStream, s};
  return {Kind::kTruncate, hello.check_from};
}

}  // namespace rmq::broker::ha
