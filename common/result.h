// Result<T>: a value or a non-OK Status, shaped like std::expected so it can become one at C++23.
// Accessing value() of an error Result is a broken invariant and aborts.
#pragma once

#include "common/status.h"

#include <cstdio>
#include <cstdlib>
#include <utility>
#include <variant>

namespace rmq::common {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).is_ok()) v_ = Status::internal("Result constructed from OK status");
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }

  T& value() & { return check(), std::get<T>(v_); }
  const T& value() const& { return check(), std::get<T>(v_); }
  T&& value() && { return check(), std::get<T>(std::move(v_)); }
  T value_or(T other) const { return ok() ? std::get<T>(v_) : std::move(other); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void check() const {
    if (!ok()) {
      std::fprintf(stderr, "Result::value() on error: %s\n",
                   std::get<Status>(v_).to_string().c_str());
      std::abort();
    }
  }
  std::variant<T, Status> v_;
};

}  // namespace rmq::common

// Declares `lhs` from a Result-returning expression or returns its Status.
#define RMQ_CONCAT_INNER(a, b) a##b
#define RMQ_CONCAT(a, b) RMQ_CONCAT_INNER(a, b)
#define RMQ_ASSIGN_OR_RETURN(lhs, expr) \
  RMQ_ASSIGN_OR_RETURN_IMPL(RMQ_CONCAT(rmq_res_, __LINE__), lhs, expr)
#define RMQ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
