// ThreadPool: N worker threads draining one bounded FIFO queue of tasks. submit() never blocks:
// it returns false when the queue is full (the caller answers SYSTEM_BUSY, as RocketMQ's
// executors reject with their bounded LinkedBlockingQueue). Thread-safe; stop() drains nothing
// further and joins the workers.
#pragma once

#include "common/executor.h"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rmq::common {

class ThreadPool final : public Executor {
 public:
  ThreadPool(std::string name, size_t threads, size_t max_queue);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`; false if the queue already holds max_queue tasks or the pool is stopped.
  [[nodiscard]] bool submit(Task task);
  bool execute(Task task) override { return submit(std::move(task)); }
  // Stops accepting tasks, lets workers finish the queued ones, joins them. Idempotent.
  void stop();

  size_t queue_size() const;
  const std::string& name() const { return name_; }

 private:
  void run();

  const std::string name_;
  const size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopped_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace rmq::common
