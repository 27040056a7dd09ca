// dledger_bench: replicated append throughput and latency of a three-process DLedger group
// (dledger_node, tests/integration) on loopback: 1 KiB entries, N in flight on one connection to
// the leader, measured for --seconds after --warmup, first with async flush and then with
// --sync_flush (a fresh group each). The ceiling is an in-process remoting echo with the same
// request size and depth; the summary prints dledger/echo ratios.
//
//   dledger_bench --seconds=5 --modes=async,sync
#include "common/bytes.h"
#include "common/clock.h"
#include "common/executor.h"
#include "common/json.h"
#include "common/logging.h"
#include "remoting/client.h"
#include "remoting/server.h"
#include "tests/testutil/process.h"

#include <gflags/gflags.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <sstream>
#include <string>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

DEFINE_double(seconds, 5.0, "measured seconds per case");
DEFINE_double(warmup, 1.0, "warm-up seconds per case");
DEFINE_int32(inflight, 64, "requests in flight on the one connection");
DEFINE_int32(entry_size, 1024, "entry (request body) bytes");
DEFINE_string(modes, "async,sync", "dledger flush modes to measure: async, sync");
DEFINE_bool(echo, true, "measure the in-process remoting echo ceiling");
DEFINE_string(node_bin, RMQ_DLEDGER_NODE_BIN, "the dledger_node executable");
DEFINE_string(work_dir, "", "where the nodes' logs go (default: a fresh dir under $TMPDIR)");
DEFINE_bool(keep, false, "keep the nodes' directories and logs");
DEFINE_bool(kill_follower, false,
            "kill -9 one follower before measuring (a degraded group: leader + one follower)");

namespace {

using Clock = std::chrono::steady_clock;  // a benchmark tool measures real time
using namespace std::chrono_literals;
using rmq::remoting::RemotingCommand;

constexpr int32_t kAppendCode = 21001;
constexpr int32_t kStatusCode = 21002;
constexpr int32_t kEchoCode = 19998;
constexpr int kNodes = 3;

struct CaseResult {
  double per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
  uint64_t errors = 0;
};

// ---- a three-process group -------------------------------------------------------------------

using rmq::testutil::free_ports;
using rmq::testutil::spawn;

bool wait_exit(pid_t pid, std::chrono::milliseconds limit) {
  return rmq::testutil::wait_exit(pid, limit).has_value();
}

class Group {
 public:
  Group(std::string dir, bool sync_flush, rmq::remoting::Client& client)
      : dir_(std::move(dir)), client_(client) {
    const auto ports = free_ports(2 * kNodes);
    if (ports.size() != 2 * kNodes) {
      std::fprintf(stderr, "cannot pick free ports\n");
      std::exit(1);
    }
    std::string peers;
    for (int i = 0; i < kNodes; ++i) {
      if (!peers.empty()) peers += ",";
      peers += std::to_string(i + 1) + "=127.0.0.1:" + std::to_string(ports[2 * i]);
      client_ports_.push_back(ports[2 * i + 1]);
    }
    std::filesystem::create_directories(dir_);
    for (int i = 0; i < kNodes; ++i) {
      const std::string id = std::to_string(i + 1);
      pids_.push_back(spawn(
          {FLAGS_node_bin, "--id=" + id, "--peers=" + peers,
           "--client_port=" + std::to_string(client_ports_[i]), "--dir=" + dir_ + "/n" + id,
           std::string("--sync_flush=") + (sync_flush ? "true" : "false"), "--log_level=warn"},
          dir_ + "/n" + id + ".log"));
    }
  }
  ~Group() {
    for (pid_t p : pids_) {
      if (p > 0) ::kill(p, SIGTERM);
    }
    for (pid_t p : pids_) {
      if (p <= 0) continue;
      if (!wait_exit(p, 20s)) {
        std::fprintf(stderr, "node %d ignored SIGTERM; killing it\n", p);
        ::kill(p, SIGKILL);
        wait_exit(p, 5s);
      }
    }
    if (!FLAGS_keep) std::filesystem::remove_all(dir_);
  }

  void kill(int id) {
    pid_t& p = pids_[static_cast<size_t>(id - 1)];
    ::kill(p, SIGKILL);
    wait_exit(p, 5s);
    p = -1;
  }

  std::string address(int id) const {
    return "127.0.0.1:" + std::to_string(client_ports_[static_cast<size_t>(id - 1)]);
  }

  // The serving leader, or 0 after `limit`.
  int wait_for_leader(std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      for (int id = 1; id <= kNodes; ++id) {
        auto r = client_.invoke_sync(address(id), RemotingCommand::request(kStatusCode), 1s);
        if (!r.ok() || r->code != 0) continue;
        auto j = rmq::common::Json::parse(r->body.str());
        if (j.ok() && j->get_string("role") == "leader" && j->get_bool("serving")) return id;
      }
      std::this_thread::sleep_for(20ms);
    }
    return 0;
  }

 private:
  std::string dir_;
  rmq::remoting::Client& client_;
  std::vector<uint16_t> client_ports_;
  std::vector<pid_t> pids_;
};

// ---- the closed loop: `depth` requests in flight, each completion sends the next ---------------

CaseResult run_loop(rmq::remoting::Client& client, const std::string& address, int32_t code,
                    size_t depth, double warmup, double seconds) {
  const rmq::common::Buffer body(std::string(static_cast<size_t>(FLAGS_entry_size), 'e'));
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};
  std::mutex lat_mu;
  std::vector<uint32_t> latencies_us;  // GUARDED_BY(lat_mu), measured window only
  latencies_us.reserve(1 << 20);
  std::promise<void> finished;
  std::atomic<size_t> outstanding{depth};
  std::function<void()> send_one;
  send_one = [&] {
    auto req = RemotingCommand::request(code);
    req.body = body;
    const auto sent = Clock::now();
    client.invoke_async(
        address, std::move(req), 10s, [&, sent](rmq::common::Result<RemotingCommand> r) {
          const auto acked = Clock::now();
          if (!r.ok() || r->code != 0) {
            if (errors.fetch_add(1) < 5) {
              std::fprintf(
                  stderr, "error: %s\n",
                  r.ok() ? r->remark.value_or("?").c_str() : r.status().to_string().c_str());
            }
          } else if (measuring.load(std::memory_order_relaxed)) {
            done.fetch_add(1, std::memory_order_relaxed);
            const auto us =
                std::chrono::duration_cast<std::chrono::microseconds>(acked - sent).count();
            std::lock_guard lock(lat_mu);
            latencies_us.push_back(static_cast<uint32_t>(us));
          }
          if (!stop.load(std::memory_order_relaxed)) {
            send_one();
          } else if (outstanding.fetch_sub(1) == 1) {
            finished.set_value();
          }
        });
  };
  const auto start = Clock::now();
  for (size_t i = 0; i < depth; ++i) send_one();
  std::this_thread::sleep_until(start + std::chrono::duration<double>(warmup));
  const auto from = Clock::now();
  measuring.store(true);
  std::this_thread::sleep_until(from + std::chrono::duration<double>(seconds));
  measuring.store(false);
  const auto to = Clock::now();
  stop.store(true);
  finished.get_future().wait();

  CaseResult res;
  res.errors = errors.load();
  std::lock_guard lock(lat_mu);
  res.per_s = static_cast<double>(done.load()) / std::chrono::duration<double>(to - from).count();
  if (!latencies_us.empty()) {
    std::sort(latencies_us.begin(), latencies_us.end());
    auto pct = [&](double p) {
      const size_t i = std::min(latencies_us.size() - 1,
                                static_cast<size_t>(p * static_cast<double>(latencies_us.size())));
      return static_cast<double>(latencies_us[i]);
    };
    res.p50_us = pct(0.50);
    res.p99_us = pct(0.99);
    res.max_us = static_cast<double>(latencies_us.back());
  }
  return res;
}

CaseResult run_echo(rmq::remoting::Client& client) {
  using namespace rmq;
  remoting::ServerOptions so;
  so.bind_address = "127.0.0.1";
  so.endpoint.name = "echo-srv";
  so.endpoint.io_threads = 1;
  remoting::Server server(so, common::SteadyClock::instance());
  // Answers like APPEND does: a header-only response with two extFields.
  server.registry().register_processor(
      kEchoCode,
      std::make_shared<remoting::FunctionProcessor>(
          [](const remoting::RequestContext&,
             RemotingCommand& req) -> std::optional<RemotingCommand> {
            auto resp = RemotingCommand::response_to(req, remoting::ResponseCode::kSuccess);
            resp.ext_fields.set("index", int64_t{123456});
            resp.ext_fields.set("term", int64_t{3});
            return resp;
          }),
      std::make_shared<common::InlineExecutor>());
  if (!server.start().is_ok()) std::exit(1);
  const auto res = run_loop(client, "127.0.0.1:" + std::to_string(server.port()), kEchoCode,
                            static_cast<size_t>(FLAGS_inflight), FLAGS_warmup, FLAGS_seconds);
  server.stop();
  return res;
}

std::string fresh_dir() {
  if (!FLAGS_work_dir.empty()) return FLAGS_work_dir;
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/dledger_bench.XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  return templ;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("replicated append throughput of three dledger_node processes");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  rmq::common::LoggingOptions log_options;
  log_options.level = "warn";
  rmq::common::init_logging(log_options);
  std::printf("dledger_bench: entry=%dB inflight=%d seconds=%.1f warmup=%.1f cores=%u\n",
              FLAGS_entry_size, FLAGS_inflight, FLAGS_seconds, FLAGS_warmup,
              std::thread::hardware_concurrency());
  std::fflush(stdout);

  rmq::remoting::ClientOptions co;
  co.connect_timeout = 1s;
  rmq::remoting::Client client(co, rmq::common::SteadyClock::instance());
  client.start();

  std::vector<std::string> summary;
  std::optional<CaseResult> echo;
  if (FLAGS_echo) {
    echo = run_echo(client);
    std::printf("echo      rt/s=%10.0f p50_us=%.0f p99_us=%.0f max_us=%.0f errors=%llu\n",
                echo->per_s, echo->p50_us, echo->p99_us, echo->max_us,
                static_cast<unsigned long long>(echo->errors));
    std::fflush(stdout);
    char line[160];
    std::snprintf(line, sizeof(line), "bench: remoting_echo rt_per_s=%.0f p50_us=%.0f p99_us=%.0f",
                  echo->per_s, echo->p50_us, echo->p99_us);
    summary.emplace_back(line);
  }

  const std::string root = fresh_dir();
  std::stringstream modes(FLAGS_modes);
  std::string mode;
  int rc = 0;
  while (std::getline(modes, mode, ',')) {
    const bool sync = mode == "sync";
    CaseResult res;
    {
      Group group(root + "/" + mode, sync, client);
      const int leader = group.wait_for_leader(30s);
      if (leader == 0) {
        std::fprintf(stderr, "mode=%s: no leader elected\n", mode.c_str());
        rc = 1;
        continue;
      }
      if (FLAGS_kill_follower) group.kill(leader % kNodes + 1);
      res = run_loop(client, group.address(leader), kAppendCode,
                     static_cast<size_t>(FLAGS_inflight), FLAGS_warmup, FLAGS_seconds);
      client.close_connection(group.address(leader));
    }
    std::printf(
        "dledger   mode=%-5s entries/s=%10.0f p50_us=%.0f p99_us=%.0f max_us=%.0f "
        "errors=%llu\n",
        mode.c_str(), res.per_s, res.p50_us, res.p99_us, res.max_us,
        static_cast<unsigned long long>(res.errors));
    std::fflush(stdout);
    char line[256];
    std::snprintf(line, sizeof(line),
                  "bench: dledger mode=%s entries_per_s=%.0f p50_us=%.0f p99_us=%.0f", mode.c_str(),
                  res.per_s, res.p50_us, res.p99_us);
    std::string s = line;
    if (echo && echo->per_s > 0) {
      std::snprintf(line, sizeof(line), " echo_rt_per_s=%.0f ratio_vs_echo=%.3f", echo->per_s,
                    res.per_s / echo->per_s);
      s += line;
    }
    summary.push_back(s);
    if (res.errors > 0) rc = 1;
  }
  if (!FLAGS_keep && FLAGS_work_dir.empty()) std::filesystem::remove_all(root);
  client.stop();
  for (const auto& s : summary) std::printf("%s\n", s.c_str());
  return rc;
}
