#include "common/crc32.h"

#include <isa-l/crc.h>

namespace rmq::common {

// The zlib/gzip CRC-32 (RocketMQ's BODYCRC and our log checksums), computed by ISA-L with
// carry-less multiply instructions; crc32_gzip_refl(seed, ...) chains exactly like zlib's crc32.
uint32_t crc32(const void* data, size_t n, uint32_t seed) {
  return crc32_gzip_refl(seed, static_cast<const unsigned char*>(data), n);
}

}  // namespace rmq::common
