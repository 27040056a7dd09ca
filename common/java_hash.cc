#include "common/java_hash.h"

#include <cstddef>

namespace rmq::common {
namespace {

// The hash of `s` decoded strictly as UTF-8; false on any malformed sequence.
bool hash_utf8(std::string_view s, uint32_t* hash) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  uint32_t h = 0;
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    uint32_t cp = 0;
    size_t len = 0;
    uint32_t min = 0;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1Fu;
      len = 2;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0Fu;
      len = 3;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07u;
      len = 4;
      min = 0x10000;
    } else {
      return false;
    }
    if (len > n - i) return false;
    for (size_t k = 1; k < len; ++k) {
      const uint8_t cc = p[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cp > 0xFFFF) {  // a surrogate pair
      cp -= 0x10000;
      h = h * 31u + (0xD800u + (cp >> 10));
      h = h * 31u + (0xDC00u + (cp & 0x3FFu));
    } else {
      h = h * 31u + cp;
    }
    i += len;
  }
  *hash = h;
  return true;
}

}  // namespace

int32_t java_string_hash(std::string_view utf8) {
  uint32_t h = 0;  // unsigned: Java's int overflow without UB
  if (!hash_utf8(utf8, &h)) {
    h = 0;
    for (char c : utf8) h = h * 31u + static_cast<uint8_t>(c);  // Latin-1
  }
  return static_cast<int32_t>(h);
}

}  // namespace rmq::common
