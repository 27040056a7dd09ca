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
      routes_(client_, options_.namesrv, clock, options_.route_max_age) {}

PullConsumer::~PullConsumer() { shutdown(); }

void PullConsumer::start() {
  client_.start();
  route_pool_ = std::make_unique<common::ThreadPool>("pull-route", 1, 100000);
}

void PullConsumer::shutdown() {
  if (!route_pool_) return;
  if (Status st = commit(); !st.is_ok()) {
    common::logger("client")->warn("pull consumer {}: {}", options_.group, st.to_string());
  }
  route_pool_->stop();
  client_.stop();
  route_pool_.reset();
}

Result<std::vector<QueueRef>> PullConsumer::fetch_queues(const std::string& topic) {
  RMQ_ASSIGN_OR_RETURN(auto route, routes_.get(topic, /*refresh=*/true));
  return route->subscribe_queues();
}

Result<std::string> PullConsumer::leader_addr(const QueueRef& q) {
  RMQ_ASSIGN_OR_RETURN(auto route, routes_.get(q.topic));
  std::string addr = route->master_addr(q.broker_name);
  if (addr.empty()) {
    // The route may predate a leader change: ask once more.
    RMQ_ASSIGN_OR_RETURN(route, routes_.get(q.topic, /*refresh=*/true));
    addr = route->master_addr(q.broker_name);
  }
  if (addr.empty()) return Status::unavailable("broker " + q.broker_name + " has no leader");
  return addr;
}

std::string PullConsumer::cached_leader_addr(const QueueRef& q) {
  bool stale = false;
  auto route = routes_.cached(q.topic, &stale);
  if (route == nullptr) return {};
  if (stale) refresh_later(q.topic);
  return route->master_addr(q.broker_name);
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

Result<PullResult> PullConsumer::interpret(const Result<RemotingCommand>& r, const QueueRef& q,
                                           const std::string& addr, const TagFilter& filter) {
  if (!r.ok()) {
    routes_.invalidate(q.topic);  // the leader may have moved
    return Status(r.status().code(), "pull " + describe(q) + " from " + addr + ": " +
                                         std::string(r.status().message()));
  }
  PullResult res;
  switch (r->code) {
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
      routes_.invalidate(q.topic);
      return Status::unavailable("pull " + describe(q) + " from " + addr + ": code " +
                                 std::to_string(r->code) + " " + r->remark.value_or(""));
  }
  const auto next = r->ext_int("nextBeginOffset");
  if (!next) {
    return Status::corruption("pull " + describe(q) + " from " + addr +
                              ": the response has no nextBeginOffset");
  }
  res.next_begin_offset = *next;
  res.min_offset = r->ext_int("minOffset").value_or(0);
  res.max_offset = r->ext_int("maxOffset").value_or(0);
  if (res.status != PullStatus::kFound) return res;
  auto decoded = decode_stored_messages(r->body.view());
  if (!decoded.ok()) {
    return decoded.status().with_context("pull " + describe(q) + " from " + addr);
  }
  res.messages.reserve(decoded->size());
  for (auto& m : *decoded) {
    if (filter.matches(m.tags())) res.messages.push_back(std::move(m));
  }
  return res;
}

Result<PullResult> PullConsumer::pull_sync(const QueueRef& q, int64_t offset, int32_t max_nums,
                                           std::string_view expression, bool block) {
  RMQ_ASSIGN_OR_RETURN(const std::string addr, leader_addr(q));
  const TagFilter filter = TagFilter::parse(expression);
  auto r = client_.invoke_sync(addr, pull_request(q, offset, max_nums, filter, block),
                               block ? options_.block_timeout : options_.request_timeout);
  return interpret(r, q, addr, filter);
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
  const std::string addr = cached_leader_addr(q);
  if (!addr.empty()) {
    send_pull(addr, q, offset, max_nums, filter, block, std::move(cb));
    return;
  }
  // No route (or no leader) cached: fetch it on the route thread, never on the caller's.
  auto shared_cb = std::make_shared<PullCallback>(std::move(cb));
  const bool queued = route_pool_->submit([this, q, offset, max_nums, filter, block, shared_cb] {
    auto a = leader_addr(q);
    if (!a.ok()) {
      (*shared_cb)(a.status());
      return;
    }
    send_pull(*a, q, offset, max_nums, filter, block, std::move(*shared_cb));
  });
  if (!queued) (*shared_cb)(Status::busy("pull consumer route queue full"));
}

void PullConsumer::send_pull(const std::string& addr, const QueueRef& q, int64_t offset,
                             int32_t max_nums, const std::shared_ptr<const TagFilter>& filter,
                             bool block, PullCallback cb) {
  client_.invoke_async(addr, pull_request(q, offset, max_nums, *filter, block),
                       block ? options_.block_timeout : options_.request_timeout,
                       [this, q, addr, filter, cb = std::move(cb)](Result<RemotingCommand> r) {
                         cb(interpret(r, q, addr, *filter));
                       });
}

Result<int64_t> PullConsumer::offset_request(const QueueRef& q, int32_t code,
                                             int64_t timestamp_ms) {
  RMQ_ASSIGN_OR_RETURN(const std::string addr, leader_addr(q));
  auto req = RemotingCommand::request(code);
  req.ext_fields.set("topic", q.topic);
  req.ext_fields.set("queueId", q.queue_id);
  if (code == static_cast<int32_t>(RequestCode::kSearchOffsetByTimestamp)) {
    req.ext_fields.set("timestamp", timestamp_ms);
  }
  auto r = client_.invoke_sync(addr, std::move(req), options_.request_timeout);
  if (!r.ok()) {
    routes_.invalidate(q.topic);
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
  RMQ_ASSIGN_OR_RETURN(const std::string addr, leader_addr(q));
  auto req = RemotingCommand::request(RequestCode::kQueryConsumerOffset);
  req.ext_fields.set("consumerGroup", options_.group);
  req.ext_fields.set("topic", q.topic);
  req.ext_fields.set("queueId", q.queue_id);
  req.ext_fields.set("setZeroIfNotFound", "false");
  auto r = client_.invoke_sync(addr, std::move(req), options_.request_timeout);
  if (!r.ok()) {
    routes_.invalidate(q.topic);
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
    auto addr = leader_addr(q);
    Status st = addr.status();
    if (addr.ok()) {
      auto req = RemotingCommand::request(RequestCode::kUpdateConsumerOffset);
      req.ext_fields.set("consumerGroup", options_.group);
      req.ext_fields.set("topic", q.topic);
      req.ext_fields.set("queueId", q.queue_id);
      req.ext_fields.set("commitOffset", offset);
      auto r = client_.invoke_sync(*addr, std::move(req), options_.request_timeout);
      if (!r.ok()) {
        routes_.invalidate(q.topic);
        st = r.status();
      } else if (r->code != kCodeSuccess) {
        st = Status::unavailable("code " + std::to_string(r->code) + " " + r->remark.value_or(""));
      }
    }
    if (!st.is_ok()) {
      errors += (errors.empty() ? "" : "; ") + describe(q) + ": " + st.to_string();
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
