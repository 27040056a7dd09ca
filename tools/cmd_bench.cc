// raftmq bench: producer or consumer benchmark against --topic, for --duration seconds after
// --warmup seconds, with a progress line every second and one summary line at the end.
//
// --mode=produce (default): --producers threads, each keeping --inflight async sends outstanding
// (one connection pool per producer), --size byte bodies, --batch messages per request
// (SEND_BATCH_MESSAGE when > 1). Each acknowledged send issues the next one from its callback (no
// thread switch per message). Latency: from the send call until the acknowledgement (per request,
// so per batch). Summary:
//   bench: mode=produce topic=T size=1024 inflight=64 producers=1 msgs/s=... MB/s=... p50_us=...
//          p99_us=... p999_us=... errors=...            (batch=N after producers= when N > 1)
// --fresh sends to a new topic (name + timestamp) created through TBW102 auto-creation, or with
// --queues queues.
//
// --mode=consume: a pull consumer (client/pull_consumer.h) with one long-polling pull chain per
// queue of --topic, from the first (--from=first, default) or the next (--from=last) offset;
// each pull is issued from the previous one's callback. Latency: receive time minus the message's
// store timestamp (ms resolution), so a produce run at the same time gives end-to-end latency,
// while reading a backlog gives the messages' age. Summary:
//   bench: mode=consume topic=T size=<avg body> queues=N msgs=... msgs/s=... MB/s=... p50_us=...
//          p99_us=... p999_us=... errors=...
//
// --queues N (> 0): before the run, UPDATE_AND_CREATE_TOPIC with N read and write queues on every
// master of --cluster (as updateTopic), then wait until the NameServer's route shows them.
// Exit 0 when anything was sent (consumed), 1 otherwise, 2 on bad usage.
#include "client/admin.h"
#include "client/producer.h"
#include "client/pull_consumer.h"
#include "common/clock.h"
#include "remoting/client.h"
#include "tools/cli.h"
#include "tools/latency_histogram.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>

DEFINE_int32(size, 1024, "bench: body size in bytes");
DEFINE_int32(inflight, 64, "bench: async sends outstanding per producer");
DEFINE_int32(producers, 1, "bench: producer threads (each with its own connections)");
DEFINE_int32(duration, 10, "bench: measured seconds");
DEFINE_int32(warmup, 2, "bench: seconds before measuring");
DEFINE_bool(fresh, false, "bench: send to a new topic each run (auto-created via TBW102)");
DEFINE_string(mode, "produce", "bench: produce|consume");
DEFINE_int32(queues, 0, "bench: create/update --topic with this many queues first (0: leave it)");
DEFINE_int32(batch, 1, "bench produce: messages per send request (SEND_BATCH_MESSAGE when > 1)");
DECLARE_string(from);
DECLARE_string(cluster);

namespace rmq::tools {
namespace {

using Clock = std::chrono::steady_clock;

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             common::SteadyClock::instance().now().time_since_epoch())
      .count();
}

int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// UPDATE_AND_CREATE_TOPIC with `queues` queues on --cluster, then waits for the route.
int ensure_queues(const std::string& topic, int queues) {
  remoting::ClientOptions co;
  co.endpoint.name = "bench-admin";
  co.endpoint.io_threads = 1;
  remoting::Client client(co, common::SteadyClock::instance());
  client.start();
  client::Admin admin(client, FLAGS_namesrv);
  auto done = admin.update_topic(topic, queues, queues, 6, FLAGS_cluster);
  if (!done.ok()) return fail("bench", "updateTopic: " + done.status().to_string());
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  std::string last = "no route yet";
  while (Clock::now() < deadline) {
    auto route = admin.topic_route(topic);
    if (route.ok() && !route->queue_datas.empty()) {
      bool all = true;
      for (const auto& q : route->queue_datas) {
        all = all && q.read_queue_nums == queues && q.write_queue_nums == queues;
        last = q.broker_name + " has " + std::to_string(q.write_queue_nums) + " queues";
      }
      if (all) {
        std::fprintf(stderr, "raftmq bench: topic %s has %d queues on %zu broker(s)\n",
                     topic.c_str(), queues, route->queue_datas.size());
        client.stop();
        return kExitOk;
      }
    } else if (!route.ok()) {
      last = route.status().to_string();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  client.stop();
  return fail("bench", "the route of " + topic + " does not show " + std::to_string(queues) +
                           " queues: " + last);
}

// Prints the progress lines for --duration seconds; `count` is the measured messages so far.
double run_measured(std::atomic<bool>& measuring, const std::atomic<uint64_t>& count,
                    const std::atomic<uint64_t>& bytes, const std::atomic<uint64_t>& errors,
                    const LatencyHistogram& hist, const std::function<void()>& tick) {
  for (int w = 0; w < FLAGS_warmup * 10; ++w) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (tick) tick();
  }
  measuring.store(true);
  const auto start = Clock::now();
  uint64_t last = 0;
  uint64_t last_bytes = 0;
  for (int s = 1; s <= FLAGS_duration; ++s) {
    const auto mark = start + std::chrono::seconds(s);
    while (Clock::now() < mark) {
      std::this_thread::sleep_until(std::min(mark, Clock::now() + std::chrono::milliseconds(100)));
      if (tick) tick();
    }
    const uint64_t a = count.load();
    const uint64_t b = bytes.load();
    std::printf("[%3ds] msgs/s=%llu MB/s=%.1f p50_us=%llu p99_us=%llu errors=%llu\n", s,
                static_cast<unsigned long long>(a - last),
                static_cast<double>(b - last_bytes) / 1e6,
                static_cast<unsigned long long>(hist.percentile(0.50)),
                static_cast<unsigned long long>(hist.percentile(0.99)),
                static_cast<unsigned long long>(errors.load()));
    std::fflush(stdout);
    last = a;
    last_bytes = b;
  }
  measuring.store(false);
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int bench_produce(const std::string& topic) {
  const std::string body(static_cast<size_t>(FLAGS_size), 'x');
  const int batch = FLAGS_batch;
  LatencyHistogram hist;
  std::atomic<uint64_t> acked{0};
  std::atomic<uint64_t> acked_bytes{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::string first_error;
  std::mutex err_mu;

  auto worker = [&](int id) {
    client::ProducerOptions po;
    po.namesrv = FLAGS_namesrv;
    po.group = "raftmq_bench";
    po.io_threads = 1;
    client::Producer producer(po, common::SteadyClock::instance());
    producer.start();
    std::mutex mu;
    std::condition_variable cv;
    int outstanding = 0;
    client::Message m;
    m.topic = topic;
    m.body = body;
    m.keys = "bench-" + std::to_string(id);
    const std::vector<client::Message> msgs(batch > 1 ? static_cast<size_t>(batch) : 0, m);
    // A successful acknowledgement sends the next message from the callback itself (no thread
    // switch per message); this thread only tops the window up after errors and at the start.
    std::function<void()> send_one = [&] {
      const int64_t t0 = now_us();
      auto on_ack = [&, t0](common::Result<client::SendResult> r) {
        if (r.ok()) {
          if (measuring.load(std::memory_order_relaxed)) {
            hist.record(static_cast<uint64_t>(now_us() - t0));
            acked.fetch_add(static_cast<uint64_t>(batch), std::memory_order_relaxed);
            acked_bytes.fetch_add(static_cast<uint64_t>(batch) * body.size(),
                                  std::memory_order_relaxed);
          }
          if (!stop.load(std::memory_order_relaxed)) return send_one();
        } else {
          errors.fetch_add(1);
          std::lock_guard lock(err_mu);
          if (first_error.empty()) first_error = r.status().to_string();
        }
        std::lock_guard lock(mu);
        --outstanding;
        cv.notify_one();
      };
      if (batch > 1) {
        producer.send_batch_async(msgs, std::move(on_ack));
      } else {
        producer.send_async(m, std::move(on_ack));
      }
    };
    while (!stop.load()) {
      {
        std::unique_lock lock(mu);
        cv.wait_for(lock, std::chrono::milliseconds(100),
                    [&] { return outstanding < FLAGS_inflight || stop.load(); });
        if (stop.load()) break;
        if (outstanding >= FLAGS_inflight) continue;
        ++outstanding;
      }
      send_one();
    }
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return outstanding == 0; });
    lock.unlock();
    producer.shutdown();
  };

  measuring.store(FLAGS_warmup == 0);  // without warmup, the very first acknowledgements count
  std::vector<std::thread> threads;
  for (int i = 0; i < FLAGS_producers; ++i) threads.emplace_back(worker, i);
  const double secs = run_measured(measuring, acked, acked_bytes, errors, hist, nullptr);
  stop.store(true);
  for (auto& t : threads) t.join();
  const double rate = static_cast<double>(acked.load()) / secs;
  if (!first_error.empty())
    std::fprintf(stderr, "raftmq bench: first error: %s\n", first_error.c_str());
  const std::string batch_field = batch > 1 ? " batch=" + std::to_string(batch) : "";
  std::printf(
      "bench: mode=produce topic=%s size=%d inflight=%d producers=%d%s msgs/s=%.0f MB/s=%.1f "
      "p50_us=%llu p99_us=%llu p999_us=%llu errors=%llu\n",
      topic.c_str(), FLAGS_size, FLAGS_inflight, FLAGS_producers, batch_field.c_str(), rate,
      rate * FLAGS_size / 1e6, static_cast<unsigned long long>(hist.percentile(0.50)),
      static_cast<unsigned long long>(hist.percentile(0.99)),
      static_cast<unsigned long long>(hist.percentile(0.999)),
      static_cast<unsigned long long>(errors.load()));
  return acked.load() > 0 ? kExitOk : kExitFailed;
}

int bench_consume(const std::string& topic) {
  client::PullConsumerOptions o;
  o.namesrv = FLAGS_namesrv;
  o.group = FLAGS_group.empty() ? "raftmq_bench_consumer" : FLAGS_group;
  o.io_threads = 1;
  client::PullConsumer consumer(o, common::SteadyClock::instance());
  consumer.start();
  auto queues = consumer.fetch_queues(topic);
  if (!queues.ok()) return fail("bench", queues.status().to_string());
  if (queues->empty()) return fail("bench", "topic " + topic + " has no readable queue");

  // One chain per queue: its offset is only touched by the chain's own (sequential) callbacks.
  struct Chain {
    client::QueueRef q;
    int64_t offset = 0;
    std::atomic<bool> idle{false};  // stopped after an error; the main loop restarts it
  };
  std::vector<Chain> chains(queues->size());
  for (size_t i = 0; i < queues->size(); ++i) {
    chains[i].q = (*queues)[i];
    auto off =
        FLAGS_from == "last" ? consumer.max_offset(chains[i].q) : consumer.min_offset(chains[i].q);
    if (!off.ok()) return fail("bench", off.status().to_string());
    chains[i].offset = *off;
  }

  LatencyHistogram hist;
  std::atomic<uint64_t> consumed{0};
  std::atomic<uint64_t> consumed_bytes{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::string first_error;
  std::mutex err_mu;

  std::function<void(size_t)> pull = [&](size_t i) {
    Chain& c = chains[i];
    consumer.pull_async(c.q, c.offset, 32, "*", /*block=*/true,
                        [&, i](common::Result<client::PullResult> r) {
                          Chain& ch = chains[i];
                          if (stop.load(std::memory_order_relaxed)) return;
                          if (!r.ok()) {
                            errors.fetch_add(1);
                            {
                              std::lock_guard lock(err_mu);
                              if (first_error.empty()) first_error = r.status().to_string();
                            }
                            ch.idle.store(true);
                            return;
                          }
                          if (measuring.load(std::memory_order_relaxed) && !r->messages.empty()) {
                            const int64_t now = wall_us();
                            uint64_t bytes = 0;
                            for (const auto& m : r->messages) {
                              const int64_t lat = now - m.store_timestamp * 1000;
                              hist.record(static_cast<uint64_t>(lat > 0 ? lat : 0));
                              bytes += m.body.size();
                            }
                            consumed.fetch_add(r->messages.size(), std::memory_order_relaxed);
                            consumed_bytes.fetch_add(bytes, std::memory_order_relaxed);
                          }
                          ch.offset = r->next_begin_offset;
                          pull(i);
                        });
  };
  measuring.store(FLAGS_warmup == 0);  // without warmup, the very first messages count
  for (size_t i = 0; i < chains.size(); ++i) pull(i);
  // Restarts chains that stopped after an error (at most every 100 ms, not on the I/O thread).
  auto tick = [&] {
    for (size_t i = 0; i < chains.size(); ++i) {
      if (chains[i].idle.exchange(false)) pull(i);
    }
  };
  const double secs = run_measured(measuring, consumed, consumed_bytes, errors, hist, tick);
  stop.store(true);
  consumer.shutdown();  // fails the held pulls; their callbacks see `stop`
  const uint64_t n = consumed.load();
  const double rate = static_cast<double>(n) / secs;
  const double mbps = static_cast<double>(consumed_bytes.load()) / secs / 1e6;
  if (!first_error.empty())
    std::fprintf(stderr, "raftmq bench: first error: %s\n", first_error.c_str());
  std::printf(
      "bench: mode=consume topic=%s size=%llu queues=%zu msgs=%llu msgs/s=%.0f MB/s=%.1f "
      "p50_us=%llu p99_us=%llu p999_us=%llu errors=%llu\n",
      topic.c_str(), static_cast<unsigned long long>(n > 0 ? consumed_bytes.load() / n : 0),
      chains.size(), static_cast<unsigned long long>(n), rate, mbps,
      static_cast<unsigned long long>(hist.percentile(0.50)),
      static_cast<unsigned long long>(hist.percentile(0.99)),
      static_cast<unsigned long long>(hist.percentile(0.999)),
      static_cast<unsigned long long>(errors.load()));
  return n > 0 ? kExitOk : kExitFailed;
}

int bench(const std::vector<std::string>&) {
  const bool produce = FLAGS_mode == "produce";
  if (!produce && FLAGS_mode != "consume") {
    std::fprintf(stderr, "raftmq bench: --mode must be produce or consume\n");
    return kExitUsage;
  }
  std::string topic = FLAGS_topic.empty() ? "BenchTopic" : FLAGS_topic;
  if (FLAGS_fresh) {
    if (!produce) {
      std::fprintf(stderr, "raftmq bench: --fresh is for --mode=produce\n");
      return kExitUsage;
    }
    topic += "-" + std::to_string(common::SteadyClock::instance().wall_ms());
  }
  if (FLAGS_size < 1 || FLAGS_inflight < 1 || FLAGS_producers < 1 || FLAGS_duration < 1 ||
      FLAGS_batch < 1 || FLAGS_queues < 0 || FLAGS_warmup < 0) {
    return fail("bench",
                "--size, --inflight, --producers, --duration and --batch must be positive, "
                "--queues and --warmup not negative");
  }
  if (!produce && FLAGS_from != "first" && FLAGS_from != "last") {
    std::fprintf(stderr, "raftmq bench: --from must be first or last\n");
    return kExitUsage;
  }
  if (FLAGS_queues > 0) {
    if (int rc = ensure_queues(topic, FLAGS_queues); rc != kExitOk) return rc;
  }
  return produce ? bench_produce(topic) : bench_consume(topic);
}

const Register kBench("bench",
                      "produce or consume benchmark (--mode, --size, --inflight, --producers, "
                      "--batch, --queues, --duration, --from)",
                      bench);

}  // namespace
}  // namespace rmq::tools
