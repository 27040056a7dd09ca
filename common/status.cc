#include "common/status.h"

namespace rmq::common {

std::string_view to_string(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return "NotFound";
    case Code::kCorruption:
      return "Corruption";
    case Code::kNotSupported:
      return "NotSupported";
    case Code::kInvalidArgument:
      return "InvalidArgument";
    case Code::kIOError:
      return "IOError";
    case Code::kBusy:
      return "Busy";
    case Code::kTimeout:
      return "Timeout";
    case Code::kAborted:
      return "Aborted";
    case Code::kUnavailable:
      return "Unavailable";
    case Code::kAlreadyExists:
      return "AlreadyExists";
    case Code::kNoSpace:
      return "NoSpace";
    case Code::kInternal:
      return "Internal";
    case Code::kOutOfRange:
      return "OutOfRange";
  }
  return "Unknown";
}

Status::Status(Code code, std::string_view msg) {
  if (code != Code::kOk) rep_ = std::make_shared<const Rep>(Rep{code, std::string(msg)});
}

std::string Status::to_string() const {
  if (is_ok()) return "OK";
  std::string out(common::to_string(rep_->code));
  if (!rep_->msg.empty()) {
    out += ": ";
    out += rep_->msg;
  }
  return out;
}

Status Status::with_context(std::string_view context) const {
  if (is_ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += rep_->msg;
  return Status(rep_->code, msg);
}

std::ostream& operator<<(std::ostream& os, const Status& s) { return os << s.to_string(); }

}  // namespace rmq::common
