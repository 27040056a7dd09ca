// raftmq-jepsen-workload: the client side of the jepsen/ harness, built on the product's client
// library (client/producer.h, route cache, remoting client). It never retries: every send is one
// attempt, so a value seen twice is a broker bug, not a client retry. Output is JSON lines that
// jepsen/checker.py reads; nothing here judges the results.
//
//   run     producers (one thread each, sequential sends to the queues in turn, unique values
//           "p<producer>-<seq>"), one consumer per queue pulling from the leader throughout, and
//           a sampler per node (RAFT_STATUS every --sample_ms). Stops on SIGTERM/SIGINT after the
//           sends in flight have finished.
//   drain   reads every queue from offset 0 to its end from ONE broker address (a follower
//           serves committed data), one line per message.
//   status  RAFT_STATUS of each node once, one line each.
//
// --ha (classic master/slave, jepsen/README.md "The ha profile"): the sampler and `status` ask
// HA_STATUS (20012) and the runtime info instead of RAFT_STATUS. A SYNC_MASTER's
// SLAVE_NOT_AVAILABLE (11) / FLUSH_SLAVE_TIMEOUT (12) answers are recorded as "info" with their
// code: the broker stored the message but does not know a slave holds it.
//
// History lines (run): {"type":"invoke|ok|fail|info","f":"send|read","process":..,"queue":..,
// "value":..,"offset":..,"term":..,"index":..,"node":"host:port","time":<wall ms>,...}. A failed
// send is "fail" only when the broker certainly did not store it (refused before proposing, or the
// connection never opened); timeouts and lost connections are "info" (indeterminate).
#include "client/admin.h"
#include "client/message_codec.h"
#include "client/producer.h"
#include "client/route.h"
#include "common/clock.h"
#include "common/json.h"
#include "remoting/client.h"
#include "remoting/remoting_command.h"
#include "remoting/request_code.h"

#include <gflags/gflags.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

DEFINE_string(namesrv, "127.0.0.1:9876", "NameServer address(es)");
DEFINE_string(topic, "jepsen", "topic");
DEFINE_string(broker_name, "RaftNode00", "broker group name");
DEFINE_string(cluster, "RaftCluster", "cluster name (topic creation)");
DEFINE_int32(queues, 4, "queues of the topic");
DEFINE_int32(producers, 4, "run: producer threads");
DEFINE_double(rate, 20, "run: sends per second per producer (0: as fast as acks come)");
DEFINE_int32(pad, 256, "run: padding bytes appended to each body after the value");
DEFINE_int32(send_timeout_ms, 3000, "run: send timeout (then the send is recorded as info)");
DEFINE_bool(consumers, true, "run: one pulling consumer per queue");
DEFINE_string(history, "", "run: history file (JSON lines), appended");
DEFINE_string(samples, "", "run: samples file (JSON lines), appended");
DEFINE_string(nodes, "", "run/status: n1=host:port,n2=host:port,... (sampler targets)");
DEFINE_int32(sample_ms, 200, "run: sampling period per node");
DEFINE_string(addr, "", "drain: the broker to read from");
DEFINE_string(node, "", "drain: node id written with each line");
DEFINE_string(out, "", "drain/status: output file (default stdout)");
DEFINE_bool(ha, false, "run/status: classic master/slave: sample HA_STATUS, not RAFT_STATUS");

namespace rmq::jepsen {
namespace {

using common::Json;
using common::Result;
using common::Status;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

int64_t wall_ms() { return common::SteadyClock::instance().wall_ms(); }
common::TimePoint mono_now() { return common::SteadyClock::instance().now(); }

// One JSON line per call, whole lines only (several threads write).
class LineWriter {
 public:
  explicit LineWriter(const std::string& path) {
    f_ = path.empty() ? stdout : std::fopen(path.c_str(), "a");
    if (f_ == nullptr) {
      std::fprintf(stderr, "cannot open %s\n", path.c_str());
      std::exit(2);
    }
  }
  ~LineWriter() {
    if (f_ != nullptr && f_ != stdout) std::fclose(f_);
  }
  void write(const Json& j) {
    const std::string s = j.dump();
    std::lock_guard lock(mu_);
    std::fwrite(s.data(), 1, s.size(), f_);
    std::fputc('\n', f_);
    std::fflush(f_);
  }

 private:
  std::mutex mu_;
  std::FILE* f_;
};

std::vector<std::pair<std::string, std::string>> parse_nodes(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    const size_t eq = part.find('=');
    if (eq != std::string::npos) out.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    start = end + 1;
  }
  return out;
}

remoting::ClientOptions client_options(const char* name) {
  remoting::ClientOptions o;
  o.endpoint.name = name;
  o.endpoint.io_threads = 1;
  o.endpoint.sync_spin_iterations = 0;  // 2 cores shared with three brokers: never spin
  o.connect_timeout = std::chrono::seconds(2);
  return o;
}

// The response code a broker answered a send with ("broker X answered code N: remark"), or -1
// when it did not answer (timeout, connection, route).
int answered_code(const Status& st) {
  const std::string m(st.message());
  const auto at = m.find("answered code ");
  return at == std::string::npos ? -1 : std::atoi(m.c_str() + at + 14);
}

// "fail" when the broker certainly did not store the message, else "info".
std::string classify(const Status& st) {
  const std::string m(st.message());
  const auto at = m.find("answered code ");
  if (at != std::string::npos) {
    const int code = answered_code(st);
    const auto colon = m.find(": ", at);
    const std::string remark = colon == std::string::npos ? "" : m.substr(colon + 2);
    switch (code) {
      case 14:  // refused by the writable check (before proposing), or disk full, or a slave
        return remark.rfind("not the leader", 0) == 0 || remark.rfind("leader not ready", 0) == 0 ||
                       remark.rfind("disk full", 0) == 0 ||
                       remark.rfind("the broker is a slave", 0) == 0
                   ? "fail"
                   : "info";  // "leadership lost before commit; the entry may still be committed"
      case 11:  // SLAVE_NOT_AVAILABLE (SYNC_MASTER): stored on the master, not replicated
      case 12:  // FLUSH_SLAVE_TIMEOUT: stored on the master, no slave report in syncFlushTimeout
        return "info";
      case 2:   // SYSTEM_BUSY: the executor refused it
      case 13:  // MESSAGE_ILLEGAL
      case 16:  // NO_PERMISSION
      case 17:  // TOPIC_NOT_EXIST
        return "fail";
      default:
        return "info";
    }
  }
  // Never sent: no route, no leader in the route, or the connection never opened.
  if (m.find("connect to ") != std::string::npos || m.find("no NameServer answered") == 0 ||
      m.find("has no leader") != std::string::npos || m.find("has no route") != std::string::npos) {
    return "fail";
  }
  return "info";  // timeout, connection lost after the request went out, ...
}

// ---- run --------------------------------------------------------------------------------------

Status ensure_topic(remoting::Client& client) {
  client::Admin admin(client, FLAGS_namesrv);
  Status last = Status::ok();
  for (int attempt = 0; attempt < 150 && !g_stop.load(); ++attempt) {
    auto route = admin.topic_route(FLAGS_topic);
    if (route.ok()) {
      auto parsed = client::RouteCache(client, FLAGS_namesrv, common::SteadyClock::instance())
                        .get(FLAGS_topic, true);
      if (parsed.ok() && static_cast<int>((*parsed)->publish_queues().size()) >= FLAGS_queues) {
        return Status::ok();
      }
    }
    auto r = admin.update_topic(FLAGS_topic, FLAGS_queues, FLAGS_queues, 6, FLAGS_cluster);
    if (!r.ok()) last = r.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Status::unavailable("topic " + FLAGS_topic + " not created: " + last.to_string());
}

void producer_loop(int p, client::Producer& producer, LineWriter& out) {
  const std::string process = "p" + std::to_string(p);
  const auto period = FLAGS_rate > 0
                          ? std::chrono::microseconds(static_cast<int64_t>(1e6 / FLAGS_rate))
                          : std::chrono::microseconds(0);
  auto next = mono_now();
  for (int64_t seq = 0; !g_stop.load(); ++seq) {
    const int32_t queue = static_cast<int32_t>((p + seq) % FLAGS_queues);
    const std::string value = process + "-" + std::to_string(seq);
    client::Message msg;
    msg.topic = FLAGS_topic;
    msg.keys = value;
    msg.body = value + " " + std::string(static_cast<size_t>(FLAGS_pad), 'x');
    Json inv = Json::object();
    inv.set("type", Json::string("invoke"));
    inv.set("f", Json::string("send"));
    inv.set("process", Json::string(process));
    inv.set("queue", Json::number(queue));
    inv.set("value", Json::string(value));
    inv.set("time", Json::number(wall_ms()));
    out.write(inv);
    const auto t0 = mono_now();
    auto r = producer.send_to(msg, client::QueueRef{FLAGS_topic, FLAGS_broker_name, queue});
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(mono_now() - t0).count();
    Json res = Json::object();
    res.set("f", Json::string("send"));
    res.set("process", Json::string(process));
    res.set("queue", Json::number(queue));
    res.set("value", Json::string(value));
    if (r.ok()) {
      res.set("type", Json::string("ok"));
      res.set("offset", Json::number(r->queue_offset));
      res.set("term", Json::number(r->raft_term));
      res.set("index", Json::number(r->raft_index));
      res.set("node", Json::string(r->broker_addr));
    } else {
      const std::string kind = classify(r.status());
      res.set("type", Json::string(kind));
      res.set("error", Json::string(std::string(r.status().message())));
      if (const int code = answered_code(r.status()); code >= 0) {
        res.set("code", Json::number(code));
      }
      // The leader may have moved: look the route up again before the next send.
      producer.routes().mark_stale(FLAGS_topic);
    }
    res.set("latency_ms", Json::number(ms));
    res.set("time", Json::number(wall_ms()));
    out.write(res);
    if (!r.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    next += period;
    const auto now = mono_now();
    if (next < now) next = now;
    std::this_thread::sleep_until(next);
  }
}

struct PullReply {
  int code = -1;
  int64_t next = 0;
  int64_t max = 0;
  std::vector<client::MessageExt> messages;
};

Result<PullReply> pull_once(remoting::Client& client, const std::string& addr, int32_t queue,
                            int64_t offset, bool block) {
  auto req = remoting::RemotingCommand::request(remoting::RequestCode::kPullMessage);
  req.ext_fields.set("consumerGroup", "jepsen_consumer");
  req.ext_fields.set("topic", FLAGS_topic);
  req.ext_fields.set("queueId", queue);
  req.ext_fields.set("queueOffset", offset);
  req.ext_fields.set("maxMsgNums", 32);
  req.ext_fields.set("sysFlag", 4 | (block ? 2 : 0));  // subscription (| suspend)
  req.ext_fields.set("commitOffset", 0);
  req.ext_fields.set("suspendTimeoutMillis", 1000);
  req.ext_fields.set("subscription", "*");
  req.ext_fields.set("subVersion", 0);
  RMQ_ASSIGN_OR_RETURN(auto resp,
                       client.invoke_sync(addr, std::move(req), std::chrono::seconds(3)));
  PullReply out;
  out.code = resp.code;
  if (resp.code != 0 && resp.code != 19 && resp.code != 20 && resp.code != 21) {
    return Status::unavailable("pull answered code " + std::to_string(resp.code) + ": " +
                               resp.remark.value_or(""));
  }
  out.next = resp.ext_int("nextBeginOffset").value_or(offset);
  out.max = resp.ext_int("maxOffset").value_or(0);
  if (resp.code == 0) {
    RMQ_ASSIGN_OR_RETURN(out.messages, client::decode_stored_messages(resp.body.view()));
  }
  return out;
}

std::string value_of(const client::MessageExt& m) {
  const auto sp = m.body.find(' ');
  return sp == std::string::npos ? m.body : m.body.substr(0, sp);
}

void consumer_loop(int32_t queue, LineWriter& out) {
  remoting::Client client(client_options("jc"), common::SteadyClock::instance());
  client.start();
  client::RouteCache routes(client, FLAGS_namesrv, common::SteadyClock::instance());
  const std::string process = "c" + std::to_string(queue);
  int64_t offset = 0;
  while (!g_stop.load()) {
    auto route = routes.get(FLAGS_topic);
    const std::string addr = route.ok() ? (*route)->master_addr(FLAGS_broker_name) : "";
    if (addr.empty()) {
      routes.mark_stale(FLAGS_topic);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      continue;
    }
    auto r = pull_once(client, addr, queue, offset, /*block=*/true);
    if (!r.ok()) {
      Json e = Json::object();
      e.set("type", Json::string("info"));
      e.set("f", Json::string("read"));
      e.set("process", Json::string(process));
      e.set("queue", Json::number(queue));
      e.set("node", Json::string(addr));
      e.set("error", Json::string(std::string(r.status().message())));
      e.set("time", Json::number(wall_ms()));
      out.write(e);
      routes.mark_stale(FLAGS_topic);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    for (const auto& m : r->messages) {
      Json j = Json::object();
      j.set("type", Json::string("ok"));
      j.set("f", Json::string("read"));
      j.set("process", Json::string(process));
      j.set("queue", Json::number(queue));
      j.set("offset", Json::number(m.queue_offset));
      j.set("value", Json::string(value_of(m)));
      j.set("node", Json::string(addr));
      j.set("time", Json::number(wall_ms()));
      out.write(j);
    }
    if (r->next != offset &&
        (r->code != 0 || r->messages.empty() || r->next != r->messages.back().queue_offset + 1)) {
      // The broker moved us somewhere other than just past what it returned.
      Json j = Json::object();
      j.set("type", Json::string("info"));
      j.set("f", Json::string("read-move"));
      j.set("process", Json::string(process));
      j.set("queue", Json::number(queue));
      j.set("from", Json::number(offset));
      j.set("to", Json::number(r->next));
      j.set("code", Json::number(r->code));
      j.set("node", Json::string(addr));
      j.set("time", Json::number(wall_ms()));
      out.write(j);
    }
    offset = r->next;
  }
  client.stop();
}

// Classic master/slave: HA_STATUS. A master: its log end, the offset some slave acknowledged,
// how many slaves stream and the largest lag; a slave: connected, lag, truncations.
void ha_sample(client::Admin& admin, const std::string& addr, Json& j) {
  auto st = admin.ha_status(addr);
  if (!st.ok()) {
    j.set("error", Json::string(std::string(st.status().message())));
    return;
  }
  j.set("role", Json::string(st->get_string("role")));
  j.set("max", Json::number(st->get_int("maxOffset")));
  j.set("flushed", Json::number(st->get_int("flushedOffset")));
  if (const Json* slaves = st->find("slaves"); slaves != nullptr && slaves->is_array()) {
    int64_t lag = -1;
    for (const auto& s : slaves->items()) lag = std::max(lag, s.get_int("lagBytes"));
    j.set("acked", Json::number(st->get_int("ackedOffset")));
    j.set("slaves", Json::number(static_cast<int64_t>(slaves->items().size())));
    j.set("lag", Json::number(lag));
    j.set("waiting", Json::number(st->get_int("waitingAppends")));
  } else {
    j.set("connected", Json::boolean(st->get_bool("connected")));
    j.set("lag", Json::number(st->get_int("lagBytes", -1)));
    j.set("truncations", Json::number(st->get_int("truncations")));
  }
}

void sampler_loop(std::string node, std::string addr, LineWriter& out) {
  remoting::Client client(client_options("js"), common::SteadyClock::instance());
  client.start();
  client::AdminOptions ao;
  ao.timeout = std::chrono::milliseconds(std::max(100, FLAGS_sample_ms * 3));
  client::Admin admin(client, FLAGS_namesrv, ao);
  const auto period = std::chrono::milliseconds(FLAGS_sample_ms);
  auto next = mono_now();
  while (!g_stop.load()) {
    Json j = Json::object();
    j.set("type", Json::string("sample"));
    j.set("node", Json::string(node));
    j.set("time", Json::number(wall_ms()));
    if (FLAGS_ha) {
      ha_sample(admin, addr, j);
      out.write(j);
      next += period;
      const auto now = mono_now();
      if (next < now) next = now;
      std::this_thread::sleep_until(next);
      continue;
    }
    auto st = admin.raft_status(addr);
    if (st.ok()) {
      j.set("role", Json::string(st->get_string("role")));
      j.set("term", Json::number(st->get_int("term")));
      j.set("commit", Json::number(st->get_int("commitIndex")));
      j.set("last", Json::number(st->get_int("lastIndex")));
      j.set("leader", Json::string(st->get_string("leaderId")));
      j.set("serving", Json::boolean(st->get_bool("serving")));
      j.set("writable", Json::boolean(st->get_bool("writable")));
      j.set("dispatch_behind", Json::number(st->get_int("dispatchBehindBytes")));
    } else {
      j.set("error", Json::string(std::string(st.status().message())));
    }
    out.write(j);
    next += period;
    const auto now = mono_now();
    if (next < now) next = now;
    std::this_thread::sleep_until(next);
  }
  client.stop();
}

int run() {
  if (FLAGS_history.empty()) {
    std::fprintf(stderr, "run: --history is required\n");
    return 2;
  }
  LineWriter history(FLAGS_history);
  std::unique_ptr<LineWriter> samples;
  std::vector<std::thread> threads;
  if (!FLAGS_nodes.empty()) {
    samples = std::make_unique<LineWriter>(FLAGS_samples.empty() ? FLAGS_history : FLAGS_samples);
    for (const auto& [node, addr] : parse_nodes(FLAGS_nodes)) {
      threads.emplace_back(sampler_loop, node, addr, std::ref(*samples));
    }
  }
  {
    remoting::Client admin_client(client_options("ja"), common::SteadyClock::instance());
    admin_client.start();
    Status st = ensure_topic(admin_client);
    admin_client.stop();
    if (!st.is_ok()) {
      std::fprintf(stderr, "run: %s\n", st.to_string().c_str());
      g_stop.store(true);
      for (auto& t : threads) t.join();
      return 1;
    }
  }
  Json start = Json::object();
  start.set("type", Json::string("workload-start"));
  start.set("time", Json::number(wall_ms()));
  history.write(start);
  std::fprintf(stderr, "workload: topic %s ready, %d producer(s)\n", FLAGS_topic.c_str(),
               FLAGS_producers);

  client::ProducerOptions po;
  po.namesrv = FLAGS_namesrv;
  po.group = "jepsen_producer";
  po.retries = 0;  // never retried: a duplicate is the broker's
  po.timeout = std::chrono::milliseconds(FLAGS_send_timeout_ms);
  po.io_threads = 1;
  client::Producer producer(po, common::SteadyClock::instance());
  producer.start();
  if (FLAGS_consumers) {
    for (int32_t q = 0; q < FLAGS_queues; ++q) {
      threads.emplace_back(consumer_loop, q, std::ref(history));
    }
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < FLAGS_producers; ++p) {
    producers.emplace_back(producer_loop, p, std::ref(producer), std::ref(history));
  }
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (auto& t : producers) t.join();
  producer.shutdown();
  for (auto& t : threads) t.join();
  Json end = Json::object();
  end.set("type", Json::string("workload-end"));
  end.set("time", Json::number(wall_ms()));
  history.write(end);
  return 0;
}

// ---- drain / status ---------------------------------------------------------------------------

int drain() {
  if (FLAGS_addr.empty()) {
    std::fprintf(stderr, "drain: --addr is required\n");
    return 2;
  }
  LineWriter out(FLAGS_out);
  remoting::Client client(client_options("jd"), common::SteadyClock::instance());
  client.start();
  int rc = 0;
  for (int32_t q = 0; q < FLAGS_queues; ++q) {
    int64_t offset = 0;
    int64_t count = 0;
    int errors = 0;
    std::string error;
    while (true) {
      auto r = pull_once(client, FLAGS_addr, q, offset, /*block=*/false);
      if (!r.ok()) {
        if (++errors < 5) {
          std::this_thread::sleep_for(std::chrono::milliseconds(300));
          continue;
        }
        error = std::string(r.status().message());
        rc = 1;
        break;
      }
      errors = 0;
      for (const auto& m : r->messages) {
        Json j = Json::object();
        j.set("type", Json::string("drain"));
        j.set("node", Json::string(FLAGS_node));
        j.set("queue", Json::number(q));
        j.set("offset", Json::number(m.queue_offset));
        j.set("value", Json::string(value_of(m)));
        out.write(j);
        ++count;
      }
      if (r->code == 19 || r->code == 21 || r->next <= offset) {
        if (r->code == 21) error = "offset moved to " + std::to_string(r->next);
        offset = std::max(offset, r->next);
        break;
      }
      offset = r->next;
    }
    Json j = Json::object();
    j.set("type", Json::string("drain-end"));
    j.set("node", Json::string(FLAGS_node));
    j.set("queue", Json::number(q));
    j.set("end", Json::number(offset));
    j.set("count", Json::number(count));
    if (!error.empty()) j.set("error", Json::string(error));
    out.write(j);
  }
  client.stop();
  return rc;
}

int status() {
  LineWriter out(FLAGS_out);
  remoting::Client client(client_options("jst"), common::SteadyClock::instance());
  client.start();
  client::AdminOptions ao;
  ao.timeout = std::chrono::seconds(1);
  client::Admin admin(client, FLAGS_namesrv, ao);
  for (const auto& [node, addr] : parse_nodes(FLAGS_nodes)) {
    auto st = FLAGS_ha ? admin.ha_status(addr) : admin.raft_status(addr);
    Json j = st.ok() ? *st : Json::object();
    if (FLAGS_ha && st.ok()) {
      // How far the broker's dispatcher (consume queues) is behind its commit log.
      auto info = admin.broker_runtime_info(addr);
      if (info.ok() && info->count("dispatchBehindBytes") != 0) {
        j.set("dispatchBehindBytes",
              Json::number(std::strtoll(info->at("dispatchBehindBytes").c_str(), nullptr, 10)));
      }
    }
    j.set("node", Json::string(node));
    j.set("addr", Json::string(addr));
    if (!st.ok()) j.set("error", Json::string(std::string(st.status().message())));
    j.set("timeline", Json::null());
    out.write(j);
  }
  client.stop();
  return 0;
}

}  // namespace
}  // namespace rmq::jepsen

int main(int argc, char** argv) {
  gflags::SetUsageMessage("raftmq-jepsen-workload run|drain|status [flags]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  std::signal(SIGTERM, rmq::jepsen::on_signal);
  std::signal(SIGINT, rmq::jepsen::on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "run") return rmq::jepsen::run();
  if (mode == "drain") return rmq::jepsen::drain();
  if (mode == "status") return rmq::jepsen::status();
  std::fprintf(stderr, "usage: raftmq-jepsen-workload run|drain|status [flags] (--help)\n");
  return 2;
}
