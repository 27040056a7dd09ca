// StrongId<Tag, Rep>: a number that means one thing (term, log index, node id, offsets), so that a
// Term can never be passed where a LogIndex is expected. Value type, constexpr, hashable.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

namespace rmq::common {

template <typename Tag, typename Rep = uint64_t>
class StrongId {
 public:
  using rep_type = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep v) : v_(v) {}
  constexpr Rep value() const { return v_; }

  constexpr auto operator<=>(const StrongId&) const = default;
  constexpr StrongId next() const { return StrongId(v_ + 1); }
  constexpr StrongId prev() const { return StrongId(v_ - 1); }
  constexpr StrongId operator+(Rep d) const { return StrongId(v_ + d); }
  constexpr StrongId operator-(Rep d) const { return StrongId(v_ - d); }
  constexpr StrongId& operator+=(Rep d) {
    v_ += d;
    return *this;
  }
  StrongId& operator++() {
    ++v_;
    return *this;
  }

  friend std::ostream& operator<<(std::ostream& os, StrongId id) { return os << id.v_; }

 private:
  Rep v_{};
};

struct TermTag {};
struct LogIndexTag {};
struct NodeIdTag {};
struct PhyOffsetTag {};
struct QueueOffsetTag {};

using Term = StrongId<TermTag>;
using LogIndex = StrongId<LogIndexTag, int64_t>;
using NodeId = StrongId<NodeIdTag, uint32_t>;
using PhyOffset = StrongId<PhyOffsetTag, int64_t>;
using QueueOffset = StrongId<QueueOffsetTag, int64_t>;

}  // namespace rmq::common

template <typename Tag, typename Rep>
struct std::hash<rmq::common::StrongId<Tag, Rep>> {
  size_t operator()(rmq::common::StrongId<Tag, Rep> id) const noexcept {
    return std::hash<Rep>()(id.value());
  }
};
