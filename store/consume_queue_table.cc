#include "store/consume_queue_table.h"

#include "common/logging.h"
#include "store/message.h"

#include <charconv>

namespace rmq::store {

using common::Status;

ConsumeQueueTable::ConsumeQueueTable(FileSystem& fs, std::string root_dir, uint32_t units_per_file)
    : fs_(fs), root_(std::move(root_dir)), units_per_file_(units_per_file) {}

Status ConsumeQueueTable::load(int64_t max_commit_log_offset) {
  RMQ_ASSIGN_OR_RETURN(std::vector<std::string> topics, fs_.list_dir(root_));
  for (const std::string& topic : topics) {
    auto queues = fs_.list_dir(root_ + "/" + topic);
    if (!queues.ok()) continue;  // a plain file, not a topic directory
    for (const std::string& q : *queues) {
      int32_t queue_id = 0;
      auto [p, ec] = std::from_chars(q.data(), q.data() + q.size(), queue_id);
      if (ec != std::errc() || p != q.data() + q.size()) {
        common::logger("store")->warn("ignoring {}/{}/{}: not a queue id", root_, topic, q);
        continue;
      }
      auto cq = std::make_shared<ConsumeQueue>(fs_, root_, topic, queue_id, units_per_file_);
      RMQ_RETURN_IF_ERROR(cq->load_and_recover(max_commit_log_offset));
      std::unique_lock lock(mu_);
      queues_[{topic, queue_id}] = std::move(cq);
    }
  }
  return Status::ok();
}

std::shared_ptr<ConsumeQueue> ConsumeQueueTable::find(const std::string& topic,
                                                      int32_t queue_id) const {
  std::shared_lock lock(mu_);
  auto it = queues_.find({topic, queue_id});
  return it == queues_.end() ? nullptr : it->second;
}

std::shared_ptr<ConsumeQueue> ConsumeQueueTable::find_or_create(const std::string& topic,
                                                                int32_t queue_id) {
  if (auto cq = find(topic, queue_id)) return cq;
  std::unique_lock lock(mu_);
  auto& slot = queues_[{topic, queue_id}];
  if (!slot) slot = std::make_shared<ConsumeQueue>(fs_, root_, topic, queue_id, units_per_file_);
  return slot;
}

void ConsumeQueueTable::dispatch(const DispatchRequest& r) {
  // Transaction half messages and rollbacks are not consumable (RocketMQ does the same).
  const int32_t tx = r.sys_flag & sysflag::kTransactionMask;
  if (tx == sysflag::kTransactionPrepared || tx == sysflag::kTransactionRollback) return;
  auto cq = find_or_create(r.topic, r.queue_id);
  const Status st =
      cq->put(CqUnit{r.commit_log_offset, r.msg_size, r.tags_code}, r.consume_queue_offset);
  if (!st.is_ok()) {
    common::logger("store")->error("consume queue {}-{}: cannot store offset {}: {}", r.topic,
                                   r.queue_id, r.consume_queue_offset, st.to_string());
  }
}

std::vector<std::shared_ptr<ConsumeQueue>> ConsumeQueueTable::all() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<ConsumeQueue>> out;
  out.reserve(queues_.size());
  for (const auto& [k, cq] : queues_) out.push_back(cq);
  return out;
}

Status ConsumeQueueTable::remove(const std::string& topic, int32_t queue_id) {
  {
    std::unique_lock lock(mu_);
    queues_.erase({topic, queue_id});
  }
  return fs_.remove_all(root_ + "/" + topic + "/" + std::to_string(queue_id));
}

Status ConsumeQueueTable::remove_topic(const std::string& topic) {
  {
    std::unique_lock lock(mu_);
    std::erase_if(queues_, [&](const auto& kv) { return kv.first.first == topic; });
  }
  return fs_.remove_all(root_ + "/" + topic);
}

void ConsumeQueueTable::flush_all(uint32_t least_pages) {
  for (const auto& cq : all()) {
    auto r = cq->flush(least_pages);
    if (!r.ok()) {
      common::logger("store")->error("consume queue {}-{} flush failed: {}", cq->topic(),
                                     cq->queue_id(), r.status().to_string());
    }
  }
}

std::map<std::pair<std::string, int32_t>, int64_t> ConsumeQueueTable::max_offsets() const {
  std::map<std::pair<std::string, int32_t>, int64_t> out;
  for (const auto& cq : all()) out[{cq->topic(), cq->queue_id()}] = cq->max_offset();
  return out;
}

}  // namespace rmq::store
