// zlib streams in RocketMQ bodies: message bodies stored with the COMPRESSED sysFlag (PULL,
// QUERY and VIEW replies) and RegisterBrokerBody's compressed layout, both written by
// java.util.zip.Deflater (zlib header and trailer). Pure functions; thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/result.h"

#include <cstddef>
#include <string>

namespace rmq::remoting::protocol {

// Inflates one zlib stream. Corruption for a broken or truncated stream, or when the output
// would grow past `max_size` bytes.
[[nodiscard]] common::Result<std::string> zlib_inflate(common::ByteView in, size_t max_size);

// Deflates `in` into one zlib stream at `level` (0-9; Java's Deflater(level)).
common::Buffer zlib_deflate(common::ByteView in, int level);

}  // namespace rmq::remoting::protocol
