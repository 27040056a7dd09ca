// RMQ_CHECK: always-on invariant check; logs file:line and the condition, then aborts. Broken
// invariants are fatal because corrupt state must not keep running. RMQ_DCHECK: debug builds only.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace rmq::common::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* cond, const char* msg);
}  // namespace rmq::common::detail

#define RMQ_CHECK(cond)                                                              \
  do {                                                                               \
    if (!(cond)) ::rmq::common::detail::check_failed(__FILE__, __LINE__, #cond, ""); \
  } while (0)

#define RMQ_CHECK_MSG(cond, msg)                                                      \
  do {                                                                                \
    if (!(cond)) ::rmq::common::detail::check_failed(__FILE__, __LINE__, #cond, msg); \
  } while (0)

#ifdef NDEBUG
#define RMQ_DCHECK(cond) \
  do {                   \
  } while (0)
#else
#define RMQ_DCHECK(cond) RMQ_CHECK(cond)
#endif
