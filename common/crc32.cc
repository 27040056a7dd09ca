#include "common/crc32.h"

#include <zlib.h>

namespace rmq::common {

uint32_t crc32(const void* data, size_t n, uint32_t seed) {
  uLong crc = seed;
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {  // zlib takes a uInt length
    const uInt chunk = n > (1u << 30) ? (1u << 30) : static_cast<uInt>(n);
    crc = ::crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace rmq::common
