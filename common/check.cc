#include "common/check.h"

#include <spdlog/spdlog.h>

namespace rmq::common::detail {

void check_failed(const char* file, int line, const char* cond, const char* msg) {
  spdlog::critical("CHECK failed at {}:{}: {} {}", file, line, cond, msg);
  spdlog::default_logger()->flush();
  std::fprintf(stderr, "CHECK failed at %s:%d: %s %s\n", file, line, cond, msg);
  std::abort();
}

}  // namespace rmq::common::detail
