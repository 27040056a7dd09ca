#include "client/push_consumer.h"

#include "client/consumer_wire.h"
#include "client/process_queue.h"
#include "common/json.h"
#include "common/logging.h"
#include "common/thread_pool.h"
#include "remoting/protocol/body.h"
#include "remoting/request_code.h"
#include "remoting/request_processor.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <future>
#include <sstream>
#include <unistd.h>

namespace rmq::client {

using common::Result;
using common::Status;
using detail::kFlowControlDelay;
using detail::log;
using remoting::RemotingCommand;
using remoting::RequestCode;

namespace {

constexpr int32_t kPullCommitOffset = 0x1;
constexpr int32_t kPullSuspend = 0x2;
constexpr int32_t kPullSubscription = 0x4;
constexpr int32_t kCodeSuccess = 0;
constexpr int32_t kCodePullNotFound = 19;
constexpr int32_t kCodePullRetryImmediately = 20;
constexpr int32_t kCodePullOffsetMoved = 21;
constexpr int32_t kCodeQueryNotFound = 22;
constexpr auto kTimerTick = std::chrono::milliseconds(20);  // notices ManualClock advances

remoting::ClientOptions client_options(size_t io_threads) {
  remoting::ClientOptions o;
  o.endpoint.name = "consumer";
  o.endpoint.io_threads = std::max<size_t>(1, io_threads);
  return o;
}

std::string remark(const RemotingCommand& r) { return r.remark.value_or(""); }

// LOCK_BATCH_MQ / UNLOCK_BATCH_MQ body (onlyThisBroker false).
std::string lock_batch_body(const std::string& group, const std::string& client_id,
                            const std::vector<QueueRef>& qs) {
  remoting::protocol::LockBatchRequestBody body;
  body.consumer_group = group;
  body.client_id = client_id;
  body.mq_set.insert(qs.begin(), qs.end());
  return remoting::protocol::encode_lock_batch_request(body);
}

}  // namespace

PushConsumer::PushConsumer(PushConsumerOptions options, common::Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      client_(client_options(options_.io_threads), clock),
      routes_(client_, options_.namesrv, clock, std::chrono::seconds(30),
              options_.unreachable_for) {
  static std::atomic<uint64_t> instances{0};
  const std::string ip = options_.client_ip.empty() ? local_ipv4() : options_.client_ip;
  const std::string instance = options_.instance_name.empty()
                                   ? std::to_string(instances.fetch_add(1))
                                   : options_.instance_name;
  client_id_ = ip + "@" + std::to_string(::getpid()) + "#" + instance;
  orderly_ = static_cast<bool>(options_.orderly_listener);
  sub_version_ = clock_.wall_ms();
}

PushConsumer::~PushConsumer() { shutdown(); }

Status PushConsumer::start() {
  if (options_.group.empty()) return Status::invalid_argument("consumer group is empty");
  if (options_.subscriptions.empty()) return Status::invalid_argument("no subscription");
  if (static_cast<bool>(options_.concurrent_listener) ==
      static_cast<bool>(options_.orderly_listener)) {
    return Status::invalid_argument("set exactly one of concurrent_listener and orderly_listener");
  }
  if (options_.consume_batch_size < 1 || options_.pull_batch_size < 1) {
    return Status::invalid_argument("batch sizes must be positive");
  }
  if (running_.exchange(true)) return Status::invalid_argument("already started");
  if (options_.model == MessageModel::kBroadcasting) load_offset_file();

  auto notify = std::make_shared<remoting::FunctionProcessor>(
      [this](const remoting::RequestContext&,
             RemotingCommand& req) -> std::optional<RemotingCommand> {
        log()->info("{}: consumer ids of group {} changed, rebalancing", client_id_,
                    req.ext("consumerGroup") ? *req.ext("consumerGroup") : "?");
        if (running_ && !stopping_) on_service([this] { rebalance(); });
        if (req.is_oneway()) return std::nullopt;
        return RemotingCommand::response_to(req, remoting::ResponseCode::kSuccess);
      });
  client_.registry().register_processor(RequestCode::kNotifyConsumerIdsChanged, notify,
                                        std::make_shared<common::InlineExecutor>());
  client_.start();
  service_ = std::make_unique<common::ThreadPool>("consumer-svc", 1, 100000);
  consume_ = std::make_unique<common::ThreadPool>(
      "consume", std::max<size_t>(1, options_.consume_threads), 1000000);
  timer_thread_ = std::thread([this] { timer_loop(); });

  on_service([this] {
    heartbeat_all();
    rebalance();
  });
  every(options_.heartbeat_interval, [this] { heartbeat_all(); });
  every(options_.rebalance_interval, [this] { rebalance(); });
  every(options_.persist_interval, [this] { persist_all(); });
  if (orderly_ && options_.model == MessageModel::kClustering) {
    every(options_.lock_interval, [this] { lock_all(); });
  }
  return Status::ok();
}

void PushConsumer::shutdown() {
  if (!running_ || stopping_.exchange(true)) return;
  {
    std::lock_guard lock(timer_mu_);
    timer_stop_ = true;
    timers_.clear();
  }
  timer_cv_.notify_all();
  if (timer_thread_.joinable()) timer_thread_.join();
  // Queued consume work still runs (its queues are not dropped); then nothing new is consumed.
  consume_->stop();
  service_->stop();
  persist_all();
  if (orderly_ && options_.model == MessageModel::kClustering) unlock_all();
  if (options_.model == MessageModel::kClustering) unregister_all();
  {
    std::lock_guard lock(mu_);
    for (auto& [q, pq] : table_) pq->dropped = true;
    table_.clear();
  }
  client_.stop();
  running_ = false;
}

// ---- timers and the service thread ----

void PushConsumer::schedule(common::Duration delay, std::function<void()> fn) {
  {
    std::lock_guard lock(timer_mu_);
    if (timer_stop_) return;
    timers_.emplace(clock_.now() + delay, std::move(fn));
  }
  timer_cv_.notify_all();
}

void PushConsumer::every(common::Duration interval, std::function<void()> fn) {
  schedule(interval, [this, interval, fn] {
    on_service(fn);
    every(interval, fn);
  });
}

void PushConsumer::timer_loop() {
  std::unique_lock lock(timer_mu_);
  while (!timer_stop_) {
    if (!timers_.empty() && timers_.begin()->first <= clock_.now()) {
      auto fn = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
      lock.unlock();
      fn();
      lock.lock();
      continue;
    }
    common::Duration wait = kTimerTick;
    if (!timers_.empty()) wait = std::min(wait, timers_.begin()->first - clock_.now());
    timer_cv_.wait_for(lock, wait);
  }
}

void PushConsumer::on_service(std::function<void()> fn) {
  if (!service_ || !service_->submit(std::move(fn))) {
    log()->debug("{}: service queue closed; task dropped", client_id_);
  }
}

void PushConsumer::run_on_service_and_wait(std::function<void()> fn) {
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  if (!service_ || !service_->submit([fn = std::move(fn), done] {
        fn();
        done->set_value();
      })) {
    return;
  }
  fut.wait();
}

void PushConsumer::rebalance_now() {
  run_on_service_and_wait([this] { rebalance(); });
}

void PushConsumer::persist_now() {
  run_on_service_and_wait([this] { persist_all(); });
}

std::vector<OwnedQueue> PushConsumer::owned_queues() const {
  std::vector<OwnedQueue> out;
  for (const auto& pq : snapshot()) {
    std::lock_guard pl(pq->mu);
    out.push_back({pq->mq, pq->next_offset, pq->consume_offset_locked(), pq->msgs.size(),
                   pq->locked, pq->last_pull.id, pq->last_pull.addr, pq->suggested_id});
  }
  return out;
}

std::vector<PushConsumer::PqPtr> PushConsumer::snapshot() const {
  std::vector<PqPtr> out;
  std::lock_guard lock(mu_);
  for (const auto& [q, pq] : table_) out.push_back(pq);
  return out;
}

std::map<QueueRef, int64_t> PushConsumer::local_offsets() const {
  std::lock_guard lock(mu_);
  return local_offsets_;
}

// ---- heartbeat, rebalance, offsets (service thread) ----

std::map<std::string, std::string> PushConsumer::all_subscriptions() const {
  auto subs = options_.subscriptions;
  // Failed messages come back through the group's retry topic (clustering only, as Java).
  if (options_.model == MessageModel::kClustering) subs[retry_topic()] = "*";
  return subs;
}

std::set<std::string> PushConsumer::broker_addrs(bool masters_only) {
  std::set<std::string> out;
  for (const auto& [topic, sub] : all_subscriptions()) {
    auto route = routes_.get(topic);
    if (!route.ok()) continue;
    for (const auto& b : (*route)->brokers) {
      for (const auto& [id, addr] : b.addrs) {
        if (!masters_only || id == 0) out.insert(addr);
      }
    }
  }
  return out;
}

void PushConsumer::heartbeat_all() {
  ConsumerHeartbeat hb;
  hb.client_id = client_id_;
  hb.group = options_.group;
  hb.consume_from = options_.consume_from;
  hb.model = options_.model;
  for (const auto& [topic, sub] : all_subscriptions()) hb.subscriptions.push_back({topic, sub});
  hb.sub_version = sub_version_;
  const std::string body = encode_consumer_heartbeat(hb);
  for (const auto& addr : broker_addrs(false)) {
    auto req = RemotingCommand::request(RequestCode::kHeartBeat);
    req.body = common::Buffer(std::string_view(body));
    auto r = client_.invoke_sync(addr, std::move(req), options_.request_timeout);
    if (!r.ok()) {
      routes_.mark_unreachable(addr);
      log()->debug("{}: heartbeat to {} failed: {}", client_id_, addr, r.status().to_string());
      continue;
    }
    routes_.mark_reachable(addr);  // e.g. a restarted master: reads may go back to it
    if (r->code != kCodeSuccess) {
      log()->warn("{}: heartbeat to {} answered {}: {}", client_id_, addr, r->code, remark(*r));
    }
  }
}

void PushConsumer::rebalance() {
  if (stopping_) return;
  bool missing = false;
  for (const auto& [topic, sub] : all_subscriptions()) {
    if (!rebalance_topic(topic, sub)) missing = true;
  }
  // A topic without a route yet (typically the retry topic, created by our first heartbeat):
  // look again soon instead of after a whole rebalance interval.
  if (missing) {
    missing_route_backoff_ = std::min<common::Duration>(
        options_.rebalance_interval,
        std::max<common::Duration>(std::chrono::milliseconds(500), missing_route_backoff_ * 2));
    schedule(missing_route_backoff_, [this] {
      on_service([this] {
        heartbeat_all();
        rebalance();
      });
    });
  } else {
    missing_route_backoff_ = {};
  }
}

bool PushConsumer::rebalance_topic(const std::string& topic, const std::string& sub_string) {
  auto route = routes_.get(topic);
  if (!route.ok()) {
    log()->debug("{}: no route for {}: {}", client_id_, topic, route.status().to_string());
    return false;
  }
  std::vector<QueueRef> all = (*route)->subscribe_queues();
  std::sort(all.begin(), all.end());
  std::vector<QueueRef> mine;
  if (options_.model == MessageModel::kBroadcasting) {
    mine = all;
  } else {
    auto ids = consumer_ids_of(**route);
    if (!ids.ok()) {
      log()->warn("{}: consumer list of {} for topic {}: {}", client_id_, options_.group, topic,
                  ids.status().to_string());
      return true;
    }
    std::sort(ids->begin(), ids->end());
    mine = allocate(options_.allocate, all, *ids, client_id_);
  }
  const std::set<QueueRef> want(mine.begin(), mine.end());

  std::vector<PqPtr> lost;
  {
    std::lock_guard lock(mu_);
    for (auto it = table_.begin(); it != table_.end();) {
      if (it->first.topic == topic && !want.contains(it->first)) {
        lost.push_back(it->second);
        it = table_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& pq : lost) drop_queue(pq);

  for (const QueueRef& q : want) {
    {
      std::lock_guard lock(mu_);
      if (table_.contains(q)) continue;
    }
    // The master takes locks and commits; reads and the start offset may come from a slave.
    const std::string addr = (*route)->master_addr(q.broker_name);
    const bool lock_needed = orderly_ && options_.model == MessageModel::kClustering;
    if (lock_needed) {
      if (addr.empty() || !routes_.reachable(addr)) {
        log()->info("{}: queue {}/{}/{} has no reachable master to lock it; skipped this round",
                    client_id_, q.topic, q.broker_name, q.queue_id);
        continue;
      }
      auto locked = lock_batch(addr, {q});
      if (!locked.ok() || !locked->contains(q)) {
        log()->info("{}: queue {}/{}/{} is locked by another member; skipped this round",
                    client_id_, q.topic, q.broker_name, q.queue_id);
        continue;
      }
    }
    auto offset = compute_start_offset(q);
    if (!offset.ok()) {
      log()->warn("{}: start offset of {}/{}/{}: {}", client_id_, q.topic, q.broker_name,
                  q.queue_id, offset.status().to_string());
      continue;
    }
    auto pq = std::make_shared<ProcessQueue>();
    pq->mq = q;
    pq->filter = TagFilter::parse(sub_string);
    pq->retry_topic = topic == retry_topic();
    pq->addr = addr;
    pq->next_offset = *offset;
    if (lock_needed) {
      pq->locked = true;
      pq->last_lock = clock_.now();
    }
    {
      std::lock_guard lock(mu_);
      table_[q] = pq;
    }
    log()->info("{}: now owns {}/{}/{} from offset {}", client_id_, q.topic, q.broker_name,
                q.queue_id, *offset);
    pull(pq);
  }
  return true;
}

Result<std::vector<std::string>> PushConsumer::consumer_ids(const std::string& addr) {
  auto req = RemotingCommand::request(RequestCode::kGetConsumerListByGroup);
  req.ext_fields.set("consumerGroup", options_.group);
  auto r = client_.invoke_sync(addr, std::move(req), options_.request_timeout);
  if (!r.ok()) {
    routes_.mark_unreachable(addr);
    return r.status();
  }
  routes_.mark_reachable(addr);
  if (r->code != kCodeSuccess) {
    return Status::unavailable("code " + std::to_string(r->code) + ": " + remark(*r));
  }
  return remoting::protocol::parse_consumer_id_list(r->body.view());
}

Result<std::vector<std::string>> PushConsumer::consumer_ids_of(const TopicRoute& route) {
  // RocketMQ's findBrokerAddrByTopic: any broker of the topic (every member heartbeats to all).
  std::vector<std::string> masters;
  std::vector<std::string> slaves;
  std::vector<std::string> marked;
  for (const auto& b : route.brokers) {
    for (const auto& [id, a] : b.addrs) {
      if (!routes_.reachable(a)) {
        marked.push_back(a);
      } else {
        (id == 0 ? masters : slaves).push_back(a);
      }
    }
  }
  masters.insert(masters.end(), slaves.begin(), slaves.end());
  masters.insert(masters.end(), marked.begin(), marked.end());
  std::string errors = "no broker address in the route";
  for (size_t i = 0; i < masters.size(); ++i) {
    auto ids = consumer_ids(masters[i]);
    if (ids.ok()) return ids;
    errors = (i == 0 ? "" : errors + "; ") + masters[i] + ": " + ids.status().to_string();
  }
  return Status::unavailable(errors);
}

Result<int64_t> PushConsumer::compute_start_offset(const QueueRef& q) {
  const bool retry = q.topic == retry_topic();
  // The master's answer, a slave's while the master is unreachable (RocketMQ's
  // RemoteBrokerOffsetStore.fetchConsumeOffsetFromBroker).
  auto ask_group = [&](const std::function<RemotingCommand()>& make) -> Result<RemotingCommand> {
    std::string addr;
    return routes_.invoke_group(q.topic, q.broker_name, make, /*slave_ok=*/true,
                                options_.request_timeout, &addr);
  };
  if (options_.model == MessageModel::kClustering) {
    RMQ_ASSIGN_OR_RETURN(auto r, ask_group([&] {
                           auto req = RemotingCommand::request(RequestCode::kQueryConsumerOffset);
                           req.ext_fields.set("consumerGroup", options_.group);
                           req.ext_fields.set("topic", q.topic);
                           req.ext_fields.set("queueId", q.queue_id);
                           return req;
                         }));
    if (r.code == kCodeSuccess) {
      if (auto off = r.ext_int("offset"); off && *off >= 0) return *off;
    } else if (r.code != kCodeQueryNotFound) {
      return Status::unavailable("QUERY_CONSUMER_OFFSET answered " + std::to_string(r.code) + ": " +
                                 remark(r));
    }
  } else {
    std::lock_guard lock(mu_);
    if (auto it = local_offsets_.find(q); it != local_offsets_.end()) return it->second;
  }
  auto ask = [&](RequestCode code, int64_t timestamp) -> Result<int64_t> {
    RMQ_ASSIGN_OR_RETURN(auto r, ask_group([&] {
                           auto req = RemotingCommand::request(code);
                           req.ext_fields.set("topic", q.topic);
                           req.ext_fields.set("queueId", q.queue_id);
                           if (code == RequestCode::kSearchOffsetByTimestamp) {
                             req.ext_fields.set("timestamp", timestamp);
                           }
                           return req;
                         }));
    auto off = r.ext_int("offset");
    if (r.code != kCodeSuccess || !off) {
      return Status::unavailable("offset request " + std::to_string(static_cast<int>(code)) +
                                 " answered " + std::to_string(r.code) + ": " + remark(r));
    }
    return *off;
  };
  switch (options_.consume_from) {
    case ConsumeFromWhere::kFirstOffset:
      return int64_t{0};
    case ConsumeFromWhere::kLastOffset:
      if (retry) return int64_t{0};  // retry topics always start at 0 (Java)
      return ask(RequestCode::kGetMaxOffset, 0);
    case ConsumeFromWhere::kTimestamp:
      if (retry) return ask(RequestCode::kGetMaxOffset, 0);
      return ask(RequestCode::kSearchOffsetByTimestamp, options_.consume_timestamp_ms);
  }
  return int64_t{0};
}

void PushConsumer::drop_queue(const PqPtr& pq) {
  pq->dropped = true;
  const bool clustering = options_.model == MessageModel::kClustering;
  if (orderly_ && clustering) {
    // Let a running orderly batch finish before the offset is taken and the lock released.
    for (int i = 0; i < 100; ++i) {
      {
        std::lock_guard lock(pq->mu);
        if (!pq->in_listener) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (clustering) {
    commit_offset(pq);
  } else {
    remember_local_offset(pq);
  }
  if (orderly_ && clustering) {
    std::string addr;
    {
      std::lock_guard lock(pq->mu);
      addr = pq->addr;
    }
    unlock_batch(addr, {pq->mq});
  }
  log()->info("{}: gave up {}/{}/{}", client_id_, pq->mq.topic, pq->mq.broker_name,
              pq->mq.queue_id);
}

void PushConsumer::persist_all() {
  const std::vector<PqPtr> all = snapshot();
  if (options_.model == MessageModel::kClustering) {
    for (const auto& pq : all) commit_offset(pq);
    return;
  }
  for (const auto& pq : all) remember_local_offset(pq);
  save_offset_file();
}

void PushConsumer::remember_local_offset(const PqPtr& pq) {
  int64_t offset = 0;
  {
    std::lock_guard pl(pq->mu);
    offset = pq->consume_offset_locked();
  }
  std::lock_guard lock(mu_);
  local_offsets_[pq->mq] = offset;
}

std::string PushConsumer::cached_master(const PqPtr& pq) {
  if (auto route = routes_.cached(pq->mq.topic); route != nullptr) {
    if (std::string a = route->master_addr(pq->mq.broker_name); !a.empty()) return a;
  }
  std::lock_guard lock(pq->mu);
  return pq->addr;
}

std::string PushConsumer::commit_addr(const PqPtr& pq) {
  std::string addr;
  if (auto route = routes_.get(pq->mq.topic); route.ok()) {
    addr = (*route)->master_addr(pq->mq.broker_name);
  }
  if (addr.empty()) {
    std::lock_guard lock(pq->mu);
    addr = pq->addr;
  }
  return addr.empty() || !routes_.reachable(addr) ? std::string() : addr;
}

void PushConsumer::refresh_route_later(const std::string& topic) {
  {
    std::lock_guard lock(mu_);
    if (!refreshing_.insert(topic).second) return;
  }
  on_service([this, topic] {
    {
      std::lock_guard lock(mu_);
      refreshing_.erase(topic);
    }
    if (!stopping_) (void)routes_.get(topic, /*refresh=*/true);
  });
}

void PushConsumer::commit_offset(const PqPtr& pq) {
  int64_t offset = 0;
  {
    std::lock_guard lock(pq->mu);
    offset = pq->consume_offset_locked();
    if (offset == pq->last_committed) return;
  }
  // Offsets live on the master only. While it is unreachable the offset stays here (the queue's
  // consume position) and a later round commits it: nothing is lost or moved back.
  const std::string addr = commit_addr(pq);
  if (addr.empty()) {
    log()->debug("{}: no reachable master for {}/{}/{}; offset {} kept for a later commit",
                 client_id_, pq->mq.topic, pq->mq.broker_name, pq->mq.queue_id, offset);
    return;
  }
  auto req = RemotingCommand::request(RequestCode::kUpdateConsumerOffset);
  req.ext_fields.set("consumerGroup", options_.group);
  req.ext_fields.set("topic", pq->mq.topic);
  req.ext_fields.set("queueId", pq->mq.queue_id);
  req.ext_fields.set("commitOffset", offset);
  auto r = client_.invoke_sync(addr, std::move(req), options_.request_timeout);
  if (!r.ok()) {
    routes_.mark_unreachable(addr);
  } else if (r->code != kCodeSuccess) {
    routes_.mark_stale(pq->mq.topic);  // e.g. a deposed leader: ask the NameServer again
  }
  if (!r.ok() || r->code != kCodeSuccess) {
    log()->warn(
        "{}: commit offset {} of {}/{}/{} to {} failed: {}", client_id_, offset, pq->mq.topic,
        pq->mq.broker_name, pq->mq.queue_id, addr,
        r.ok() ? "code " + std::to_string(r->code) + " " + remark(*r) : r.status().to_string());
    return;
  }
  std::lock_guard lock(pq->mu);
  pq->last_committed = std::max(pq->last_committed, offset);
}

void PushConsumer::lock_all() {
  std::map<std::string, std::vector<PqPtr>> by_addr;
  for (const auto& pq : snapshot()) {
    std::lock_guard pl(pq->mu);
    by_addr[pq->addr].push_back(pq);
  }
  for (const auto& [addr, pqs] : by_addr) {
    std::vector<QueueRef> qs;
    for (const auto& pq : pqs) qs.push_back(pq->mq);
    auto locked = lock_batch(addr, qs);
    if (!locked.ok()) {
      log()->warn("{}: LOCK_BATCH_MQ to {} failed: {}", client_id_, addr,
                  locked.status().to_string());
      continue;
    }
    for (const auto& pq : pqs) {
      std::lock_guard pl(pq->mu);
      pq->locked = locked->contains(pq->mq);
      if (pq->locked) pq->last_lock = clock_.now();
    }
  }
}

Result<std::set<QueueRef>> PushConsumer::lock_batch(const std::string& addr,
                                                    const std::vector<QueueRef>& qs) {
  auto req = RemotingCommand::request(RequestCode::kLockBatchMq);
  req.body = common::Buffer(std::string_view(lock_batch_body(options_.group, client_id_, qs)));
  RMQ_ASSIGN_OR_RETURN(auto r, client_.invoke_sync(addr, std::move(req), options_.request_timeout));
  if (r.code != kCodeSuccess) {
    return Status::unavailable("code " + std::to_string(r.code) + ": " + remark(r));
  }
  return remoting::protocol::parse_lock_batch_response(r.body.view());
}

void PushConsumer::unlock_batch(const std::string& addr, const std::vector<QueueRef>& qs) {
  if (addr.empty() || qs.empty()) return;
  auto req = RemotingCommand::request(RequestCode::kUnlockBatchMq);
  req.body = common::Buffer(std::string_view(lock_batch_body(options_.group, client_id_, qs)));
  auto r = client_.invoke_sync(addr, std::move(req), options_.request_timeout);
  if (!r.ok() || r->code != kCodeSuccess) {
    log()->warn("{}: UNLOCK_BATCH_MQ to {} failed", client_id_, addr);
  }
}

void PushConsumer::unlock_all() {
  std::map<std::string, std::vector<QueueRef>> by_addr;
  for (const auto& pq : snapshot()) {
    std::lock_guard pl(pq->mu);
    by_addr[pq->addr].push_back(pq->mq);
  }
  for (const auto& [addr, qs] : by_addr) unlock_batch(addr, qs);
}

void PushConsumer::unregister_all() {
  for (const auto& addr : broker_addrs(false)) {
    auto req = RemotingCommand::request(RequestCode::kUnregisterClient);
    req.ext_fields.set("clientID", client_id_);
    req.ext_fields.set("producerGroup", "");
    req.ext_fields.set("consumerGroup", options_.group);
    auto r = client_.invoke_sync(addr, std::move(req), options_.request_timeout);
    if (!r.ok()) {
      log()->debug("{}: unregister at {} failed: {}", client_id_, addr, r.status().to_string());
    }
  }
}

void PushConsumer::load_offset_file() {
  if (options_.offset_file.empty()) return;
  std::ifstream in(options_.offset_file);
  if (!in) return;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto parsed = parse_offset_table(text);
  if (!parsed.ok()) {
    log()->warn("{}: ignoring offset file {}: {}", client_id_, options_.offset_file,
                parsed.status().to_string());
    return;
  }
  std::lock_guard lock(mu_);
  local_offsets_ = std::move(parsed).value();
}

void PushConsumer::save_offset_file() {
  if (options_.offset_file.empty()) return;
  std::string text;
  {
    std::lock_guard lock(mu_);
    text = encode_offset_table(local_offsets_);
  }
  const std::string tmp = options_.offset_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) {
      log()->warn("{}: cannot write {}", client_id_, tmp);
      return;
    }
  }
  if (std::rename(tmp.c_str(), options_.offset_file.c_str()) != 0) {
    log()->warn("{}: cannot rename {} to {}", client_id_, tmp, options_.offset_file);
  }
}

// ---- pulling (I/O threads and the timer) ----

BrokerPick PushConsumer::read_broker(const PqPtr& pq) {
  int64_t suggested = 0;
  std::string master;
  {
    std::lock_guard lock(pq->mu);
    suggested = pq->suggested_id;
    master = pq->addr;
  }
  BrokerPick p;
  if (auto route = routes_.cached(pq->mq.topic); route != nullptr) {
    p = routes_.find_broker_for_read(*route, pq->mq.broker_name, suggested);
  }
  if (!p.found()) p = {0, master};
  return p;
}

void PushConsumer::pull(const PqPtr& pq) {
  if (stopping_ || pq->dropped) return;
  const BrokerPick to = read_broker(pq);
  if (!to.found()) {
    pull_later(pq, options_.pull_delay_on_error, true);
    return;
  }
  auto req = RemotingCommand::request(RequestCode::kPullMessage);
  int32_t sys_flag = kPullSuspend | kPullSubscription;
  {
    std::lock_guard lock(pq->mu);
    if (pq->msgs.size() >= options_.max_cached_messages_per_queue) {
      pull_later(pq, kFlowControlDelay, false);
      return;
    }
    if (!pq->last_pull.addr.empty() && pq->last_pull.addr != to.addr) {
      log()->info("{}: pulling {}/{}/{} from {} (brokerId {})", client_id_, pq->mq.topic,
                  pq->mq.broker_name, pq->mq.queue_id, to.addr, to.id);
    }
    pq->last_pull = to;
    req.ext_fields.set("consumerGroup", options_.group);
    req.ext_fields.set("topic", pq->mq.topic);
    req.ext_fields.set("queueId", pq->mq.queue_id);
    req.ext_fields.set("queueOffset", pq->next_offset);
    req.ext_fields.set("maxMsgNums", options_.pull_batch_size);
    const int64_t commit = pq->consume_offset_locked();
    // Only a master keeps offsets (RocketMQ clears the flag for a slave as well).
    if (options_.model == MessageModel::kClustering && commit > 0 && to.master()) {
      sys_flag |= kPullCommitOffset;
    }
    req.ext_fields.set("sysFlag", sys_flag);
    req.ext_fields.set("commitOffset", (sys_flag & kPullCommitOffset) != 0 ? commit : 0);
  }
  req.ext_fields.set(
      "suspendTimeoutMillis",
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.suspend_timeout).count());
  req.ext_fields.set("subscription", pq->filter.sub_string);
  req.ext_fields.set("subVersion", sub_version_);
  client_.invoke_async(
      to.addr, std::move(req), options_.pull_timeout,
      [this, pq, to](Result<RemotingCommand> r) { on_pull_result(pq, to, std::move(r)); });
}

void PushConsumer::pull_later(const PqPtr& pq, common::Duration delay, bool refresh_addr) {
  schedule(delay, [this, pq, refresh_addr] {
    if (!refresh_addr) {
      pull(pq);
      return;
    }
    on_service([this, pq] {
      if (stopping_ || pq->dropped) return;
      auto route = routes_.get(pq->mq.topic, true);
      if (route.ok()) {
        const std::string addr = (*route)->master_addr(pq->mq.broker_name);
        if (!addr.empty()) {
          std::lock_guard lock(pq->mu);
          pq->addr = addr;
        }
      }
      pull(pq);
    });
  });
}

void PushConsumer::on_pull_result(const PqPtr& pq, const BrokerPick& from,
                                  Result<RemotingCommand> r) {
  if (stopping_ || pq->dropped) return;
  if (!r.ok()) {
    log()->debug("{}: pull {}/{}/{} from {} failed: {}", client_id_, pq->mq.topic,
                 pq->mq.broker_name, pq->mq.queue_id, from.addr, r.status().to_string());
    // A killed master (or deposed leader) stays in the NameServer's route for a while: pass over
    // it and read from another broker of the group at once (a slave / follower).
    routes_.mark_unreachable(from.addr);
    refresh_route_later(pq->mq.topic);
    const BrokerPick alt = read_broker(pq);
    if (alt.found() && alt.addr != from.addr && routes_.reachable(alt.addr)) {
      pull(pq);
      return;
    }
    pull_later(pq, options_.pull_delay_on_error, true);
    return;
  }
  const RemotingCommand& resp = *r;
  routes_.mark_reachable(from.addr);
  const auto next = resp.ext_int("nextBeginOffset");
  if (resp.code == kCodeSuccess || resp.code == kCodePullNotFound ||
      resp.code == kCodePullRetryImmediately || resp.code == kCodePullOffsetMoved) {
    // RocketMQ's processPullResult: every answer names the broker for the queue's next pull.
    const int64_t suggest = resp.ext_int("suggestWhichBrokerId").value_or(0);
    std::lock_guard lock(pq->mu);
    pq->suggested_id = suggest;
  }
  switch (resp.code) {
    case kCodeSuccess: {
      auto decoded = decode_stored_messages(resp.body.view());
      if (!decoded.ok() || !next) {
        log()->warn("{}: bad pull reply from {}/{}/{}: {}", client_id_, pq->mq.topic,
                    pq->mq.broker_name, pq->mq.queue_id,
                    decoded.ok() ? "no nextBeginOffset" : decoded.status().to_string());
        pull_later(pq, options_.pull_delay_on_error, false);
        return;
      }
      std::vector<MessageExt> fresh;
      {
        std::lock_guard lock(pq->mu);
        for (auto& m : *decoded) {
          if (m.queue_offset < pq->next_offset) continue;  // already seen
          if (pq->retry_topic) {
            if (auto t = m.property("RETRY_TOPIC"); !t.empty()) m.topic = t;
          }
          if (!pq->filter.matches(m.tags())) continue;
          pq->msgs.emplace(m.queue_offset, m);
          fresh.push_back(std::move(m));
        }
        pq->next_offset = std::max(pq->next_offset, *next);
      }
      if (!fresh.empty()) {
        if (orderly_) {
          trigger_orderly(pq);
        } else {
          const auto batch = static_cast<size_t>(options_.consume_batch_size);
          for (size_t i = 0; i < fresh.size(); i += batch) {
            std::vector<MessageExt> part(
                std::make_move_iterator(fresh.begin() + static_cast<std::ptrdiff_t>(i)),
                std::make_move_iterator(fresh.begin() + static_cast<std::ptrdiff_t>(
                                                            std::min(fresh.size(), i + batch))));
            submit_consume(pq, std::move(part), common::Duration::zero());
          }
        }
      }
      pull(pq);
      return;
    }
    case kCodePullNotFound:
    case kCodePullRetryImmediately:
      if (next) {
        std::lock_guard lock(pq->mu);
        pq->next_offset = std::max(pq->next_offset, *next);
      }
      pull(pq);
      return;
    case kCodePullOffsetMoved: {
      // The broker says where the queue really starts or ends; continue there.
      log()->warn("{}: offset of {}/{}/{} illegal ({}), moving to {}", client_id_, pq->mq.topic,
                  pq->mq.broker_name, pq->mq.queue_id, remark(resp), next.value_or(-1));
      if (next) {
        std::lock_guard lock(pq->mu);
        pq->next_offset = *next;
        if (pq->msgs.empty()) pq->last_committed = -1;  // commit the new position
      }
      pull_later(pq, std::chrono::milliseconds(100), false);
      return;
    }
    default:
      log()->warn("{}: pull {}/{}/{} from {} answered {}: {}", client_id_, pq->mq.topic,
                  pq->mq.broker_name, pq->mq.queue_id, from.addr, resp.code, remark(resp));
      if (!from.master()) {
        // A slave or follower that cannot serve the queue: ask the master next.
        std::lock_guard lock(pq->mu);
        pq->suggested_id = 0;
      }
      pull_later(pq, options_.pull_delay_on_error, true);
  }
}

}  // namespace rmq::client
