#include "broker/consumer_offset_manager.h"

#include "common/logging.h"
#include "store/meta/meta_codec.h"

namespace rmq::broker {

using common::Status;
using store::OffsetKey;

ConsumerOffsetManager::ConsumerOffsetManager(store::MetaStore& meta, MetadataLog& log)
    : log_(log), committed_(meta.offsets()) {
  log_.add_listener([this](const store::MetaBatch& b) { on_applied(b); });
}

void ConsumerOffsetManager::commit(const OffsetKey& key, int64_t offset, MetadataLog::Done done) {
  std::unique_lock lock(mu_);
  // Clients re-commit unchanged offsets every few seconds (and on every pull): an offset that is
  // already committed and not being changed needs no new log entry.
  if (!pending_.contains(key)) {
    auto it = committed_.find(key);
    if (it != committed_.end() && it->second == offset) {
      lock.unlock();
      done(Status::ok());
      return;
    }
  }
  pending_[key] = Pending{offset, ++seq_};
  waiting_.push_back(std::move(done));
  if (!in_flight_) flush_locked(lock);
}

void ConsumerOffsetManager::flush_locked(std::unique_lock<std::mutex>& lock) {
  if (waiting_.empty()) return;
  in_flight_ = true;
  ++batches_;
  store::MetaBatch batch;
  std::vector<std::pair<OffsetKey, uint64_t>> sent;
  for (const auto& [key, p] : pending_) {
    batch.put_offset(key, p.offset);
    sent.emplace_back(key, p.seq);
  }
  auto callbacks = std::move(waiting_);
  waiting_.clear();
  lock.unlock();
  log_.submit(std::move(batch),
              [this, sent = std::move(sent), callbacks = std::move(callbacks)](Status st) {
                {
                  std::unique_lock l(mu_);
                  // Applied (or failed): entries not overwritten since are no longer pending.
                  for (const auto& [key, seq] : sent) {
                    auto it = pending_.find(key);
                    if (it != pending_.end() && it->second.seq == seq) pending_.erase(it);
                  }
                  in_flight_ = false;
                  if (!waiting_.empty()) flush_locked(l);
                }
                for (const auto& cb : callbacks) cb(st);
              });
  lock.lock();
}

std::optional<int64_t> ConsumerOffsetManager::query(const OffsetKey& key) const {
  std::lock_guard lock(mu_);
  if (auto it = pending_.find(key); it != pending_.end()) return it->second.offset;
  if (auto it = committed_.find(key); it != committed_.end()) return it->second;
  return std::nullopt;
}

std::map<OffsetKey, int64_t> ConsumerOffsetManager::all() const {
  std::lock_guard lock(mu_);
  return committed_;
}

std::map<int32_t, int64_t> ConsumerOffsetManager::offsets_of(const std::string& group,
                                                             const std::string& topic) const {
  std::lock_guard lock(mu_);
  std::map<int32_t, int64_t> out;
  for (const auto& [k, v] : committed_) {
    if (k.group == group && k.topic == topic) out[k.queue_id] = v;
  }
  for (const auto& [k, p] : pending_) {
    if (k.group == group && k.topic == topic) out[k.queue_id] = p.offset;
  }
  return out;
}

std::set<std::string> ConsumerOffsetManager::groups_of_topic(const std::string& topic) const {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [k, v] : committed_) {
    if (k.topic == topic) out.insert(k.group);
  }
  return out;
}

std::set<std::string> ConsumerOffsetManager::topics_of_group(const std::string& group) const {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [k, v] : committed_) {
    if (k.group == group) out.insert(k.topic);
  }
  return out;
}

void ConsumerOffsetManager::on_leadership_lost() {
  std::lock_guard lock(mu_);
  pending_.clear();
}

uint64_t ConsumerOffsetManager::batches() const {
  std::lock_guard lock(mu_);
  return batches_;
}

void ConsumerOffsetManager::on_applied(const store::MetaBatch& batch) {
  std::lock_guard lock(mu_);
  for (const auto& op : batch.ops()) {
    using K = store::MetaBatch::Op::Kind;
    if (op.kind == K::kPutOffset) {
      auto key = store::decode_offset_key(op.key);
      auto value = store::decode_offset_value(op.value);
      if (key.ok() && value.ok()) committed_[*key] = *value;
    } else if (op.kind == K::kDelGroupOffsets) {
      std::erase_if(committed_, [&](const auto& kv) { return kv.first.group == op.key; });
    }
  }
}

}  // namespace rmq::broker
