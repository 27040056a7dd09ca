// Status: the result of an operation that returns no value (LevelDB style). Cheap when OK (no
// allocation). Thread-compatible value type. Codes are never renumbered; see to_string().
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace rmq::common {

enum class Code : int {
  kOk = 0,
  kNotFound = 1,
  kCorruption = 2,
  kNotSupported = 3,
  kInvalidArgument = 4,
  kIOError = 5,
  kBusy = 6,
  kTimeout = 7,
  kAborted = 8,
  kUnavailable = 9,
  kAlreadyExists = 10,
  kNoSpace = 11,
  kInternal = 12,
  kOutOfRange = 13,
};

std::string_view to_string(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string_view msg);

  static Status ok() { return {}; }
  static Status not_found(std::string_view m) { return {Code::kNotFound, m}; }
  static Status corruption(std::string_view m) { return {Code::kCorruption, m}; }
  static Status not_supported(std::string_view m) { return {Code::kNotSupported, m}; }
  static Status invalid_argument(std::string_view m) { return {Code::kInvalidArgument, m}; }
  static Status io_error(std::string_view m) { return {Code::kIOError, m}; }
  static Status busy(std::string_view m) { return {Code::kBusy, m}; }
  static Status timeout(std::string_view m) { return {Code::kTimeout, m}; }
  static Status aborted(std::string_view m) { return {Code::kAborted, m}; }
  static Status unavailable(std::string_view m) { return {Code::kUnavailable, m}; }
  static Status already_exists(std::string_view m) { return {Code::kAlreadyExists, m}; }
  static Status no_space(std::string_view m) { return {Code::kNoSpace, m}; }
  static Status internal(std::string_view m) { return {Code::kInternal, m}; }
  static Status out_of_range(std::string_view m) { return {Code::kOutOfRange, m}; }

  bool is_ok() const { return rep_ == nullptr; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  std::string_view message() const {
    return rep_ ? std::string_view(rep_->msg) : std::string_view();
  }
  // "IOError: open /x: No such file or directory"
  std::string to_string() const;

  // Returns a copy whose message is "context: <old message>".
  Status with_context(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct Rep {
    Code code;
    std::string msg;
  };
  std::shared_ptr<const Rep> rep_;  // null == OK; shared so copies are cheap
};

std::ostream& operator<<(std::ostream& os, const Status& s);

}  // namespace rmq::common

// Propagates a non-OK Status from an expression returning Status.
#define RMQ_RETURN_IF_ERROR(expr)           \
  do {                                      \
    ::rmq::common::Status rmq_st_ = (expr); \
    if (!rmq_st_.is_ok()) return rmq_st_;   \
  } while (0)
