// Executor: where a piece of work runs. execute() never blocks; it returns false when the work
// cannot be accepted (queue full, stopped), which remoting turns into SYSTEM_BUSY.
// InlineExecutor runs the work at once on the calling thread: for handlers that never block
// (they hand work on and answer asynchronously), saving a thread switch per request.
#pragma once

#include <functional>

namespace rmq::common {

class Executor {
 public:
  using Task = std::function<void()>;
  virtual ~Executor() = default;
  [[nodiscard]] virtual bool execute(Task task) = 0;
};

class InlineExecutor final : public Executor {
 public:
  bool execute(Task task) override {
    task();
    return true;
  }
};

}  // namespace rmq::common
