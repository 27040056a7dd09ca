#include "store/queue_offset_table.h"

#include <vector>

namespace rmq::store {

std::string QueueOffsetTable::key(std::string_view topic, int32_t queue_id) {
  std::string k;
  k.reserve(topic.size() + 12);
  k.append(topic);
  k.push_back('-');
  k.append(std::to_string(queue_id));
  return k;
}

int64_t QueueOffsetTable::assign(std::string_view topic, int32_t queue_id, uint32_t n) {
  std::lock_guard lock(mu_);
  int64_t& next = next_[key(topic, queue_id)];
  const int64_t first = next;
  next += n;
  return first;
}

int64_t QueueOffsetTable::next(std::string_view topic, int32_t queue_id) const {
  std::lock_guard lock(mu_);
  auto it = next_.find(key(topic, queue_id));
  return it == next_.end() ? 0 : it->second;
}

void QueueOffsetTable::advance_to(std::string_view topic, int32_t queue_id, int64_t next) {
  std::lock_guard lock(mu_);
  int64_t& cur = next_[key(topic, queue_id)];
  if (next > cur) cur = next;
}

void QueueOffsetTable::set(std::string_view topic, int32_t queue_id, int64_t next) {
  std::lock_guard lock(mu_);
  next_[key(topic, queue_id)] = next;
}

void QueueOffsetTable::erase_topic(std::string_view topic) {
  std::lock_guard lock(mu_);
  const std::string prefix = std::string(topic) + "-";
  std::erase_if(next_, [&](const auto& kv) {
    if (kv.first.compare(0, prefix.size(), prefix) != 0) return false;
    // Only "<topic>-<digits>": a topic "a-b" must not match topic "a".
    const std::string_view rest = std::string_view(kv.first).substr(prefix.size());
    return !rest.empty() && rest.find_first_not_of("0123456789") == std::string_view::npos;
  });
}

void QueueOffsetTable::clear() {
  std::lock_guard lock(mu_);
  next_.clear();
}

}  // namespace rmq::store
