#include "client/pull_consumer.h"

#include "common/logging.h"
#include "common/thread_pool.h"
#include "remoting/request_code.h"

namespace rmq::client {

using common::Result;
using common::Status;
using remoting::RemotingCommand;
using remoting::RequestCode;

namespace {

constexpr int32_t kCodeSuccess = 0;
constexpr int32_t kCodePullNotFound = 19;
constexpr int32_t kCodePullRetryImmediately = 20;
constexpr int32_t kCodePullOffsetMoved = 21;
constexpr int32_t kCodeQueryNotFound = 22;

// PULL_MESSAGE sysFlag bits.
constexpr int32_t kPullSuspend = 2;
constexpr int32_t kPullSubscription = 4;

remoting::ClientOptions client_options(size_t io_threads) {
  remoting::ClientOptions o;
  o.endpoint.name = "pull-consumer";
  o.endpoint.io_threads = io_threads;
  return o;
}

std::string describe(const QueueRef& q) {
  return q.topic + "/" + q.broker_name + "/" + std::to_string(q.queue_id);
}

int64_t ms(common::Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

std::string_view to_string(PullStatus s) {
  switch (s) {
    case PullStatus::kFound:
      return "FOUND";
    case PullStatus::kNoNewMsg:
      return "NO_NEW_MSG";
    case PullStatus::kNoMatchedMsg:
      return "NO_MATCHED_MSG";
    case PullStatus::kOffsetIllegal:
      return "OFFSET_ILLEGAL";
  }
  return "NO_NEW_MSG";
}

PullConsumer::PullConsumer(PullConsumerOptions options, common::Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      client_(client_options(options_.io_threads), clock),
      routes_(client_, options_.namesrv, clock, options_.route_max_age, options_.unreachable_for) {}

PullConsumer::~PullConsumer() { shutdown(); }

void PullConsumer::start() {
  stopping_ = false;
  client_.start();
  route_pool_ = std::make_unique<common::ThreadPool>("pull-route", 1, 100000);
}

void PullConsumer::shutdown() {
  if (!route_pool_) return;
  if (Status st = commit(); !st.is_ok()) {
    common::logger("client")->warn("pull consumer {}: {}", options_.group, st.to_string());
  }
  stopping_ = true;
  route_pool_->stop();
  client_.stop();
  route_pool_.reset();
}

Result<std::vector<QueueRef>> PullConsumer::fetch_queues(const std::string& topic) {
  RMQ_ASSIGN_OR_RETURN(auto route, routes_.get(topic, /*refresh=*/true));
  return route->subscribe_queues();
}

int64_t PullConsumer::suggested_broker(const QueueRef& q) const {
  std::lock_guard lock(mu_);
  auto it = suggested_.find(q);
  return it == suggested_.end() ? 0 : it->second;
}

void PullConsumer::set_suggested_broker(const QueueRef& q, int64_t broker_id) {
  std::lock_guard lock(mu_);
  suggested_[q] = broker_id;
}

Result<BrokerPick> PullConsumer::read_broker(const QueueRef& q, bool refresh) {
  RMQ_ASSIGN_OR_RETURN(auto route, routes_.get(q.topic, refresh));
  BrokerPick p = routes_.find_broker_for_read(*route, q.broker_name, suggested_broker(q));
  if (!p.found() && !refresh) {
    // The route may predate a leader change: ask once more.
    RMQ_ASSIGN_OR_RETURN(route, routes_.get(q.topic, /*refresh=*/true));
    p = routes_.find_broker_for_read(*route, q.broker_name, suggested_broker(q));
  }
  if (!p.found()) {
    return Status::unavailable("broker " + q.broker_name + " of topic " + q.topic +
                               " has no address in the route");
  }
  return p;
}

BrokerPick PullConsumer::cached_read_broker(const QueueRef& q) {
  bool stale = false;
  auto route = routes_.cached(q.topic, &stale);
  if (route == nullptr) return {};
  if (stale) refresh_later(q.topic);
  return routes_.find_broker_for_read(*route, q.broker_name, suggested_broker(q));
}

void PullConsumer::refresh_later(const std::string& topic) {
  {
    std::lock_guard lock(mu_);
    if (!refreshing_.insert(topic).second) return;
  }
  const bool queued = route_pool_->submit([this, topic] {
    (void)routes_.get(topic, /*refresh=*/true);
    std::lock_guard lock(mu_);
    refreshing_.erase(topic);
  });
  if (!queued) {
    std::lock_guard lock(mu_);
    refreshing_.erase(topic);
  }
}

RemotingCommand PullConsumer::pull_request(const QueueRef& q, int64_t offset, int32_t max_nums,
                                           const TagFilter& filter, bool block) const {
  auto req = RemotingCommand::request(RequestCode::kPullMessage);
  req.ext_fields.set("consumerGroup", options_.group);
  req.ext_fields.set("topic", q.topic);
  req.ext_fields.set("queueId", q.queue_id);
  req.ext_fields.set("queueOffset", offset);
  req.ext_fields.set("maxMsgNums", max_nums);
  req.ext_fields.set("sysFlag", kPullSubscription | (block ? kPullSuspend : 0));
  req.ext_fields.set("commitOffset", 0);
  req.ext_fields.set("suspendTimeoutMillis", ms(options_.suspend_timeout));
  req.ext_fields.set("subscription", filter.sub_string);
  req.ext_fields.set("subVersion", 0);
  return req;
}

Status PullConsumer::transport_error(const Status& st, const QueueRef& q,
                                     const std::string& addr) const {
  return Status(st.code(),
                "pull " + describe(q) + " from " + addr + ": " + std::string(st.message()));
}

Result<PullResult> PullConsumer::interpret(const RemotingCommand& r, const QueueRef& q,
                                           const BrokerPick& from, const TagFilter& filter) {
  routes_.mark_reachable(from.addr);
  PullResult res;
  switch (r.code) {
    case kCodeSuccess:
      res.status = PullStatus::kFound;
      break;
    case kCodePullNotFound:
      res.status = PullStatus::kNoNewMsg;
      break;
    case kCodePullRetryImmediately:
      res.status = PullStatus::kNoMatchedMsg;
      break;
    case kCodePullOffsetMoved:
      res.status = PullStatus::kOffsetIllegal;
      break;
    default:
      routes_.mark_stale(q.topic);
      // A slave or follower that cannot serve the queue: the next pull asks the master.
      if (!from.master()) set_suggested_broker(q, 0);
      return Status::unavailable("pull " + describe(q) + " from " + from.addr + ": code " +
                                 std::to_string(r.code) + " " + r.remark.value_or(""));
  }
  const auto next = r.ext_int("nextBeginOffset");
  if (!next) {
    return Status::corruption("pull " + describe(q) + " from " + from.addr +
                              ": the response has no nextBeginOffset");
  }
  res.next_begin_offset = *next;
  res.min_offset = r.ext_int("minOffset").value_or(0);
  res.max_offset = r.ext_int("maxOffset").value_or(0);
  res.broker_addr = from.addr;
  res.broker_id = from.id;
  // RocketMQ's processPullResult: every answer names the broker for the next pull of the queue.
  res.suggest_which_broker_id = r.ext_int("suggestWhichBrokerId").value_or(0);
  set_suggested_broker(q, res.suggest_which_broker_id);
  if (res.status != PullStatus::kFound) return res;
  auto decoded = decode_stored_messages(r.body.view());
  if (!decoded.ok()) {
    return decoded.status().with_context("pull " + describe(q) + " from " + from.addr);
  }
  res.messages.reserve(decoded->size());
  for (auto& m : *decoded) {
    if (filter.matches(m.tags())) res.messages.push_back(std::move(m));
  }
  return res;
}

Result<PullResult> PullConsumer::pull_sync(const QueueRef& q, int64_t offset, int32_t max_nums,
                                           std::string_view expression, bool block) {
  RMQ_ASSIGN_OR_RETURN(BrokerPick to, read_broker(q));
  const TagFilter filter = TagFilter::parse(expression);
  const common::Duration timeout = block ? options_.block_timeout : options_.request_timeout;
  auto r = client_.invoke_sync(to.addr, pull_request(q, offset, max_nums, filter, block), timeout);
  if (!r.ok()) {
    // The broker is gone (a killed master, a deposed leader): once more on another one of the
    // group, per a fresh route.
    routes_.mark_unreachable(to.addr);
    auto alt = read_broker(q, /*refresh=*/true);
    if (!alt.ok() || alt->addr == to.addr || !routes_.reachable(alt->addr)) {
      return transport_error(r.status(), q, to.addr);
    }
    to = *alt;
    r = client_.invoke_sync(to.addr, pull_request(q, offset, max_nums, filter, block), timeout);
    if (!r.ok()) {
      routes_.mark_unreachable(to.addr);
      return transport_error(r.status(), q, to.addr);
    }
  }
  return interpret(*r, q, to, filter);
}

Result<PullResult> PullConsumer::pull(const QueueRef& q, int64_t offset, int32_t max_nums,
                                      std::string_view expression) {
  return pull_sync(q, offset, max_nums, expression, /*block=*/false);
}

Result<PullResult> PullConsumer::pull_block_if_not_found(const QueueRef& q, int64_t offset,
                                                         int32_t max_nums,
                                                         std::string_view expression) {
  return pull_sync(q, offset, max_nums, expression, /*block=*/true);
}

void PullConsumer::pull_async(const QueueRef& q, int64_t offset, int32_t max_nums,
                              std::string_view expression, bool block, PullCallback cb) {
  if (!route_pool_) {
    cb(Status::unavailable("the pull consumer is not started"));
    return;
  }
  auto filter = std::make_shared<const TagFilter>(TagFilter::parse(expression));
  const BrokerPick to = cached_read_broker(q);
  if (to.found()) {
    send_pull(to, q, offset, max_nums, filter, block, /*retried=*/false, std::move(cb));
    return;
  }
  // No route (or no address) cached: fetch it on the route thread, never on the caller's.
  auto shared_cb = std::make_shared<PullCallback>(std::move(cb));
  const bool queued = route_pool_->submit([this, q, offset, max_nums, filter, block, shared_cb] {
    auto p = read_broker(q);
    if (!p.ok()) {
      (*shared_cb)(p.status());
      return;
    }
    send_pull(*p, q, offset, max_nums, filter, block, /*retried=*/false, std::move(*shared_cb));
  });
  if (!queued) (*shared_cb)(Status::busy("pull consumer route queue full"));
}

void PullConsumer::send_pull(const BrokerPick& to, const QueueRef& q, int64_t offset,
                             int32_t max_nums, const std::shared_ptr<const TagFilter>& filter,
                             bool block, bool retried, PullCallback cb) {
  client_.invoke_async(to.addr, pull_request(q, offset, max_nums, *filter, block),
                       block ? options_.block_timeout : options_.request_timeout,
                       [this, q, to, offset, max_nums, filter, block, retried,
                        cb = std::move(cb)](Result<RemotingCommand> r) mutable {
                         if (r.ok()) {
                           cb(interpret(*r, q, to, *filter));
                           return;
                         }
                         if (stopping_) {
                           cb(transport_error(r.status(), q, to.addr));
                           return;
                         }
                         routes_.mark_unreachable(to.addr);
                         refresh_later(q.topic);
                         if (!retried) {
                           // At once on another broker of the group (a slave while the master is
                           // down).
                           const BrokerPick alt = cached_read_broker(q);
                           if (alt.found() && alt.addr != to.addr && routes_.reachable(alt.addr)) {
                             send_pull(alt, q, offset, max_nums, filter, block, /*retried=*/true,
                                       std::move(cb));
                             return;
                           }
                         }
                         cb(transport_error(r.status(), q, to.addr));
                       });
}

Result<int64_t> PullConsumer::offset_request(const QueueRef& q, int32_t code,
                                             int64_t timestamp_ms) {
  auto make = [&] {
    auto req = RemotingCommand::request(code);
    req.ext_fields.set("topic", q.topic);
    req.ext_fields.set("queueId", q.queue_id);
    if (code == static_cast<int32_t>(RequestCode::kSearchOffsetByTimestamp)) {
      req.ext_fields.set("timestamp", timestamp_ms);
    }
    return req;
  };
  std::string addr;
  auto r = routes_.invoke_group(q.topic, q.broker_name, make, /*slave_ok=*/true,
                                options_.request_timeout, &addr);
  if (addr.empty()) addr = "broker " + q.broker_name;
  if (!r.ok()) {
    return Status(r.status().code(), addr + ": offset request " + std::to_string(code) + " for " +
                                         describe(q) + ": " + std::string(r.status().message()));
  }
  auto off = r->ext_int("offset");
  if (r->code != kCodeSuccess || !off) {
    return Status::unavailable(addr + ": offset request " + std::to_string(code) + " for " +
                               describe(q) + " answered code " + std::to_string(r->code) + " " +
                               r->remark.value_or(""));
  }
  return *off;
}

Result<int64_t> PullConsumer::min_offset(const QueueRef& q) {
  return offset_request(q, static_cast<int32_t>(RequestCode::kGetMinOffset), 0);
}

Result<int64_t> PullConsumer::max_offset(const QueueRef& q) {
  return offset_request(q, static_cast<int32_t>(RequestCode::kGetMaxOffset), 0);
}

Result<int64_t> PullConsumer::search_offset(const QueueRef& q, int64_t timestamp_ms) {
  return offset_request(q, static_cast<int32_t>(RequestCode::kSearchOffsetByTimestamp),
                        timestamp_ms);
}

Result<int64_t> PullConsumer::fetch_offset(const QueueRef& q) {
  auto make = [&] {
    auto req = RemotingCommand::request(RequestCode::kQueryConsumerOffset);
    req.ext_fields.set("consumerGroup", options_.group);
    req.ext_fields.set("topic", q.topic);
    req.ext_fields.set("queueId", q.queue_id);
    req.ext_fields.set("setZeroIfNotFound", "false");
    return req;
  };
  // The master's; a slave's copy (synchronized every 10 s) while the master is unreachable.
  std::string addr;
  auto r = routes_.invoke_group(q.topic, q.broker_name, make, /*slave_ok=*/true,
                                options_.request_timeout, &addr);
  if (addr.empty()) addr = "broker " + q.broker_name;
  if (!r.ok()) {
    return Status(r.status().code(), addr + ": QUERY_CONSUMER_OFFSET for " + describe(q) + ": " +
                                         std::string(r.status().message()));
  }
  if (r->code == kCodeQueryNotFound) return int64_t{-1};
  auto off = r->ext_int("offset");
  if (r->code != kCodeSuccess || !off) {
    return Status::unavailable(addr + ": QUERY_CONSUMER_OFFSET for " + describe(q) +
                               " answered code " + std::to_string(r->code) + " " +
                               r->remark.value_or(""));
  }
  return *off;
}

void PullConsumer::update_offset(const QueueRef& q, int64_t offset) {
  std::lock_guard lock(mu_);
  offsets_[q].offset = offset;
}

int64_t PullConsumer::local_offset(const QueueRef& q) const {
  std::lock_guard lock(mu_);
  auto it = offsets_.find(q);
  return it == offsets_.end() ? -1 : it->second.offset;
}

Status PullConsumer::commit() {
  std::vector<std::pair<QueueRef, int64_t>> changed;
  {
    std::lock_guard lock(mu_);
    for (const auto& [q, t] : offsets_) {
      if (t.offset >= 0 && t.offset != t.committed) changed.emplace_back(q, t.offset);
    }
  }
  std::string errors;
  for (const auto& [q, offset] : changed) {
    auto make = [&, q = q, offset = offset] {
      auto req = RemotingCommand::request(RequestCode::kUpdateConsumerOffset);
      req.ext_fields.set("consumerGroup", options_.group);
      req.ext_fields.set("topic", q.topic);
      req.ext_fields.set("queueId", q.queue_id);
      req.ext_fields.set("commitOffset", offset);
      return req;
    };
    // Only the master keeps offsets: while it is unreachable the offset stays pending here.
    std::string addr;
    auto r = routes_.invoke_group(q.topic, q.broker_name, make, /*slave_ok=*/false,
                                  options_.request_timeout, &addr);
    Status st = r.status();
    if (r.ok() && r->code != kCodeSuccess) {
      st = Status::unavailable("code " + std::to_string(r->code) + " " + r->remark.value_or(""));
    }
    if (!st.is_ok()) {
      errors += (errors.empty() ? "" : "; ") + describe(q) + (addr.empty() ? "" : " at " + addr) +
                ": " + st.to_string();
      continue;
    }
    std::lock_guard lock(mu_);
    Tracked& t = offsets_[q];
    t.committed = offset;
  }
  if (errors.empty()) return Status::ok();
  return Status::unavailable("commit offsets of group " + options_.group + ": " + errors);
}

}  // namespace rmq::client
