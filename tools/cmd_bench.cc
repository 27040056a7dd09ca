// raftmq bench: producer benchmark. --producers threads, each keeping --inflight async sends
// outstanding (one connection pool per producer), --size byte bodies, for --duration seconds after
// --warmup seconds; latency is measured from the send call until the acknowledgement. A progress
// line every second, then one summary line:
//   bench: mode=produce size=1024 inflight=64 producers=1 msgs/s=... MB/s=... p50_us=...
//          p99_us=... p999_us=... errors=...
// --fresh sends to a new topic (name + timestamp) created through TBW102 auto-creation.
#include "client/producer.h"
#include "common/clock.h"
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

namespace rmq::tools {
namespace {

using Clock = std::chrono::steady_clock;

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             common::SteadyClock::instance().now().time_since_epoch())
      .count();
}

int bench(const std::vector<std::string>&) {
  std::string topic = FLAGS_topic.empty() ? "BenchTopic" : FLAGS_topic;
  if (FLAGS_fresh) topic += "-" + std::to_string(common::SteadyClock::instance().wall_ms());
  if (FLAGS_size < 1 || FLAGS_inflight < 1 || FLAGS_producers < 1 || FLAGS_duration < 1) {
    return fail("bench", "--size, --inflight, --producers and --duration must be positive");
  }
  const std::string body(static_cast<size_t>(FLAGS_size), 'x');
  LatencyHistogram hist;
  std::atomic<uint64_t> acked{0};
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
    // A successful acknowledgement sends the next message from the callback itself (no thread
    // switch per message); this thread only tops the window up after errors and at the start.
    std::function<void()> send_one = [&] {
      const int64_t t0 = now_us();
      producer.send_async(m, [&, t0](common::Result<client::SendResult> r) {
        if (r.ok()) {
          if (measuring.load(std::memory_order_relaxed)) {
            hist.record(static_cast<uint64_t>(now_us() - t0));
            acked.fetch_add(1, std::memory_order_relaxed);
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
      });
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

  std::vector<std::thread> threads;
  for (int i = 0; i < FLAGS_producers; ++i) threads.emplace_back(worker, i);
  std::this_thread::sleep_for(std::chrono::seconds(FLAGS_warmup));
  measuring.store(true);
  const auto start = Clock::now();
  uint64_t last = 0;
  for (int s = 1; s <= FLAGS_duration; ++s) {
    std::this_thread::sleep_until(start + std::chrono::seconds(s));
    const uint64_t a = acked.load();
    std::printf("[%3ds] msgs/s=%llu MB/s=%.1f p50_us=%llu p99_us=%llu errors=%llu\n", s,
                static_cast<unsigned long long>(a - last),
                static_cast<double>(a - last) * FLAGS_size / 1e6,
                static_cast<unsigned long long>(hist.percentile(0.50)),
                static_cast<unsigned long long>(hist.percentile(0.99)),
                static_cast<unsigned long long>(errors.load()));
    std::fflush(stdout);
    last = a;
  }
  measuring.store(false);
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  stop.store(true);
  for (auto& t : threads) t.join();
  const double rate = static_cast<double>(acked.load()) / secs;
  if (!first_error.empty())
    std::fprintf(stderr, "raftmq bench: first error: %s\n", first_error.c_str());
  std::printf(
      "bench: mode=produce topic=%s size=%d inflight=%d producers=%d msgs/s=%.0f MB/s=%.1f "
      "p50_us=%llu p99_us=%llu p999_us=%llu errors=%llu\n",
      topic.c_str(), FLAGS_size, FLAGS_inflight, FLAGS_producers, rate, rate * FLAGS_size / 1e6,
      static_cast<unsigned long long>(hist.percentile(0.50)),
      static_cast<unsigned long long>(hist.percentile(0.99)),
      static_cast<unsigned long long>(hist.percentile(0.999)),
      static_cast<unsigned long long>(errors.load()));
  return acked.load() > 0 ? kExitOk : kExitFailed;
}

const Register kBench("bench", "producer benchmark (--size, --inflight, --producers, --duration)",
                      bench);

}  // namespace
}  // namespace rmq::tools
