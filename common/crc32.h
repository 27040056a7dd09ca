// CRC32 with the zlib/java.util.zip polynomial, as RocketMQ (body CRC) and DLedger (entry CRC)
// use. Backed by zlib's table-driven implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace rmq::common {

uint32_t crc32(const void* data, size_t n, uint32_t seed = 0);
inline uint32_t crc32(std::span<const uint8_t> bytes, uint32_t seed = 0) {
  return crc32(bytes.data(), bytes.size(), seed);
}

}  // namespace rmq::common
