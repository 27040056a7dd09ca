#include "broker/longpolling/pull_request_hold_service.h"

namespace rmq::broker {

PullRequestHoldService::PullRequestHoldService(common::Clock& clock,
                                               std::chrono::milliseconds scan_interval)
    : clock_(clock), scan_interval_(scan_interval) {}

PullRequestHoldService::~PullRequestHoldService() { stop(); }

int64_t PullRequestHoldService::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
      .count();
}

void PullRequestHoldService::start() {
  std::lock_guard lock(mu_);
  if (!stop_) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void PullRequestHoldService::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::map<std::pair<std::string, int32_t>, std::vector<Held>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(held_);
    count_.store(0);
  }
  for (auto& [key, list] : all) {
    for (auto& h : list) h.rerun();
  }
}

void PullRequestHoldService::hold(const std::string& topic, int32_t queue_id, Held held) {
  {
    std::lock_guard lock(mu_);
    if (!stop_ && !(held.arrived && held.arrived())) {
      held_[{topic, queue_id}].push_back(std::move(held));
      count_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  held.rerun();  // not running, or already there: answer now
}

void PullRequestHoldService::notify(const std::string& topic, int32_t queue_id,
                                    int64_t queue_offset, int64_t tags_code) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  std::vector<Held> wake;
  {
    std::lock_guard lock(mu_);
    auto it = held_.find({topic, queue_id});
    if (it == held_.end()) return;
    auto& list = it->second;
    for (size_t i = 0; i < list.size();) {
      Held& h = list[i];
      if (queue_offset >= h.offset && (!h.matches || h.matches(tags_code))) {
        wake.push_back(std::move(h));
        list[i] = std::move(list.back());
        list.pop_back();
      } else {
        ++i;
      }
    }
    if (list.empty()) held_.erase(it);
    count_.fetch_sub(wake.size(), std::memory_order_relaxed);
  }
  for (auto& h : wake) h.rerun();
}

void PullRequestHoldService::expire() {
  const int64_t now = now_ms();
  std::vector<Held> due;
  {
    std::lock_guard lock(mu_);
    for (auto it = held_.begin(); it != held_.end();) {
      auto& list = it->second;
      for (size_t i = 0; i < list.size();) {
        if (list[i].deadline_ms <= now) {
          due.push_back(std::move(list[i]));
          list[i] = std::move(list.back());
          list.pop_back();
        } else {
          ++i;
        }
      }
      it = list.empty() ? held_.erase(it) : std::next(it);
    }
    count_.fetch_sub(due.size(), std::memory_order_relaxed);
  }
  for (auto& h : due) h.rerun();
}

void PullRequestHoldService::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, scan_interval_, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    expire();
    lock.lock();
  }
}

}  // namespace rmq::broker
