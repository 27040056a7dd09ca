#include "broker/ha/slave_synchronizer.h"

#include "broker/broker_context.h"
#include "broker/consumer_offset_manager.h"
#include "broker/replication/metadata_log.h"
#include "broker/subscription_group_manager.h"
#include "broker/topic_config_manager.h"
#include "common/json.h"
#include "common/logging.h"
#include "remoting/client.h"
#include "remoting/request_code.h"
#include "store/meta/meta_codec.h"

#include <charconv>
#include <map>
#include <pthread.h>
#include <set>

namespace rmq::broker::ha {

using common::Json;
using common::Result;
using common::Status;
using remoting::RemotingCommand;
using remoting::RequestCode;

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(3);

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Result<Json> parse_table(std::string_view body, std::string_view member) {
  Json::ParseOptions opts;
  opts.allow_unquoted_int_keys = true;  // a Java master writes {0:12}
  RMQ_ASSIGN_OR_RETURN(Json json, Json::parse(body, opts));
  const Json* table = json.find(member);
  if (table == nullptr || !table->is_object()) {
    return Status::corruption("answer without a '" + std::string(member) + "' object");
  }
  return *table;
}

}  // namespace

SlaveSynchronizer::SlaveSynchronizer(BrokerContext& ctx, common::Duration period,
                                     common::Clock& clock)
    : ctx_(ctx), period_(period), clock_(clock) {
  remoting::ClientOptions o;
  o.endpoint.name = "slave-sync";
  o.endpoint.io_threads = 1;
  client_ = std::make_unique<remoting::Client>(o, clock);
}

SlaveSynchronizer::~SlaveSynchronizer() { stop(); }

void SlaveSynchronizer::start() {
  {
    std::lock_guard lock(mu_);
    if (!stop_) return;
    stop_ = false;
    pending_ = true;
  }
  client_->start();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rmq-slave-sync");
    run();
  });
}

void SlaveSynchronizer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  client_->stop();
}

void SlaveSynchronizer::set_master_address(const std::string& address) {
  {
    std::lock_guard lock(mu_);
    if (address == master_) return;
    master_ = address;
    pending_ = true;
  }
  cv_.notify_all();
}

void SlaveSynchronizer::request() {
  {
    std::lock_guard lock(mu_);
    if (pending_) return;
    pending_ = true;
  }
  cv_.notify_all();
}

int64_t SlaveSynchronizer::last_sync_wall_ms() const {
  std::lock_guard lock(mu_);
  return last_sync_ms_;
}

void SlaveSynchronizer::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    // While the master is unknown (it registered after us), register again every second: the
    // NameServer's answer names it.
    if (master_.empty()) {
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_ || !master_.empty(); });
      if (stop_) break;
      if (master_.empty()) {
        lock.unlock();
        if (ctx_.register_now) ctx_.register_now();
        lock.lock();
        continue;
      }
    }
    cv_.wait_for(lock, period_, [this] { return stop_ || pending_; });
    if (stop_) break;
    // Requests (pulls of unknown topics) cause at most one round a second.
    const common::Duration since = clock_.now() - last_round_;
    if (since < std::chrono::seconds(1)) {
      cv_.wait_for(lock, std::chrono::seconds(1) - since, [this] { return stop_; });
      if (stop_) break;
    }
    pending_ = false;
    if (master_.empty()) continue;
    last_round_ = clock_.now();
    lock.unlock();
    auto done = sync_once();
    if (!done.ok()) {
      common::logger("broker")->warn("slave metadata sync failed: {}", done.status().to_string());
    } else if (*done > 0) {
      common::logger("broker")->info("slave metadata sync: {} changes from the master", *done);
    }
    lock.lock();
  }
}

Result<std::string> SlaveSynchronizer::fetch(const std::string& addr, int32_t code) {
  auto resp = client_->invoke_sync(addr, RemotingCommand::request(code), kRequestTimeout);
  if (!resp.ok()) return resp.status();
  if (resp->code != 0) {
    return Status::unavailable(std::string(remoting::request_code_name(code)) + " answered " +
                               std::to_string(resp->code) + " " + resp->remark.value_or(""));
  }
  return std::string(resp->body.str());
}

Result<size_t> SlaveSynchronizer::sync_once() {
  std::string addr;
  {
    std::lock_guard lock(mu_);
    addr = master_;
  }
  if (addr.empty()) return Status::unavailable("the master's address is not known yet");
  RMQ_ASSIGN_OR_RETURN(const std::string topics_body,
                       fetch(addr, static_cast<int32_t>(RequestCode::kGetAllTopicConfig)));
  RMQ_ASSIGN_OR_RETURN(
      const std::string groups_body,
      fetch(addr, static_cast<int32_t>(RequestCode::kGetAllSubscriptiongroupConfig)));
  RMQ_ASSIGN_OR_RETURN(const std::string offsets_body,
                       fetch(addr, static_cast<int32_t>(RequestCode::kGetAllConsumerOffset)));
  RMQ_ASSIGN_OR_RETURN(const std::string delay_body,
                       fetch(addr, static_cast<int32_t>(RequestCode::kGetAllDelayOffset)));
  RMQ_ASSIGN_OR_RETURN(const Json topics, parse_table(topics_body, "topicConfigTable"));
  RMQ_ASSIGN_OR_RETURN(const Json groups, parse_table(groups_body, "subscriptionGroupTable"));
  RMQ_ASSIGN_OR_RETURN(const Json offsets, parse_table(offsets_body, "offsetTable"));
  RMQ_ASSIGN_OR_RETURN(const Json delay, parse_table(delay_body, "offsetTable"));

  store::MetaBatch batch;
  size_t ops = 0;
  // Topics: the master's (system topics live in memory on every broker), minus those it dropped.
  std::set<std::string> seen;
  for (const auto& [name, value] : topics.members()) {
    if (ctx_.topics.is_system_topic(name)) continue;
    auto t = store::decode_topic_config(value.dump());
    if (!t.ok()) continue;
    seen.insert(name);
    const auto mine = ctx_.topics.find(name);
    if (!mine || store::encode_topic_config(*mine) != store::encode_topic_config(*t)) {
      batch.put_topic(*t);
      ++ops;
    }
  }
  for (const auto& t : ctx_.topics.all()) {
    if (!ctx_.topics.is_system_topic(t.topic_name) && !seen.contains(t.topic_name)) {
      batch.delete_topic(t.topic_name);
      ++ops;
    }
  }
  // Subscription groups, the same way.
  seen.clear();
  for (const auto& [name, value] : groups.members()) {
    auto g = store::decode_subscription_group_config(value.dump());
    if (!g.ok()) continue;
    seen.insert(name);
    const auto mine = ctx_.groups.find(name);
    if (!mine || store::encode_subscription_group_config(*mine) !=
                     store::encode_subscription_group_config(*g)) {
      batch.put_group(*g);
      ++ops;
    }
  }
  for (const auto& g : ctx_.groups.all()) {
    if (!seen.contains(g.group_name)) {
      batch.delete_group(g.group_name);
      ++ops;
    }
  }
  // Consumer offsets: "topic@group" -> {queueId: offset}.
  for (const auto& [topic_at_group, queues] : offsets.members()) {
    const size_t at = topic_at_group.find('@');
    if (at == std::string::npos || !queues.is_object()) continue;
    store::OffsetKey key;
    key.topic = topic_at_group.substr(0, at);
    key.group = topic_at_group.substr(at + 1);
    for (const auto& [queue, offset] : queues.members()) {
      const auto q = parse_int(queue);
      const auto v = offset.as_int();
      if (!q || !v) continue;
      key.queue_id = static_cast<int32_t>(*q);
      if (ctx_.offsets.query(key) != *v) {
        batch.put_offset(key, *v);
        ++ops;
      }
    }
  }
  // Delay-level progress, in the broker's "level:offset,..." form.
  std::map<int64_t, int64_t> levels;
  for (const auto& [level, offset] : delay.members()) {
    const auto l = parse_int(level);
    const auto v = offset.as_int();
    if (l && v) levels[*l] = *v;
  }
  std::string progress;
  for (const auto& [level, offset] : levels) {
    if (!progress.empty()) progress += ',';
    progress += std::to_string(level) + ":" + std::to_string(offset);
  }
  {
    std::lock_guard lock(mu_);
    if (progress != last_progress_) {
      batch.put_kv(kScheduleProgressKey, progress);
      last_progress_ = progress;
      ++ops;
    }
  }
  ctx_.meta_log.apply_replicated(batch);
  {
    std::lock_guard lock(mu_);
    last_sync_ms_ = clock_.wall_ms();
  }
  return ops;
}

}  // namespace rmq::broker::ha
