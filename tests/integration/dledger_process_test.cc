// Three dledger_node processes on 127.0.0.1: a client appends 100k entries of ~1 KiB with 64 in
// flight, kill -9s the leader at 40k and measures the failover (kill -> first APPEND acknowledged
// by the new leader, < 3 s), finishes, restarts the killed member and lets it catch up, compares
// DIGESTs, stops everything with SIGTERM and reads the three EntryLogs back: identical entries
// 1..commit, every acknowledged value exactly once at its acknowledged index, nothing unexpected.
#include "common/bytes.h"
#include "common/clock.h"
#include "common/crc32.h"
#include "common/json.h"
#include "common/logging.h"
#include "dledger/entry_log.h"
#include "remoting/client.h"
#include "store/file_system.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define RMQ_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RMQ_UNDER_ASAN 1
#endif
#endif

namespace rmq::dledger {
namespace {

using namespace std::chrono_literals;
using testutil::free_ports;
using testutil::spawn;
using testutil::wait_exit;
using SteadyTime = std::chrono::steady_clock::time_point;
using remoting::RemotingCommand;

constexpr int32_t kAppendCode = 21001;
constexpr int32_t kStatusCode = 21002;
constexpr int32_t kDigestCode = 21003;
constexpr int kNodes = 3;
constexpr size_t kValueSize = 1024;
constexpr int kInflight = 64;
#ifdef RMQ_UNDER_ASAN
// Sanitized processes run several times slower on the 2-core CI machine: same shape, fewer entries.
constexpr int64_t kEntries = 30'000;
constexpr int64_t kKillAt = 12'000;
#else
constexpr int64_t kEntries = 100'000;
constexpr int64_t kKillAt = 40'000;
#endif
constexpr auto kFailoverLimit = 3s;
constexpr uint64_t kDataFileSize = 64ull << 20;  // the node's default
constexpr uint64_t kIndexFileSize = 32ull << 20;

SteadyTime now() { return std::chrono::steady_clock::now(); }
double ms_between(SteadyTime a, SteadyTime b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// "v000000000042|" then letters that depend on the seq, kValueSize bytes in all.
std::string make_value(uint64_t seq) {
  std::string v(kValueSize, 'x');
  char head[32];
  const int n =
      std::snprintf(head, sizeof(head), "v%012llu|", static_cast<unsigned long long>(seq));
  v.replace(0, static_cast<size_t>(n), head, static_cast<size_t>(n));
  for (size_t i = static_cast<size_t>(n); i < v.size(); ++i) {
    v[i] = static_cast<char>('a' + (seq + i) % 26);
  }
  return v;
}

std::optional<uint64_t> parse_seq(const std::string& v) {
  if (v.size() < 14 || v[0] != 'v' || v[13] != '|') return std::nullopt;
  uint64_t seq = 0;
  for (size_t i = 1; i < 13; ++i) {
    if (v[i] < '0' || v[i] > '9') return std::nullopt;
    seq = seq * 10 + static_cast<uint64_t>(v[i] - '0');
  }
  return seq;
}

// The DIGEST chain of dledger_node: term (8 BE), index (8 BE), type (1), body per entry.
uint32_t chain_digest(uint32_t crc, const Entry& e) {
  uint8_t head[17];
  common::store_be<uint64_t>(head, e.term.value());
  common::store_be<int64_t>(head + 8, e.index.value());
  head[16] = static_cast<uint8_t>(e.type);
  crc = common::crc32(head, sizeof(head), crc);
  return e.data ? common::crc32(e.data->data(), e.data->size(), crc) : crc;
}

struct NodeProc {
  int id = 0;
  uint16_t raft_port = 0;
  uint16_t client_port = 0;
  std::string dir;
  std::string log_path;
  pid_t pid = -1;
  std::string client_address() const { return "127.0.0.1:" + std::to_string(client_port); }
};

struct NodeStatusView {
  std::string role;
  int64_t term = 0;
  int leader = 0;
  int64_t commit = 0;
  int64_t last = 0;
  bool serving = false;
};

// The client side of the workload: kInflight slots, each sending one value at a time to the node
// it believes leads; a failure re-routes (to the leader a follower names, or the next node) and
// the slot sends a fresh value, so an unacknowledged attempt may or may not be in the log but an
// acknowledged one must be there exactly once.
class AppendWorkload {
 public:
  AppendWorkload(remoting::Client& client, std::vector<std::string> addresses, int64_t total)
      : client_(client), addresses_(std::move(addresses)), total_(total) {
    acks_.reserve(static_cast<size_t>(total + kInflight));
  }

  struct Ack {
    int64_t index;
    uint64_t seq;
  };

  // Runs until `total` values are acknowledged. `on_progress(acked)` is called on this thread
  // whenever acknowledgements arrive (the test kills the leader from there).
  bool run(int first_leader, const std::function<void(int64_t)>& on_progress,
           std::chrono::seconds limit) {
    hint_.store(first_leader);
    {
      std::lock_guard lock(mu_);
      active_ = kInflight;
    }
    for (int i = 0; i < kInflight; ++i) send_new(hint_.load());
    const auto deadline = now() + limit;
    std::unique_lock lock(mu_);
    while (active_ > 0) {
      if (now() >= deadline) return false;
      SteadyTime wake = now() + 10ms;
      if (!retries_.empty()) wake = std::min(wake, retries_.front().first);
      cv_.wait_until(lock, wake);
      const int64_t acked = acked_;
      lock.unlock();
      on_progress(acked);
      lock.lock();
      while (!retries_.empty() && retries_.front().first <= now()) {
        retries_.pop_front();
        lock.unlock();
        send_new(pick_target());
        lock.lock();
      }
    }
    return true;
  }

  void mark_killed(int node, SteadyTime at) {
    std::lock_guard lock(mu_);
    killed_node_ = node;
    killed_at_ = at;
  }
  std::optional<double> failover_ms() const {
    std::lock_guard lock(mu_);
    if (!first_ack_after_kill_) return std::nullopt;
    return ms_between(*killed_at_, *first_ack_after_kill_);
  }
  int first_ack_node_after_kill() const {
    std::lock_guard lock(mu_);
    return first_ack_node_;
  }
  const std::vector<Ack>& acks() const { return acks_; }
  uint64_t sent() const { return next_seq_.load(); }
  int64_t failures() const { return failures_.load(); }
  int leader_hint() const { return hint_.load(); }

 private:
  int pick_target() {
    const int h = hint_.load();
    std::lock_guard lock(mu_);
    auto it = down_until_.find(h);
    if (it == down_until_.end() || it->second <= now()) return h;
    for (int n = 1; n <= kNodes; ++n) {
      auto d = down_until_.find(n);
      if (d == down_until_.end() || d->second <= now()) return n;
    }
    return h;
  }

  void send_new(int target) {
    const uint64_t seq = next_seq_.fetch_add(1);
    auto req = RemotingCommand::request(kAppendCode);
    req.body = common::Buffer(make_value(seq));
    client_.invoke_async(addresses_[static_cast<size_t>(target - 1)], std::move(req), 5s,
                         [this, seq, target](common::Result<RemotingCommand> r) {
                           on_response(seq, target, std::move(r));
                         });
  }

  void on_response(uint64_t seq, int target, common::Result<RemotingCommand> r) {
    if (r.ok() && r->code == 0) {
      const int64_t index = r->ext_int("index").value_or(-1);
      bool next = false;
      {
        std::lock_guard lock(mu_);
        acks_.push_back(Ack{index, seq});
        ++acked_;
        if (killed_at_ && !first_ack_after_kill_ && target != killed_node_) {
          first_ack_after_kill_ = now();
          first_ack_node_ = target;
        }
        if (acked_ + active_ - 1 >= total_) {
          --active_;
        } else {
          next = true;
        }
      }
      // run() polls progress every 10 ms; it only needs waking when a slot retires.
      if (next) {
        send_new(target);
      } else {
        cv_.notify_all();
      }
      return;
    }
    failures_.fetch_add(1);
    // Re-route: a follower names the leader; a dead or unreachable node is avoided for a while.
    std::chrono::milliseconds delay = 20ms;
    if (!r.ok()) {
      std::lock_guard lock(mu_);
      down_until_[target] = now() + 300ms;
      int expected = target;
      hint_.compare_exchange_strong(expected, target % kNodes + 1);
    } else if (r->remark && r->remark->rfind("not leader; leader is ", 0) == 0) {
      // A follower may still name the leader that just died: only a live one is worth an
      // immediate retry.
      const int named = std::atoi(r->remark->c_str() + 22);
      std::lock_guard lock(mu_);
      auto down = down_until_.find(named);
      const bool named_down = down != down_until_.end() && down->second > now();
      if (named >= 1 && named <= kNodes && named != target && !named_down) {
        hint_.store(named);
        delay = 1ms;
      } else if (named == 0) {
        int expected = target;
        hint_.compare_exchange_strong(expected, target % kNodes + 1);
      }
    }
    {
      std::lock_guard lock(mu_);
      auto at = now() + delay;
      auto it = retries_.begin();
      while (it != retries_.end() && it->first <= at) ++it;
      retries_.insert(it, {at, seq});
    }
    cv_.notify_all();
  }

  remoting::Client& client_;
  const std::vector<std::string> addresses_;
  const int64_t total_;
  std::atomic<uint64_t> next_seq_{0};
  std::atomic<int> hint_{1};
  std::atomic<int64_t> failures_{0};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Ack> acks_;                                // GUARDED_BY(mu_) until run() returns
  int64_t acked_ = 0;                                    // GUARDED_BY(mu_)
  int active_ = 0;                                       // GUARDED_BY(mu_): slots still sending
  std::deque<std::pair<SteadyTime, uint64_t>> retries_;  // GUARDED_BY(mu_), by time
  std::map<int, SteadyTime> down_until_;                 // GUARDED_BY(mu_)
  int killed_node_ = 0;                                  // GUARDED_BY(mu_)
  std::optional<SteadyTime> killed_at_;                  // GUARDED_BY(mu_)
  std::optional<SteadyTime> first_ack_after_kill_;       // GUARDED_BY(mu_)
  int first_ack_node_ = 0;                               // GUARDED_BY(mu_)
};

class DledgerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto ports = free_ports(2 * kNodes);
    ASSERT_EQ(ports.size(), static_cast<size_t>(2 * kNodes));
    std::string peers;
    for (int i = 0; i < kNodes; ++i) {
      NodeProc n;
      n.id = i + 1;
      n.raft_port = ports[static_cast<size_t>(2 * i)];
      n.client_port = ports[static_cast<size_t>(2 * i + 1)];
      n.dir = tmp_.file("n" + std::to_string(n.id));
      n.log_path = tmp_.file("n" + std::to_string(n.id) + ".log");
      if (!peers.empty()) peers += ",";
      peers += std::to_string(n.id) + "=127.0.0.1:" + std::to_string(n.raft_port);
      nodes_.push_back(n);
    }
    peers_ = peers;
    remoting::ClientOptions co;
    co.connect_timeout = 1s;
    client_ = std::make_unique<remoting::Client>(co, common::SteadyClock::instance());
    client_->start();
    for (auto& n : nodes_) start_node(n);
  }

  void TearDown() override {
    if (client_) client_->stop();
    for (auto& n : nodes_) {
      if (n.pid > 0) {
        ::kill(n.pid, SIGKILL);
        (void)wait_exit(n.pid, 10s);
        n.pid = -1;
      }
    }
    if (HasFailure()) {
      for (const auto& n : nodes_) dump_log_tail(n, 40);
    }
  }

  static void dump_log_tail(const NodeProc& n, size_t lines) {
    std::ifstream in(n.log_path);
    std::deque<std::string> tail;
    std::string line;
    while (std::getline(in, line)) {
      tail.push_back(line);
      if (tail.size() > lines) tail.pop_front();
    }
    std::fprintf(stderr, "---- node %d log tail (%s)\n", n.id, n.log_path.c_str());
    for (const auto& l : tail) std::fprintf(stderr, "%s\n", l.c_str());
  }

  void start_node(NodeProc& n) {
    std::vector<std::string> args{
        RMQ_DLEDGER_NODE_BIN,
        "--id=" + std::to_string(n.id),
        "--peers=" + peers_,
        "--client_port=" + std::to_string(n.client_port),
        "--dir=" + n.dir,
        "--data_file_size=" + std::to_string(kDataFileSize),
        "--index_file_size=" + std::to_string(kIndexFileSize),
    };
    // For experiments, e.g. RMQ_DLEDGER_NODE_EXTRA_ARG=--max_inflight_bytes=8388608.
    if (const char* extra = std::getenv("RMQ_DLEDGER_NODE_EXTRA_ARG")) args.emplace_back(extra);
    n.pid = spawn(args, n.log_path);
    ASSERT_GT(n.pid, 0);
  }

  NodeProc& node(int id) { return nodes_[static_cast<size_t>(id - 1)]; }

  std::optional<NodeStatusView> status(const NodeProc& n) {
    auto r = client_->invoke_sync(n.client_address(), RemotingCommand::request(kStatusCode), 1s);
    if (!r.ok() || r->code != 0) return std::nullopt;
    auto j = common::Json::parse(r->body.str());
    if (!j.ok()) return std::nullopt;
    NodeStatusView s;
    s.role = j->get_string("role");
    s.term = j->get_int("term");
    s.leader = static_cast<int>(j->get_int("leader"));
    s.commit = j->get_int("commit");
    s.last = j->get_int("last");
    s.serving = j->get_bool("serving");
    return s;
  }

  // The serving leader among running nodes, polling STATUS until `limit`; 0 if none.
  int wait_for_leader(std::chrono::milliseconds limit) {
    const auto deadline = now() + limit;
    while (now() < deadline) {
      for (auto& n : nodes_) {
        if (n.pid <= 0) continue;
        auto s = status(n);
        if (s && s->role == "leader" && s->serving) return n.id;
      }
      std::this_thread::sleep_for(20ms);
    }
    return 0;
  }

  std::optional<std::string> digest(const NodeProc& n, int64_t upto) {
    auto req = RemotingCommand::request(kDigestCode);
    req.ext_fields.set("upto", upto);
    auto r = client_->invoke_sync(n.client_address(), std::move(req), 10s);
    if (!r.ok() || r->code != 0 || !r->ext("digest")) return std::nullopt;
    return *r->ext("digest");
  }

  // Lines of node `n`'s log containing `needle`: how many, and the first.
  static std::pair<int, std::string> grep_log(const NodeProc& n, const std::string& needle) {
    std::ifstream in(n.log_path);
    std::string line;
    std::pair<int, std::string> out{0, ""};
    while (std::getline(in, line)) {
      if (line.find(needle) == std::string::npos) continue;
      if (out.first++ == 0) out.second = line;
    }
    return out;
  }

  testutil::TempDir tmp_;
  std::string peers_;
  std::vector<NodeProc> nodes_;
  std::unique_ptr<remoting::Client> client_;
};

TEST_F(DledgerProcessTest, KillLeaderUnderLoadLosesNothingAndRejoinedMemberConverges) {
  const auto t0 = now();
  const int first_leader = wait_for_leader(20s);
  ASSERT_NE(first_leader, 0) << "no leader elected";
  std::printf("leader %d elected after %.0f ms\n", first_leader, ms_between(t0, now()));

  std::vector<std::string> addresses;
  for (const auto& n : nodes_) addresses.push_back(n.client_address());
  AppendWorkload load(*client_, addresses, kEntries);

  int killed = 0;
  int64_t killed_wall_ms = 0;
  double killed_after_s = 0;
  const auto t_load = now();
  auto on_progress = [&](int64_t acked) {
    if (killed != 0 || acked < kKillAt) return;
    // The leader as the cluster sees it now (the client's hint may lag one redirect).
    int leader = 0;
    for (auto& n : nodes_) {
      auto s = status(n);
      if (s && s->role == "leader") leader = n.id;
    }
    if (leader == 0) leader = load.leader_hint();
    NodeProc& victim = node(leader);
    ::kill(victim.pid, SIGKILL);
    load.mark_killed(leader, now());
    killed_wall_ms = common::SteadyClock::instance().wall_ms();
    (void)wait_exit(victim.pid, 5s);
    victim.pid = -1;
    killed = leader;
    killed_after_s = ms_between(t_load, now()) / 1000.0;
    std::printf("killed leader %d (kill -9) at %lld acknowledged entries, %.2f s into the load\n",
                leader, static_cast<long long>(acked), ms_between(t_load, now()) / 1000.0);
  };
  ASSERT_TRUE(load.run(first_leader, on_progress, 120s)) << "workload did not finish";
  const double load_s = ms_between(t_load, now()) / 1000.0;
  ASSERT_NE(killed, 0);
  std::printf(
      "appended %lld acknowledged entries in %.2f s (%.0f/s; %.0f/s with 3 members, "
      "%.0f/s from the kill on); %llu attempts, %lld failed\n",
      static_cast<long long>(kEntries), load_s, static_cast<double>(kEntries) / load_s,
      static_cast<double>(kKillAt) / killed_after_s,
      static_cast<double>(kEntries - kKillAt) / (load_s - killed_after_s),
      static_cast<unsigned long long>(load.sent()), static_cast<long long>(load.failures()));

  const auto failover = load.failover_ms();
  ASSERT_TRUE(failover.has_value());
  std::printf(
      "failover: %.0f ms from kill -9 of leader %d to the first APPEND acknowledged by "
      "node %d\n",
      *failover, killed, load.first_ack_node_after_kill());
  const double limit_ms = std::chrono::duration<double, std::milli>(kFailoverLimit).count();
  EXPECT_LT(*failover, limit_ms);

  // The final commit index, as the current leader reports it.
  const int leader = wait_for_leader(10s);
  ASSERT_NE(leader, 0);
  ASSERT_NE(leader, killed);
  const auto ls = status(node(leader));
  ASSERT_TRUE(ls.has_value());
  const int64_t commit = ls->commit;
  int64_t max_acked = 0;
  for (const auto& a : load.acks()) max_acked = std::max(max_acked, a.index);
  ASSERT_LE(max_acked, commit);

  // Restart the killed member: it must catch up to the commit index.
  const auto t_restart = now();
  start_node(node(killed));
  bool converged = false;
  while (!converged && now() < t_restart + 60s) {
    converged = true;
    for (auto& n : nodes_) {
      auto s = status(n);
      converged = converged && s && s->commit >= commit;
    }
    if (!converged) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(converged) << "members did not all reach commit " << commit;
  std::printf("restarted node %d caught up to commit %lld in %.0f ms\n", killed,
              static_cast<long long>(commit), ms_between(t_restart, now()));

  // Live DIGESTs over 1..commit agree.
  std::vector<std::string> digests;
  for (auto& n : nodes_) {
    auto d = digest(n, commit);
    ASSERT_TRUE(d.has_value()) << "no digest from node " << n.id;
    digests.push_back(*d);
  }
  EXPECT_EQ(digests[0], digests[1]);
  EXPECT_EQ(digests[0], digests[2]);

  // Clean stop; each node closes its EntryLog.
  client_->stop();
  for (auto& n : nodes_) ::kill(n.pid, SIGTERM);
  for (auto& n : nodes_) {
    const auto st = wait_exit(n.pid, 20s);
    ASSERT_TRUE(st.has_value()) << "node " << n.id << " did not stop on SIGTERM";
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0)
        << "node " << n.id << " exit status " << *st;
    n.pid = -1;
  }

  // The election timeline around the kill, from the nodes' ROLE lines (wall-clock ms).
  std::vector<std::string> roles;
  for (const auto& n : nodes_) {
    std::ifstream in(n.log_path);
    std::string line;
    while (std::getline(in, line)) {
      const size_t at = line.find("ROLE wall_ms=");
      if (at != std::string::npos) roles.push_back(line.substr(at + 5));
    }
  }
  std::sort(roles.begin(), roles.end());
  std::printf("kill -9 at wall_ms=%lld; role changes:\n", static_cast<long long>(killed_wall_ms));
  for (const auto& r : roles) std::printf("  %s\n", r.c_str());

  // Known issue (reported, not fixed here): a follower catching up receives one frame per Ready
  // holding up to max_inflight_bytes (32 MiB) of appends, above remoting's 16 MiB frame limit, so
  // it drops the connection and catch-up crawls. Shown, not asserted, until the transport splits
  // batches.
  for (const auto& n : nodes_) {
    const auto [count, first] = grep_log(n, "bad frame");
    if (count > 0)
      std::printf("node %d dropped %d oversized frames, e.g.: %s\n", n.id, count, first.c_str());
  }

  // Read the three logs back in lockstep: entries 1..commit identical (positions included).
  std::vector<std::unique_ptr<EntryLog>> logs;
  for (auto& n : nodes_) {
    EntryLogOptions o;
    o.dir = n.dir;
    o.data_file_size = kDataFileSize;
    o.index_file_size = kIndexFileSize;
    logs.push_back(std::make_unique<EntryLog>(store::posix_file_system(), o));
    ASSERT_TRUE(logs.back()->open().is_ok()) << "open " << n.dir;
    ASSERT_GE(logs.back()->last_index().value(), commit) << "node " << n.id;
  }
  std::unordered_map<uint64_t, int64_t> in_log;  // seq -> index
  in_log.reserve(static_cast<size_t>(commit));
  uint32_t crc = 0;
  int64_t duplicates = 0;
  int64_t unexpected = 0;
  LogIndex next(1);
  while (next.value() <= commit) {
    auto a = logs[0]->entries(next, LogIndex(commit + 1), 4u << 20);
    ASSERT_TRUE(a.ok()) << a.status().to_string();
    ASSERT_FALSE(a->empty());
    const LogIndex hi = a->back().index.next();
    for (size_t k = 1; k < logs.size(); ++k) {
      auto b = logs[k]->entries(next, hi, SIZE_MAX);
      ASSERT_TRUE(b.ok()) << b.status().to_string();
      ASSERT_EQ(a->size(), b->size());
      for (size_t i = 0; i < a->size(); ++i) {
        const Entry& x = (*a)[i];
        const Entry& y = (*b)[i];
        ASSERT_TRUE(x == y && x.position == y.position)
            << "node " << k + 1 << " differs from node 1 at index " << x.index.value();
      }
    }
    for (const Entry& e : *a) {
      crc = chain_digest(crc, e);
      if (e.type != EntryType::kMessage) continue;
      const auto seq = e.data ? parse_seq(*e.data) : std::nullopt;
      if (!seq || *seq >= load.sent() || *e.data != make_value(*seq)) {
        ++unexpected;
        continue;
      }
      if (!in_log.emplace(*seq, e.index.value()).second) ++duplicates;
    }
    next = hi;
  }
  for (auto& l : logs) EXPECT_TRUE(l->close().is_ok());
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(unexpected, 0);
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", crc);
  EXPECT_EQ(digests[0], hex) << "DIGEST differs from the chain over the EntryLog";

  int64_t missing = 0;
  int64_t misplaced = 0;
  for (const auto& a : load.acks()) {
    auto it = in_log.find(a.seq);
    if (it == in_log.end()) {
      if (++missing <= 5) ADD_FAILURE() << "acknowledged but lost: seq " << a.seq;
    } else if (it->second != a.index) {
      if (++misplaced <= 5)
        ADD_FAILURE() << "seq " << a.seq << " acknowledged at " << a.index << ", in log at "
                      << it->second;
    }
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(misplaced, 0);
  EXPECT_EQ(load.acks().size(), static_cast<size_t>(kEntries));
  std::printf(
      "verified %lld log entries (%zu messages, %zu acknowledged) on 3 members in %.1f s "
      "total\n",
      static_cast<long long>(commit), in_log.size(), load.acks().size(),
      ms_between(t0, now()) / 1000.0);
}

}  // namespace
}  // namespace rmq::dledger
