#include "client/producer.h"

#include "common/bytes.h"
#include "common/thread_pool.h"
#include "remoting/request_code.h"

#include <cstdio>
#include <thread>
#include <unistd.h>

namespace rmq::client {

using common::Result;
using common::Status;
using remoting::RemotingCommand;

namespace {

remoting::ClientOptions client_options(size_t io_threads) {
  remoting::ClientOptions o;
  o.endpoint.name = "producer";
  o.endpoint.io_threads = io_threads;
  return o;
}

void add_property(std::string& props, std::string_view k, std::string_view v) {
  props.append(k);
  props.push_back('\x01');
  props.append(v);
  props.push_back('\x02');
}

// Codes after which another attempt (on another queue) may succeed, as the Java client retries.
bool retryable(int32_t code) {
  return code == 1 || code == 2 || code == 14 || code == 16 || code == 17 || code == 10 ||
         code == 11 || code == 12;
}

}  // namespace

struct Producer::Attempt {
  Message msg;
  Selector selector;
  SendCallback cb;
  int attempt = 0;
  std::string last_broker;
  bool refresh = false;
  std::string errors;
};

Producer::Producer(ProducerOptions options, common::Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      client_(client_options(options_.io_threads), clock),
      routes_(client_, options_.namesrv, clock) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%08X%04X%08llX", static_cast<unsigned>(::getpid()),
                static_cast<unsigned>(reinterpret_cast<uintptr_t>(this) & 0xFFFF),
                static_cast<unsigned long long>(clock_.wall_ms() & 0xFFFFFFFF));
  uniq_prefix_ = buf;
}

Producer::~Producer() { shutdown(); }

void Producer::start() {
  client_.start();
  retry_pool_ = std::make_unique<common::ThreadPool>("send-retry", 1, 100000);
}

void Producer::shutdown() {
  if (retry_pool_) retry_pool_->stop();
  client_.stop();
}

RemotingCommand Producer::build(const Message& msg, int32_t queue_id, std::string* uniq) const {
  auto req = RemotingCommand::request(remoting::RequestCode::kSendMessageV2);
  // The binary header (RocketMQ's ROCKETMQ serialize type): cheaper to write and parse than JSON.
  req.serialize_type = remoting::SerializeType::kRocketmq;
  char id[16];
  std::snprintf(id, sizeof id, "%012llX",
                static_cast<unsigned long long>(uniq_counter_.fetch_add(1)));
  *uniq = uniq_prefix_ + id;
  std::string props;
  if (!msg.tags.empty()) add_property(props, "TAGS", msg.tags);
  if (!msg.keys.empty()) add_property(props, "KEYS", msg.keys);
  if (msg.delay_level > 0) add_property(props, "DELAY", std::to_string(msg.delay_level));
  add_property(props, "UNIQ_KEY", *uniq);
  add_property(props, "WAIT", "true");
  for (const auto& [k, v] : msg.properties) add_property(props, k, v);
  req.ext_fields.set("a", options_.group);
  req.ext_fields.set("b", msg.topic);
  req.ext_fields.set("c", "TBW102");
  req.ext_fields.set("d", 4);
  req.ext_fields.set("e", queue_id);
  req.ext_fields.set("f", 0);
  req.ext_fields.set("g", clock_.wall_ms());
  req.ext_fields.set("h", 0);
  req.ext_fields.set("i", std::move(props));
  req.ext_fields.set("j", 0);
  req.ext_fields.set("k", "false");
  req.ext_fields.set("l", 16);
  req.body = common::Buffer(std::string_view(msg.body));
  return req;
}

Result<std::pair<QueueRef, std::string>> Producer::pick(const Message& msg, const Selector& sel,
                                                        const std::string& avoid_broker,
                                                        bool refresh) {
  auto found = routes_.get(msg.topic, refresh);
  std::shared_ptr<const TopicRoute> route;
  std::vector<QueueRef> queues;
  if (found.ok()) {
    route = *found;
    queues = route->publish_queues();
  } else if (found.status().code() == common::Code::kNotFound) {
    // A topic without a route: send through the brokers that allow auto-creation (TBW102), as
    // the Java client does; the broker creates the topic and registers it.
    RMQ_ASSIGN_OR_RETURN(route, routes_.get("TBW102", refresh));
    for (auto q : route->publish_queues()) {
      if (q.queue_id >= 4) continue;
      q.topic = msg.topic;
      queues.push_back(q);
    }
    if (queues.empty()) return found.status();
  } else {
    return found.status();
  }
  if (queues.empty()) {
    return Status::unavailable("topic " + msg.topic + " has no writable queue with a leader");
  }
  size_t idx = sel ? sel(msg, queues.size()) % queues.size()
                   : static_cast<size_t>(round_robin_.fetch_add(1) % queues.size());
  // After a failure, prefer a queue of another broker (as the Java client does).
  if (!avoid_broker.empty() && !sel) {
    for (size_t k = 0; k < queues.size(); ++k) {
      const auto& q = queues[(idx + k) % queues.size()];
      if (q.broker_name != avoid_broker) {
        idx = (idx + k) % queues.size();
        break;
      }
    }
  }
  const QueueRef& q = queues[idx];
  return std::make_pair(q, route->master_addr(q.broker_name));
}

Result<SendResult> Producer::interpret(const Result<RemotingCommand>& r, const QueueRef& q,
                                       const std::string& addr, const std::string& uniq,
                                       bool* retry, bool* refresh) const {
  *retry = false;
  *refresh = false;
  if (!r.ok()) {
    *retry = true;
    *refresh = true;
    return Status(r.status().code(), "send to " + addr + " (" + q.broker_name + " queue " +
                                         std::to_string(q.queue_id) +
                                         ") failed: " + std::string(r.status().message()));
  }
  if (r->code != 0) {
    *retry = retryable(r->code);
    *refresh = r->code == 14 || r->code == 17;
    return Status::unavailable("broker " + addr + " answered code " + std::to_string(r->code) +
                               ": " + r->remark.value_or(""));
  }
  SendResult s;
  s.msg_id = r->ext("msgId") ? *r->ext("msgId") : "";
  s.uniq_key = uniq;
  s.broker_name = q.broker_name;
  s.broker_addr = addr;
  s.queue_id = static_cast<int32_t>(r->ext_int("queueId").value_or(q.queue_id));
  s.queue_offset = r->ext_int("queueOffset").value_or(-1);
  s.raft_term = r->ext_int("raftTerm").value_or(0);
  s.raft_index = r->ext_int("raftIndex").value_or(0);
  s.durability = r->ext("durability") ? *r->ext("durability") : "";
  return s;
}

Result<SendResult> Producer::send_to(const Message& msg, const QueueRef& queue) {
  RMQ_ASSIGN_OR_RETURN(auto route, routes_.get(msg.topic));
  const std::string addr = route->master_addr(queue.broker_name);
  if (addr.empty()) return Status::unavailable("broker " + queue.broker_name + " has no leader");
  std::string uniq;
  auto r = client_.invoke_sync(addr, build(msg, queue.queue_id, &uniq), options_.timeout);
  bool retry = false;
  bool refresh = false;
  return interpret(r, queue, addr, uniq, &retry, &refresh);
}

Result<SendResult> Producer::send(const Message& msg, const Selector& selector) {
  std::string errors;
  std::string last_broker;
  bool refresh = false;
  for (int attempt = 0; attempt <= options_.retries; ++attempt) {
    auto picked = pick(msg, selector, last_broker, refresh);
    if (!picked.ok()) {
      errors += (errors.empty() ? "" : "; ") + picked.status().to_string();
      if (picked.status().code() == common::Code::kNotFound) break;
      refresh = true;
      continue;
    }
    const auto& [q, addr] = *picked;
    std::string uniq;
    auto r = client_.invoke_sync(addr, build(msg, q.queue_id, &uniq), options_.timeout);
    bool retry = false;
    auto res = interpret(r, q, addr, uniq, &retry, &refresh);
    if (res.ok()) {
      res->attempts = attempt + 1;
      return res;
    }
    errors += (errors.empty() ? "" : "; ") + std::string(res.status().message());
    if (!retry) break;
    last_broker = q.broker_name;
    if (refresh) std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
  }
  return Status::unavailable("send to topic " + msg.topic + " failed: " + errors);
}

void Producer::send_async(const Message& msg, SendCallback cb, const Selector& selector) {
  auto a = std::make_shared<Attempt>();
  a->msg = msg;
  a->selector = selector;
  a->cb = std::move(cb);
  attempt_async(std::move(a));
}

void Producer::attempt_async(std::shared_ptr<Attempt> a) {
  auto picked = pick(a->msg, a->selector, a->last_broker, a->refresh);
  if (!picked.ok()) {
    a->cb(picked.status());
    return;
  }
  const QueueRef q = picked->first;
  const std::string addr = picked->second;
  auto uniq = std::make_shared<std::string>();
  auto req = build(a->msg, q.queue_id, uniq.get());
  client_.invoke_async(
      addr, std::move(req), options_.timeout, [this, a, q, addr, uniq](Result<RemotingCommand> r) {
        bool retry = false;
        bool refresh = false;
        auto res = interpret(r, q, addr, *uniq, &retry, &refresh);
        if (res.ok()) {
          res->attempts = a->attempt + 1;
          a->cb(std::move(res));
          return;
        }
        a->errors += (a->errors.empty() ? "" : "; ") + std::string(res.status().message());
        if (!retry || a->attempt >= options_.retries) {
          a->cb(Status::unavailable("send to topic " + a->msg.topic + " failed: " + a->errors));
          return;
        }
        ++a->attempt;
        a->last_broker = q.broker_name;
        a->refresh = refresh;
        // Not on this I/O thread: a route refresh is a synchronous call.
        if (!retry_pool_->submit([this, a] { attempt_async(a); })) {
          a->cb(Status::busy("send retry queue full"));
        }
      });
}

Status Producer::send_oneway(const Message& msg) {
  RMQ_ASSIGN_OR_RETURN(auto picked, pick(msg, nullptr, "", false));
  std::string uniq;
  return client_.invoke_oneway(picked.second, build(msg, picked.first.queue_id, &uniq));
}

}  // namespace rmq::client
