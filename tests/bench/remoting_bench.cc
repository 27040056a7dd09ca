// remoting_bench: round trips per second on loopback for 1 KiB requests and 64-byte responses,
// 1 and N in flight on one connection, through remoting/ (JSON headers, executors) and through a
// raw length-prefixed TCP ping-pong of the same payload sizes built here as the ceiling.
//
//   remoting_bench --seconds=3 --inflight=1,64
//
// Prints one line per case and a summary with remoting/raw ratios.
#include "common/bytes.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/thread_pool.h"
#include "remoting/client.h"
#include "remoting/server.h"

#include <gflags/gflags.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

DEFINE_double(seconds, 3.0, "measured seconds per case");
DEFINE_double(warmup, 0.5, "warm-up seconds per case");
DEFINE_string(inflight, "1,64", "comma-separated in-flight depths");
DEFINE_int32(request_size, 1024, "request body bytes");
DEFINE_int32(response_size, 64, "response body bytes");
DEFINE_string(executors, "pool,inline", "server executors to measure: pool, inline");
DEFINE_string(raw_modes, "blocking,spin",
              "raw baselines: blocking (read() sleeps) and spin (non-blocking reads busy-poll, the "
              "ceiling when a core is free)");

namespace {

using Clock = std::chrono::steady_clock;  // a benchmark tool measures real time
using namespace std::chrono_literals;

constexpr int32_t kBenchCode = 19999;

// ---- raw TCP ping-pong ------------------------------------------------------------------------

int listen_loopback(uint16_t* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 16) != 0) {
    std::perror("bind/listen");
    std::exit(1);
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

int connect_loopback(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

bool g_raw_spin = false;

// read() for the raw baseline: sleeps in the kernel, or busy-polls with MSG_DONTWAIT.
ssize_t raw_read(int fd, uint8_t* p, size_t n) {
  if (!g_raw_spin) return ::read(fd, p, n);
  while (true) {
    const ssize_t r = ::recv(fd, p, n, MSG_DONTWAIT);
    if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return r;
    __builtin_ia32_pause();
  }
}

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Server: reads [4-byte length][payload] requests, answers each with [4][response] frames; all
// answers to the requests of one read go out in one write, as a good raw server would.
void raw_server(int lfd, size_t req_size, size_t resp_size) {
  const int fd = ::accept(lfd, nullptr, nullptr);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::vector<uint8_t> in(1 << 20);
  size_t have = 0;
  std::vector<uint8_t> resp_frame(4 + resp_size, 'r');
  rmq::common::store_be<uint32_t>(resp_frame.data(), static_cast<uint32_t>(resp_size));
  std::vector<uint8_t> out;
  const size_t frame = 4 + req_size;
  while (true) {
    const ssize_t r = raw_read(fd, in.data() + have, in.size() - have);
    if (r <= 0) break;
    have += static_cast<size_t>(r);
    size_t n = have / frame;
    out.clear();
    for (size_t i = 0; i < n; ++i) out.insert(out.end(), resp_frame.begin(), resp_frame.end());
    std::memmove(in.data(), in.data() + n * frame, have - n * frame);
    have -= n * frame;
    if (!out.empty() && !write_all(fd, out.data(), out.size())) break;
  }
  ::close(fd);
}

double run_raw(size_t depth, double warmup, double seconds) {
  uint16_t port = 0;
  const int lfd = listen_loopback(&port);
  std::thread server(raw_server, lfd, static_cast<size_t>(FLAGS_request_size),
                     static_cast<size_t>(FLAGS_response_size));
  const int fd = connect_loopback(port);
  std::vector<uint8_t> req(4 + static_cast<size_t>(FLAGS_request_size), 'q');
  rmq::common::store_be<uint32_t>(req.data(), static_cast<uint32_t>(FLAGS_request_size));
  const size_t resp_frame = 4 + static_cast<size_t>(FLAGS_response_size);
  std::vector<uint8_t> batch;
  for (size_t i = 0; i < depth; ++i) batch.insert(batch.end(), req.begin(), req.end());
  write_all(fd, batch.data(), batch.size());
  std::vector<uint8_t> in(1 << 20);
  size_t have = 0;
  uint64_t done = 0;
  uint64_t counted = 0;
  const auto start = Clock::now();
  const auto measure_from = start + std::chrono::duration<double>(warmup);
  const auto end = measure_from + std::chrono::duration<double>(seconds);
  bool measuring = false;
  while (true) {
    const ssize_t r = raw_read(fd, in.data() + have, in.size() - have);
    if (r <= 0) break;
    have += static_cast<size_t>(r);
    const size_t n = have / resp_frame;
    std::memmove(in.data(), in.data() + n * resp_frame, have - n * resp_frame);
    have -= n * resp_frame;
    done += n;
    const auto now = Clock::now();
    if (!measuring && now >= measure_from) {
      measuring = true;
      counted = done;
    }
    if (now >= end) break;
    batch.clear();
    for (size_t i = 0; i < n; ++i) batch.insert(batch.end(), req.begin(), req.end());
    if (!write_all(fd, batch.data(), batch.size())) break;
  }
  const double rate = static_cast<double>(done - counted) / seconds;
  std::fprintf(stderr, "raw debug: done=%llu counted=%llu measuring=%d elapsed=%.3f\n",
               (unsigned long long)done, (unsigned long long)counted, (int)measuring,
               std::chrono::duration<double>(Clock::now() - start).count());
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  server.join();
  ::close(lfd);
  return rate;
}

// ---- remoting ---------------------------------------------------------------------------------

double run_remoting(size_t depth, bool inline_exec, double warmup, double seconds) {
  using namespace rmq;
  remoting::ServerOptions so;
  so.bind_address = "127.0.0.1";
  so.endpoint.name = "bench-srv";
  so.endpoint.io_threads = 1;
  remoting::Server server(so, common::SteadyClock::instance());
  std::shared_ptr<common::Executor> exec;
  std::shared_ptr<common::ThreadPool> pool;
  if (inline_exec) {
    exec = std::make_shared<common::InlineExecutor>();
  } else {
    pool = std::make_shared<common::ThreadPool>("bench-exec", 1, 100000);
    exec = pool;
  }
  const common::Buffer resp_body(std::string(static_cast<size_t>(FLAGS_response_size), 'r'));
  server.registry().register_processor(
      kBenchCode,
      std::make_shared<remoting::FunctionProcessor>(
          [&](const remoting::RequestContext&,
              remoting::RemotingCommand& req) -> std::optional<remoting::RemotingCommand> {
            auto resp =
                remoting::RemotingCommand::response_to(req, remoting::ResponseCode::kSuccess);
            resp.body = resp_body;
            return resp;
          }),
      exec);
  if (!server.start().is_ok()) std::exit(1);
  remoting::Client client(remoting::ClientOptions{}, common::SteadyClock::instance());
  client.start();
  const std::string addr = "127.0.0.1:" + std::to_string(server.port());
  auto make_req = [&] {
    auto req = remoting::RemotingCommand::request(kBenchCode);
    req.ext_fields.set("topic", "BenchTopic");
    req.ext_fields.set("queueId", "0");
    req.body = common::Buffer(std::string(static_cast<size_t>(FLAGS_request_size), 'q'));
    return req;
  };
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<bool> stop{false};
  const auto start = Clock::now();
  const auto measure_from = start + std::chrono::duration<double>(warmup);
  const auto end = measure_from + std::chrono::duration<double>(seconds);
  uint64_t counted = 0;
  if (depth == 1) {
    // Sync calls from this thread: the RocketMQ producer's default path.
    bool measuring = false;
    while (true) {
      auto r = client.invoke_sync(addr, make_req(), 3s);
      if (!r.ok() || r->code != 0) errors.fetch_add(1);
      done.fetch_add(1, std::memory_order_relaxed);
      const auto now = Clock::now();
      if (!measuring && now >= measure_from) {
        measuring = true;
        counted = done.load();
      }
      if (now >= end) break;
    }
  } else {
    // A window of `depth` async calls: each completion sends the next request.
    std::promise<void> finished;
    std::atomic<size_t> outstanding{depth};
    std::function<void()> send_one;
    send_one = [&] {
      client.invoke_async(addr, make_req(), 3s,
                          [&](rmq::common::Result<remoting::RemotingCommand> r) {
                            if (!r.ok() || r->code != 0) errors.fetch_add(1);
                            done.fetch_add(1, std::memory_order_relaxed);
                            if (!stop.load(std::memory_order_relaxed)) {
                              send_one();
                            } else if (outstanding.fetch_sub(1) == 1) {
                              finished.set_value();
                            }
                          });
    };
    for (size_t i = 0; i < depth; ++i) send_one();
    std::this_thread::sleep_until(measure_from);
    counted = done.load();
    std::this_thread::sleep_until(end);
    const uint64_t final_count = done.load();
    stop.store(true);
    finished.get_future().wait();
    done.store(final_count);
  }
  const double rate = static_cast<double>(done.load() - counted) / seconds;
  if (errors.load() > 0)
    std::fprintf(stderr, "remoting errors: %llu\n", static_cast<unsigned long long>(errors.load()));
  client.stop();
  server.stop();
  if (pool) pool->stop();
  return rate;
}

std::vector<size_t> parse_depths(const std::string& s) {
  std::vector<size_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(static_cast<size_t>(std::stoul(item)));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("remoting vs raw TCP round trips on loopback");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  rmq::common::LoggingOptions log_options;
  log_options.level = "warn";
  rmq::common::init_logging(log_options);
  std::printf("remoting_bench: request=%dB response=%dB seconds=%.1f cores=%u\n",
              FLAGS_request_size, FLAGS_response_size, FLAGS_seconds,
              std::thread::hardware_concurrency());
  std::vector<std::string> summary;
  for (size_t depth : parse_depths(FLAGS_inflight)) {
    std::vector<std::pair<std::string, double>> raws;
    std::stringstream rm(FLAGS_raw_modes);
    std::string mode;
    while (std::getline(rm, mode, ',')) {
      g_raw_spin = mode == "spin";
      const double raw = run_raw(depth, FLAGS_warmup, FLAGS_seconds);
      raws.emplace_back(mode, raw);
      std::printf("raw       inflight=%-3zu mode=%-8s rt/s=%10.0f\n", depth, mode.c_str(), raw);
      std::fflush(stdout);
    }
    std::stringstream ex(FLAGS_executors);
    std::string kind;
    while (std::getline(ex, kind, ',')) {
      const double r = run_remoting(depth, kind == "inline", FLAGS_warmup, FLAGS_seconds);
      std::string line = "bench: inflight=" + std::to_string(depth) + " exec=" + kind +
                         " rt_per_s=" + std::to_string(static_cast<long>(r));
      for (const auto& [m, raw] : raws) {
        char part[96];
        std::snprintf(part, sizeof(part), " raw_%s=%.0f ratio_vs_%s=%.2f", m.c_str(), raw,
                      m.c_str(), r / raw);
        line += part;
      }
      std::printf("remoting  inflight=%-3zu exec=%-6s rt/s=%10.0f\n", depth, kind.c_str(), r);
      std::fflush(stdout);
      summary.push_back(line);
    }
  }
  for (const auto& s : summary) std::printf("%s\n", s.c_str());
  return 0;
}
