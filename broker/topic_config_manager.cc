#include "broker/topic_config_manager.h"

#include "common/logging.h"
#include "store/meta/meta_codec.h"

#include <mutex>

namespace rmq::broker {

using common::Result;
using common::Status;
using store::TopicConfig;

std::string check_topic_name(std::string_view topic) {
  if (topic.empty()) return "the topic name is empty";
  if (topic.size() > 127) {
    return "the topic name is longer than 127 characters (" + std::to_string(topic.size()) + ")";
  }
  for (char c : topic) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '%' || c == '|';
    if (!ok) return "the topic name contains illegal characters, allowed: ^[%|a-zA-Z0-9_-]+$";
  }
  return {};
}

TopicConfigManager::TopicConfigManager(Options options, store::MetaStore& meta, MetadataLog& log,
                                       common::Clock& clock)
    : options_(std::move(options)), log_(log), clock_(clock) {
  auto sys = [&](const std::string& name, int32_t r, int32_t w, int32_t perm) {
    TopicConfig t;
    t.topic_name = name;
    t.read_queue_nums = r;
    t.write_queue_nums = w;
    t.perm = perm;
    system_[name] = t;
  };
  if (options_.auto_create_topic_enable) {
    sys(kAutoCreateTopicKey, options_.default_topic_queue_nums, options_.default_topic_queue_nums,
        kPermRead | kPermWrite | kPermInherit);
  }
  sys(kScheduleTopicName, options_.schedule_levels, options_.schedule_levels,
      kPermRead | kPermWrite);
  sys(options_.cluster_name, 16, 16, kPermRead | kPermWrite);
  sys(options_.broker_name, 1, 1, kPermRead | kPermWrite | kPermInherit);
  sys("OFFSET_MOVED_EVENT", 1, 1, kPermRead | kPermWrite);
  sys("SELF_TEST_TOPIC", 1, 1, kPermRead | kPermWrite);
  for (auto& t : meta.topics()) topics_[t.topic_name] = t;
  version_ = DataVersion{clock_.wall_ms(), 0};
  log_.add_listener([this](const store::MetaBatch& b) { on_applied(b); });
}

std::optional<TopicConfig> TopicConfigManager::find(const std::string& topic) const {
  {
    std::shared_lock lock(mu_);
    auto it = topics_.find(topic);
    if (it != topics_.end()) return it->second;
  }
  auto it = system_.find(topic);
  if (it != system_.end()) return it->second;
  return std::nullopt;
}

std::vector<TopicConfig> TopicConfigManager::all() const {
  std::vector<TopicConfig> out;
  std::shared_lock lock(mu_);
  for (const auto& [name, t] : system_) {
    if (!topics_.contains(name)) out.push_back(t);
  }
  for (const auto& [name, t] : topics_) out.push_back(t);
  return out;
}

DataVersion TopicConfigManager::data_version() const {
  std::shared_lock lock(mu_);
  return version_;
}

void TopicConfigManager::bump_data_version() {
  std::unique_lock lock(mu_);
  version_.timestamp = clock_.wall_ms();
  ++version_.counter;
}

bool TopicConfigManager::is_system_topic(const std::string& topic) const {
  return system_.contains(topic);
}

void TopicConfigManager::update(const TopicConfig& config, MetadataLog::Done done) {
  store::MetaBatch b;
  b.put_topic(config);
  log_.submit(std::move(b), std::move(done));
}

void TopicConfigManager::remove(const std::string& topic, MetadataLog::Done done) {
  store::MetaBatch b;
  b.delete_topic(topic);
  log_.submit(std::move(b), std::move(done));
}

void TopicConfigManager::create_if_missing(const std::string& topic, int32_t queues, int32_t perm,
                                           std::function<void(Result<TopicConfig>)> done) {
  if (auto t = find(topic)) {
    done(*t);
    return;
  }
  TopicConfig t;
  t.topic_name = topic;
  t.read_queue_nums = queues;
  t.write_queue_nums = queues;
  t.perm = perm;
  update(t, [this, topic, done = std::move(done)](Status st) {
    if (!st.is_ok()) {
      done(st);
      return;
    }
    auto created = find(topic);
    if (!created) {
      done(Status::internal("topic " + topic + " was created but is not in the table"));
      return;
    }
    done(*created);
  });
}

void TopicConfigManager::on_applied(const store::MetaBatch& batch) {
  std::vector<std::pair<std::string, bool>> changed;
  {
    std::unique_lock lock(mu_);
    for (const auto& op : batch.ops()) {
      using K = store::MetaBatch::Op::Kind;
      if (op.kind == K::kPutTopic) {
        auto t = store::decode_topic_config(op.value);
        if (!t.ok()) {
          common::logger("broker")->error("bad topic config in metadata: {}",
                                          t.status().to_string());
          continue;
        }
        topics_[t->topic_name] = *t;
        changed.emplace_back(t->topic_name, false);
      } else if (op.kind == K::kDelTopic) {
        topics_.erase(op.key);
        changed.emplace_back(op.key, true);
      }
    }
    if (!changed.empty()) {
      version_.timestamp = clock_.wall_ms();
      ++version_.counter;
    }
  }
  if (change_listener_) {
    for (const auto& [name, deleted] : changed) change_listener_(name, deleted);
  }
}

}  // namespace rmq::broker
