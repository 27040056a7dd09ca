#include "common/thread_pool.h"

#include <pthread.h>

namespace rmq::common {

ThreadPool::ThreadPool(std::string name, size_t threads, size_t max_queue)
    : name_(std::move(name)), max_queue_(max_queue) {
  if (threads == 0) threads = 1;
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    workers_.emplace_back([this, i] {
      // Linux thread names are at most 15 characters.
      const std::string tname = (name_ + std::to_string(i)).substr(0, 15);
      pthread_setname_np(pthread_self(), tname.c_str());
      run();
    });
  }
}

ThreadPool::~ThreadPool() { stop(); }

bool ThreadPool::submit(Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopped_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void ThreadPool::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_ && workers_.empty()) return;
    stopped_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) {
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  }
  workers_.clear();
}

size_t ThreadPool::queue_size() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void ThreadPool::run() {
  while (true) {
    Task task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopped and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace rmq::common
