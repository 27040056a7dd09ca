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

void put_i32(std::string& out, int32_t v) {
  char b[4];
  common::store_be<int32_t>(reinterpret_cast<uint8_t*>(b), v);
  out.append(b, 4);
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string_view::npos) end = s.size();
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string send_properties(const Message& msg, std::string_view uniq_key) {
  std::string props;
  if (!msg.tags.empty()) add_property(props, "TAGS", msg.tags);
  if (!msg.keys.empty()) add_property(props, "KEYS", msg.keys);
  if (msg.delay_level > 0) add_property(props, "DELAY", std::to_string(msg.delay_level));
  add_property(props, "UNIQ_KEY", uniq_key);
  add_property(props, "WAIT", "true");
  for (const auto& [k, v] : msg.properties) add_property(props, k, v);
  return props;
}

Result<std::string> encode_batch_body(const std::vector<Message>& msgs,
                                      const std::vector<std::string>& uniq_keys) {
  if (msgs.empty()) return Status::invalid_argument("a batch needs at least one message");
  if (uniq_keys.size() != msgs.size()) {
    return Status::invalid_argument("a batch needs one UNIQ_KEY per message");
  }
  const std::string& topic = msgs.front().topic;
  if (topic.empty()) return Status::invalid_argument("a batch message has no topic");
  if (topic.rfind("%RETRY%", 0) == 0) {
    return Status::invalid_argument("retry topics are not supported in batches");
  }
  std::string out;
  for (size_t i = 0; i < msgs.size(); ++i) {
    const Message& m = msgs[i];
    if (m.topic != topic) {
      return Status::invalid_argument("the messages of a batch must share one topic (" + topic +
                                      " and " + m.topic + ")");
    }
    if (m.delay_level > 0) {
      return Status::invalid_argument("delay levels are not supported in batches");
    }
    const std::string props = send_properties(m, uniq_keys[i]);
    if (props.size() > 32767) {
      return Status::invalid_argument("batch message " + std::to_string(i) +
                                      ": properties over 32767 bytes");
    }
    const size_t total = 4 * 5 + m.body.size() + 2 + props.size();
    if (total > static_cast<size_t>(INT32_MAX)) {
      return Status::invalid_argument("batch message " + std::to_string(i) + " is too large");
    }
    put_i32(out, static_cast<int32_t>(total));
    put_i32(out, 0);  // MAGICCODE (the broker sets its own)
    put_i32(out, 0);  // BODYCRC (computed by the broker, as with the Java client)
    put_i32(out, 0);  // FLAG
    put_i32(out, static_cast<int32_t>(m.body.size()));
    out.append(m.body);
    char len[2];
    common::store_be<int16_t>(reinterpret_cast<uint8_t*>(len), static_cast<int16_t>(props.size()));
    out.append(len, 2);
    out.append(props);
  }
  return out;
}

// One send's request parts, the same for every attempt.
struct Producer::Outgoing {
  std::string topic;
  std::string properties;  // the header's ("i"); empty for a batch (each entry has its own)
  std::string_view body;   // the message body, or owned_body
  std::string owned_body;  // a batch's encoding
  bool batch = false;
  std::string uniq;                    // single message
  std::vector<std::string> uniq_keys;  // batch
};

struct Producer::Attempt {
  Message msg;  // the selector's input (a batch: just the topic)
  Outgoing out;
  Selector selector;
  SendCallback cb;
  int attempt = 0;
  std::string last_broker;
  bool refresh = false;
  std::string errors;
  common::TimePoint started{};
};

Producer::Producer(ProducerOptions options, common::Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      client_(client_options(options_.io_threads), clock),
      routes_(client_, options_.namesrv, clock, options_.route_max_age),
      faults_(clock) {
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

std::string Producer::next_uniq() {
  char id[16];
  std::snprintf(id, sizeof id, "%012llX",
                static_cast<unsigned long long>(uniq_counter_.fetch_add(1)));
  return uniq_prefix_ + id;
}

void Producer::prepare(const Message& msg, Outgoing* out) {
  out->topic = msg.topic;
  out->uniq = next_uniq();
  out->properties = send_properties(msg, out->uniq);
  out->body = msg.body;
}

Status Producer::prepare_batch(const std::vector<Message>& msgs, Outgoing* out) {
  out->batch = true;
  out->uniq_keys.reserve(msgs.size());
  for (size_t i = 0; i < msgs.size(); ++i) out->uniq_keys.push_back(next_uniq());
  RMQ_ASSIGN_OR_RETURN(out->owned_body, encode_batch_body(msgs, out->uniq_keys));
  out->topic = msgs.front().topic;
  out->body = out->owned_body;
  for (size_t i = 0; i < out->uniq_keys.size(); ++i) {
    out->uniq += (i == 0 ? "" : ",") + out->uniq_keys[i];
  }
  return Status::ok();
}

RemotingCommand Producer::build(const Outgoing& out, int32_t queue_id) const {
  auto req = RemotingCommand::request(out.batch ? remoting::RequestCode::kSendBatchMessage
                                                : remoting::RequestCode::kSendMessageV2);
  // The binary header (RocketMQ's ROCKETMQ serialize type): cheaper to write and parse than JSON.
  req.serialize_type = remoting::SerializeType::kRocketmq;
  // A fresh header: append without looking for an existing key.
  auto& f = req.ext_fields;
  f.reserve(13);
  f.append("a", options_.group);
  f.append("b", out.topic);
  f.append("c", "TBW102");
  f.append("d", "4");
  f.append("e", std::to_string(queue_id));
  f.append("f", "0");
  f.append("g", std::to_string(clock_.wall_ms()));
  f.append("h", "0");
  f.append("i", out.properties);
  f.append("j", "0");
  f.append("k", "false");
  f.append("l", "16");
  if (out.batch) f.append("m", "true");
  req.body = common::Buffer(out.body);
  return req;
}

Result<std::pair<QueueRef, std::string>> Producer::pick(const Message& msg, const Selector& sel,
                                                        const std::string& avoid_broker,
                                                        bool refresh,
                                                        std::shared_ptr<const TopicRoute> route) {
  std::vector<QueueRef> queues;
  auto found =
      route ? Result<std::shared_ptr<const TopicRoute>>(route) : routes_.get(msg.topic, refresh);
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
  size_t idx = 0;
  if (sel) {
    idx = sel(msg, queues.size()) % queues.size();
  } else if (options_.send_latency_fault_enable) {
    idx = faults_.select(queues, round_robin_.fetch_add(1), avoid_broker);
  } else {
    idx = static_cast<size_t>(round_robin_.fetch_add(1) % queues.size());
    // After a failure, prefer a queue of another broker (as the Java client does).
    if (!avoid_broker.empty()) {
      for (size_t k = 0; k < queues.size(); ++k) {
        const auto& q = queues[(idx + k) % queues.size()];
        if (q.broker_name != avoid_broker) {
          idx = (idx + k) % queues.size();
          break;
        }
      }
    }
  }
  const QueueRef& q = queues[idx];
  return std::make_pair(q, route->master_addr(q.broker_name));
}

Result<SendResult> Producer::interpret(const Result<RemotingCommand>& r, const QueueRef& q,
                                       const std::string& addr, const Outgoing& out, bool* retry,
                                       bool* refresh) const {
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
  s.uniq_key = out.uniq;
  s.broker_name = q.broker_name;
  s.broker_addr = addr;
  s.queue_id = static_cast<int32_t>(r->ext_int("queueId").value_or(q.queue_id));
  s.queue_offset = r->ext_int("queueOffset").value_or(-1);
  s.raft_term = r->ext_int("raftTerm").value_or(0);
  s.raft_index = r->ext_int("raftIndex").value_or(0);
  s.durability = r->ext("durability") ? *r->ext("durability") : "";
  if (out.batch) {
    s.msg_ids = split_commas(s.msg_id);
    s.uniq_keys = out.uniq_keys;
  }
  return s;
}

void Producer::note_attempt(const std::string& broker, common::TimePoint started, bool ok,
                            bool retryable_failure) {
  if (!options_.send_latency_fault_enable) return;
  // Transport errors and retryable codes isolate the broker (Java's isolation=true); an answer
  // that another broker would give too (a bad message) counts by its latency only.
  faults_.update(broker, clock_.now() - started, !ok && retryable_failure);
}

Result<SendResult> Producer::send_to(const Message& msg, const QueueRef& queue) {
  RMQ_ASSIGN_OR_RETURN(auto route, routes_.get(msg.topic));
  const std::string addr = route->master_addr(queue.broker_name);
  if (addr.empty()) return Status::unavailable("broker " + queue.broker_name + " has no leader");
  Outgoing out;
  prepare(msg, &out);
  auto r = client_.invoke_sync(addr, build(out, queue.queue_id), options_.timeout);
  bool retry = false;
  bool refresh = false;
  return interpret(r, queue, addr, out, &retry, &refresh);
}

Result<SendResult> Producer::send(const Message& msg, const Selector& selector) {
  Outgoing out;
  prepare(msg, &out);
  return send_sync(msg, out, selector);
}

Result<SendResult> Producer::send_batch(const std::vector<Message>& msgs) {
  Outgoing out;
  RMQ_RETURN_IF_ERROR(prepare_batch(msgs, &out));
  Message head;
  head.topic = out.topic;
  return send_sync(head, out, nullptr);
}

Result<SendResult> Producer::send_sync(const Message& msg, const Outgoing& out,
                                       const Selector& selector) {
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
    const common::TimePoint started = clock_.now();
    auto r = client_.invoke_sync(addr, build(out, q.queue_id), options_.timeout);
    bool retry = false;
    auto res = interpret(r, q, addr, out, &retry, &refresh);
    note_attempt(q.broker_name, started, res.ok(), retry);
    if (res.ok()) {
      res->attempts = attempt + 1;
      return res;
    }
    errors += (errors.empty() ? "" : "; ") + std::string(res.status().message());
    if (!retry || attempt == options_.retries) {
      // Out of attempts: the next send asks the NameServer again (the broker may have been
      // deposed or paused; without retries the route would otherwise wait for the 30 s refresh).
      if (refresh) routes_.mark_stale(msg.topic);
      break;
    }
    last_broker = q.broker_name;
    if (refresh) std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
  }
  return Status::unavailable("send to topic " + msg.topic + " failed: " + errors);
}

void Producer::send_async(const Message& msg, SendCallback cb, const Selector& selector) {
  auto a = std::make_shared<Attempt>();
  a->msg = msg;
  prepare(a->msg, &a->out);  // the body views a->msg.body
  a->selector = selector;
  a->cb = std::move(cb);
  start_async(std::move(a));
}

void Producer::send_batch_async(const std::vector<Message>& msgs, SendCallback cb) {
  auto a = std::make_shared<Attempt>();
  if (Status st = prepare_batch(msgs, &a->out); !st.is_ok()) {
    cb(st);
    return;
  }
  a->msg.topic = a->out.topic;
  a->cb = std::move(cb);
  start_async(std::move(a));
}

void Producer::start_async(std::shared_ptr<Attempt> a) {
  if (!retry_pool_) {
    a->cb(Status::unavailable("the producer is not started"));
    return;
  }
  attempt_async(std::move(a), /*may_block=*/false);
}

void Producer::attempt_async(std::shared_ptr<Attempt> a, bool may_block) {
  std::shared_ptr<const TopicRoute> route;
  if (!may_block) {
    // The caller may be an I/O thread (a send issued from a send's callback): a synchronous
    // NameServer call there would stall every connection of that thread, so a route that must be
    // fetched first is fetched on the retry thread.
    bool stale = true;
    route = routes_.cached(a->msg.topic, &stale);
    if (route == nullptr || stale || a->refresh) {
      if (!retry_pool_->submit([this, a] { attempt_async(a, true); })) {
        a->cb(Status::busy("send retry queue full"));
      }
      return;
    }
  }
  auto picked = pick(a->msg, a->selector, a->last_broker, a->refresh, route);
  if (!picked.ok()) {
    a->cb(picked.status());
    return;
  }
  const QueueRef q = picked->first;
  const std::string addr = picked->second;
  auto req = build(a->out, q.queue_id);
  a->started = clock_.now();
  client_.invoke_async(
      addr, std::move(req), options_.timeout, [this, a, q, addr](Result<RemotingCommand> r) {
        bool retry = false;
        bool refresh = false;
        auto res = interpret(r, q, addr, a->out, &retry, &refresh);
        note_attempt(q.broker_name, a->started, res.ok(), retry);
        if (res.ok()) {
          res->attempts = a->attempt + 1;
          a->cb(std::move(res));
          return;
        }
        a->errors += (a->errors.empty() ? "" : "; ") + std::string(res.status().message());
        if (!retry || a->attempt >= options_.retries) {
          if (refresh) routes_.mark_stale(a->msg.topic);  // as in send_sync
          a->cb(Status::unavailable("send to topic " + a->msg.topic + " failed: " + a->errors));
          return;
        }
        ++a->attempt;
        a->last_broker = q.broker_name;
        a->refresh = refresh;
        // Not on this I/O thread: a route refresh is a synchronous call.
        if (!retry_pool_->submit([this, a] { attempt_async(a, true); })) {
          a->cb(Status::busy("send retry queue full"));
        }
      });
}

Status Producer::send_oneway(const Message& msg) {
  RMQ_ASSIGN_OR_RETURN(auto picked, pick(msg, nullptr, "", false));
  Outgoing out;
  prepare(msg, &out);
  return client_.invoke_oneway(picked.second, build(out, picked.first.queue_id));
}

}  // namespace rmq::client
