#include "remoting/protocol/compression.h"

#include "common/check.h"

#include <zlib.h>

#include <algorithm>

namespace rmq::remoting::protocol {

using common::Result;
using common::Status;

Result<std::string> zlib_inflate(common::ByteView in, size_t max_size) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Status::internal("inflateInit failed");
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (out.size() >= max_size) {
      inflateEnd(&zs);
      return Status::corruption("zlib stream inflates past " + std::to_string(max_size) + " bytes");
    }
    const size_t used = out.size();
    out.resize(std::min(max_size, std::max<size_t>(used * 2, in.size() * 4 + 4096)));
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = static_cast<uInt>(out.size() - used);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(out.size() - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) rc = Z_OK;  // output full: grow and go on
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    return Status::corruption("zlib error " + std::to_string(rc) +
                              (zs.msg != nullptr ? std::string(": ") + zs.msg : std::string()));
  }
  return out;
}

common::Buffer zlib_deflate(common::ByteView in, int level) {
  uLongf n = compressBound(static_cast<uLong>(in.size()));
  common::Buffer out;
  out.resize(n);
  const int rc = compress2(out.data(), &n, in.data(), static_cast<uLong>(in.size()), level);
  RMQ_CHECK(rc == Z_OK);  // only fails on a too-small buffer or a bad level
  out.resize(n);
  return out;
}

}  // namespace rmq::remoting::protocol
