#include "broker/ha/group_transfer_service.h"

namespace rmq::broker::ha {

void GroupTransferService::wait(int64_t end_offset, common::Duration timeout, Done done) {
  {
    std::lock_guard lock(mu_);
    if (end_offset > acked_) {
      waiters_.emplace(end_offset, Waiter{clock_.now() + timeout, std::move(done)});
      return;
    }
  }
  done(true);
}

void GroupTransferService::note_acked(int64_t acked_offset) {
  std::vector<Done> ready;
  {
    std::lock_guard lock(mu_);
    if (acked_offset <= acked_) return;
    acked_ = acked_offset;
    const auto end = waiters_.upper_bound(acked_offset);
    for (auto it = waiters_.begin(); it != end; ++it) ready.push_back(std::move(it->second.done));
    waiters_.erase(waiters_.begin(), end);
  }
  for (auto& d : ready) d(true);
}

void GroupTransferService::expire() {
  std::vector<Done> late;
  {
    std::lock_guard lock(mu_);
    const common::TimePoint now = clock_.now();
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.deadline <= now) {
        late.push_back(std::move(it->second.done));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& d : late) d(false);
}

void GroupTransferService::fail_all() {
  std::multimap<int64_t, Waiter> all;
  {
    std::lock_guard lock(mu_);
    all.swap(waiters_);
  }
  for (auto& [offset, w] : all) w.done(false);
}

int64_t GroupTransferService::acked() const {
  std::lock_guard lock(mu_);
  return acked_;
}

size_t GroupTransferService::pending() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

}  // namespace rmq::broker::ha
