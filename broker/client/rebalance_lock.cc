#include "broker/client/rebalance_lock.h"

#include "common/logging.h"

namespace rmq::broker {

std::set<MessageQueue> RebalanceLockManager::try_lock_batch(const std::string& group,
                                                            const std::set<MessageQueue>& mqs,
                                                            const std::string& client_id) {
  common::MutexLock lock(mu_);
  const common::TimePoint now = clock_.now();
  std::set<MessageQueue> locked;
  auto& group_table = table_[group];
  for (const MessageQueue& mq : mqs) {
    auto [it, inserted] = group_table.try_emplace(mq, LockEntry{client_id, now});
    LockEntry& e = it->second;
    if (!inserted && e.client_id != client_id) {
      if (now - e.last_update <= max_live_time_) continue;  // held by a live client
      common::logger("broker")->info("group {} queue {}:{}:{}: expired lock of {} taken over by {}",
                                     group, mq.topic, mq.broker_name, mq.queue_id, e.client_id,
                                     client_id);
      e.client_id = client_id;
    }
    e.last_update = now;
    locked.insert(mq);
  }
  if (group_table.empty()) table_.erase(group);
  return locked;
}

void RebalanceLockManager::unlock_batch(const std::string& group, const std::set<MessageQueue>& mqs,
                                        const std::string& client_id) {
  common::MutexLock lock(mu_);
  auto git = table_.find(group);
  if (git == table_.end()) return;
  for (const MessageQueue& mq : mqs) {
    auto it = git->second.find(mq);
    if (it != git->second.end() && it->second.client_id == client_id) git->second.erase(it);
  }
  if (git->second.empty()) table_.erase(git);
}

bool RebalanceLockManager::is_locked(const std::string& group, const MessageQueue& mq,
                                     const std::string& client_id) const {
  common::MutexLock lock(mu_);
  auto git = table_.find(group);
  if (git == table_.end()) return false;
  auto it = git->second.find(mq);
  return it != git->second.end() && it->second.client_id == client_id &&
         clock_.now() - it->second.last_update <= max_live_time_;
}

}  // namespace rmq::broker
