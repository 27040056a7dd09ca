// Byte helpers for wire and disk formats, all big-endian like Java's ByteBuffer.
// - ByteView: non-owning view of bytes.
// - Buffer: growable owned bytes with big-endian appenders (used to build frames and records).
// - Reader: bounds-checked big-endian cursor over a ByteView; every read reports failure instead of
//   reading past the end, so decoders never trust a length they have not checked.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::common {

using ByteView = std::span<const uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_string_view(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// std::byteswap is C++23; this is the same for the integral types we use.
template <typename T>
constexpr T byte_swap(T v) {
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(v);
  if constexpr (sizeof(T) == 2) u = static_cast<U>(__builtin_bswap16(u));
  if constexpr (sizeof(T) == 4) u = static_cast<U>(__builtin_bswap32(u));
  if constexpr (sizeof(T) == 8) u = static_cast<U>(__builtin_bswap64(u));
  return static_cast<T>(u);
}

template <typename T>
inline T load_be(const uint8_t* p) {
  static_assert(std::is_integral_v<T>);
  T v;
  std::memcpy(&v, p, sizeof(T));
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) v = byte_swap(v);
  return v;
}

template <typename T>
inline void store_be(uint8_t* p, T v) {
  static_assert(std::is_integral_v<T>);
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) v = byte_swap(v);
  std::memcpy(p, &v, sizeof(T));
}

class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t reserve) { data_.reserve(reserve); }
  explicit Buffer(std::vector<uint8_t> v) : data_(std::move(v)) {}
  explicit Buffer(std::string_view s) : data_(s.begin(), s.end()) {}

  const uint8_t* data() const { return data_.data(); }
  uint8_t* data() { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteView view() const { return {data_.data(), data_.size()}; }
  std::string_view str() const { return as_string_view(view()); }
  void clear() { data_.clear(); }
  void reserve(size_t n) { data_.reserve(n); }
  void resize(size_t n) { data_.resize(n); }
  std::vector<uint8_t>& vec() { return data_; }
  const std::vector<uint8_t>& vec() const { return data_; }

  void put_u8(uint8_t v) { data_.push_back(v); }
  void put_i16(int16_t v) { put_be(v); }
  void put_u16(uint16_t v) { put_be(v); }
  void put_i32(int32_t v) { put_be(v); }
  void put_u32(uint32_t v) { put_be(v); }
  void put_i64(int64_t v) { put_be(v); }
  void put_u64(uint64_t v) { put_be(v); }
  void put_bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    data_.insert(data_.end(), b, b + n);
  }
  void put_bytes(ByteView v) { put_bytes(v.data(), v.size()); }
  void put_string(std::string_view s) { put_bytes(s.data(), s.size()); }

  // Overwrites a big-endian value at `pos` (e.g. a length patched in after the payload).
  template <typename T>
  void patch_be(size_t pos, T v) {
    store_be<T>(data_.data() + pos, v);
  }

  friend bool operator==(const Buffer& a, const Buffer& b) { return a.data_ == b.data_; }

 private:
  template <typename T>
  void put_be(T v) {
    const size_t n = data_.size();
    data_.resize(n + sizeof(T));
    store_be<T>(data_.data() + n, v);
  }
  std::vector<uint8_t> data_;
};

class Reader {
 public:
  explicit Reader(ByteView v) : v_(v) {}
  size_t remaining() const { return v_.size() - pos_; }
  size_t position() const { return pos_; }
  bool at_end() const { return pos_ == v_.size(); }

  bool read_u8(uint8_t* out) { return read_be(out); }
  bool read_i16(int16_t* out) { return read_be(out); }
  bool read_u16(uint16_t* out) { return read_be(out); }
  bool read_i32(int32_t* out) { return read_be(out); }
  bool read_u32(uint32_t* out) { return read_be(out); }
  bool read_i64(int64_t* out) { return read_be(out); }
  bool read_u64(uint64_t* out) { return read_be(out); }
  // A view of the next n bytes (no copy), or false if fewer remain.
  bool read_view(size_t n, ByteView* out) {
    if (remaining() < n) return false;
    *out = v_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool read_string(size_t n, std::string* out) {
    ByteView b;
    if (!read_view(n, &b)) return false;
    out->assign(reinterpret_cast<const char*>(b.data()), b.size());
    return true;
  }
  bool skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  template <typename T>
  bool read_be(T* out) {
    if (remaining() < sizeof(T)) return false;
    *out = load_be<T>(v_.data() + pos_);
    pos_ += sizeof(T);
    return true;
  }
  ByteView v_;
  size_t pos_ = 0;
};

// Upper-case hex of bytes ("0A1B"), as RocketMQ prints msgIds.
std::string to_hex_upper(ByteView bytes);
// Parses hex (either case); false on odd length or a non-hex digit.
bool from_hex(std::string_view hex, std::vector<uint8_t>* out);

}  // namespace rmq::common
