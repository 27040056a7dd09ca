// Prometheus metrics end to end: a LocalCluster (raftmq-namesrv + a three-node DLedger group as
// processes), some sends and a pull, then GET /metrics from every broker and the namesrv over
// plain TCP. Checks the key series and their values (one leader, put/get counters and the send
// latency histogram on the leader, equal commit indexes, per-peer lag on the leader only, disk,
// connections, namesrv route counts and requests by code), validates every scrape with
// `promtool check metrics` (fails, not skips, when promtool is missing), feeds malformed HTTP to
// the endpoints, measures a failover, and checks that a metrics port in use fails the start (3).
#include "common/status.h"
#include "remoting/client.h"
#include "tests/testutil/cluster.h"
#include "tests/testutil/cluster_fixture.h"
#include "tests/testutil/http.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"
#include "tests/testutil/wire.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <chrono>
#include <cmath>
#include <csignal>
#include <map>
#include <netinet/in.h>
#include <optional>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace rmq {
namespace {

using namespace std::chrono_literals;

// One scrape: "name{labels}" -> value, as written.
struct Scrape {
  std::string text;
  std::map<std::string, double> samples;

  std::optional<double> get(const std::string& series) const {
    auto it = samples.find(series);
    if (it == samples.end()) return std::nullopt;
    return it->second;
  }
  // Every series of metric `name` (any labels).
  std::map<std::string, double> family(const std::string& name) const {
    std::map<std::string, double> out;
    for (const auto& [k, v] : samples) {
      if (k == name || k.rfind(name + "{", 0) == 0) out[k] = v;
    }
    return out;
  }
};

common::Result<Scrape> scrape(const std::string& addr) {
  auto r = testutil::http_get(addr, "/metrics");
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return common::Status::unavailable("GET /metrics on " + addr + ": HTTP " +
                                       std::to_string(r->status));
  }
  if (r->headers["content-type"] != "text/plain; version=0.0.4; charset=utf-8") {
    return common::Status::invalid_argument("content type " + r->headers["content-type"]);
  }
  Scrape s;
  s.text = r->body;
  std::istringstream in(r->body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    if (sp == std::string::npos) return common::Status::invalid_argument("bad line: " + line);
    s.samples[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return s;
}

class MetricsTest : public testutil::ClusterFixture<MetricsTest> {
 protected:
  // "name{cluster=...,broker=...,node=nI[,extra]}": the broker's constant labels come first.
  std::string series(int i, const std::string& name, const std::string& extra = "") const {
    std::string s = name + "{cluster=\"DefaultCluster\",broker=\"broker-a\",node=\"" +
                    cluster_->node_id(i) + "\"";
    if (!extra.empty()) s += "," + extra;
    return s + "}";
  }

  Scrape must_scrape(const std::string& addr) {
    auto s = scrape(addr);
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    return s.ok() ? *s : Scrape{};
  }

  int32_t send(const std::string& topic, const std::string& body) {
    testutil::SendSpec m;
    m.topic = topic;
    m.body = body;
    return testutil::send_message(cluster_->client(), leader_addr(), m).code;
  }

  int32_t pull(const std::string& topic) {
    return testutil::pull_message(cluster_->client(), leader_addr(), {"MetricsGroup", topic}, 10s)
        .code;
  }

  void expect_promtool_accepts(const Scrape& s, const std::string& who) {
    const common::Status st = testutil::promtool_check_metrics(s.text);
    EXPECT_TRUE(st.is_ok()) << who << ": " << st.to_string();
  }
};

TEST_F(MetricsTest, EveryBrokerAndTheNamesrvServeValidMetricsWithTheExpectedValues) {
  ASSERT_TRUE(cluster_->create_topic("MetricsTopic", 1).is_ok());
  constexpr int kSends = 25;
  const std::string body(200, 'x');
  for (int i = 0; i < kSends; ++i) ASSERT_EQ(send("MetricsTopic", body), 0) << "send " << i;
  // Dispatch runs behind the commit: pull until the queue has the messages (FOUND).
  ASSERT_TRUE(testutil::eventually([&] { return pull("MetricsTopic") == 0; }, 10s));

  const int n = cluster_->size();
  std::vector<Scrape> s(n);
  for (int i = 0; i < n; ++i) {
    SCOPED_TRACE("node " + cluster_->node_id(i));
    s[i] = must_scrape(cluster_->metrics_addr(i));
    expect_promtool_accepts(s[i], cluster_->node_id(i));
  }

  // Exactly one leader, the one the cluster reports; every node in exactly one role.
  int leaders = 0;
  for (int i = 0; i < n; ++i) {
    double roles = 0;
    for (const char* role : {"follower", "pre_candidate", "candidate", "leader"}) {
      auto v = s[i].get(series(i, "raftmq_raft_role", std::string("role=\"") + role + "\""));
      ASSERT_TRUE(v.has_value()) << role << "\n" << s[i].text;
      roles += *v;
    }
    EXPECT_EQ(roles, 1) << s[i].text;
    if (s[i].get(series(i, "raftmq_raft_role", "role=\"leader\"")) == 1.0) {
      ++leaders;
      EXPECT_EQ(i, leader_);
    }
    EXPECT_EQ(s[i].get(series(i, "raftmq_broker_writable")), i == leader_ ? 1.0 : 0.0);
  }
  EXPECT_EQ(leaders, 1);

  // Message path on the leader.
  const Scrape& L = s[leader_];
  const int l = leader_;
  EXPECT_GE(L.get(series(l, "raftmq_put_messages_total")).value_or(-1), kSends) << L.text;
  EXPECT_GE(L.get(series(l, "raftmq_put_bytes_total")).value_or(-1), kSends * 200.0);
  EXPECT_EQ(L.get(series(l, "raftmq_put_failures_total")), 0.0);
  EXPECT_GE(L.get(series(l, "raftmq_get_messages_total")).value_or(-1), 1);
  EXPECT_GE(L.get(series(l, "raftmq_get_bytes_total")).value_or(-1), 200);
  const auto count = L.get(series(l, "raftmq_send_latency_seconds_count"));
  ASSERT_TRUE(count.has_value()) << L.text;
  EXPECT_GE(*count, kSends);
  EXPECT_EQ(L.get(series(l, "raftmq_send_latency_seconds_bucket", "le=\"+Inf\"")), *count);
  const double sum = L.get(series(l, "raftmq_send_latency_seconds_sum")).value_or(-1);
  EXPECT_GT(sum, 0);
  EXPECT_LT(sum / *count, 5.0) << "mean send latency in seconds";
  EXPECT_GE(L.get(series(l, "raftmq_client_connections")).value_or(-1), 1);
  EXPECT_GE(L.get(series(l, "raftmq_raft_elections_started_total")).value_or(-1), 1);
  for (int i = 0; i < n; ++i) {
    // Only the leader stores sends, and only it has per-peer series.
    if (i != l) {
      EXPECT_EQ(s[i].get(series(i, "raftmq_put_messages_total")), 0.0);
      EXPECT_TRUE(s[i].family("raftmq_raft_peer_lag_entries").empty()) << s[i].text;
    }
    EXPECT_GE(s[i].get(series(i, "raftmq_raft_leader_changes_total")).value_or(-1), 1);
    EXPECT_EQ(s[i].get(series(i, "raftmq_raft_leader_id")),
              std::stod(cluster_->node_id(l).substr(1)));
    EXPECT_EQ(s[i].get(series(i, "raftmq_raft_term")), L.get(series(l, "raftmq_raft_term")));
    const double total = s[i].get(series(i, "raftmq_store_disk_total_bytes")).value_or(-1);
    const double free = s[i].get(series(i, "raftmq_store_disk_free_bytes")).value_or(-1);
    EXPECT_GT(total, 0);
    EXPECT_GE(free, 0);
    EXPECT_EQ(s[i].get(series(i, "raftmq_store_disk_used_bytes")), total - free);
    EXPECT_EQ(s[i].get(series(i, "raftmq_store_disk_full")), 0.0);
  }

  // Replication settles: equal commit indexes, confirm offsets, nothing undispatched, and the
  // leader sees both followers caught up.
  bool settled = testutil::eventually(
      [&] {
        std::vector<Scrape> now(n);
        for (int i = 0; i < n; ++i) {
          auto r = scrape(cluster_->metrics_addr(i));
          if (!r.ok()) return false;
          now[i] = *r;
        }
        const auto commit0 = now[0].get(series(0, "raftmq_raft_commit_index"));
        const auto confirm0 = now[0].get(series(0, "raftmq_commitlog_confirm_offset_bytes"));
        if (!commit0 || *commit0 < kSends || !confirm0 || *confirm0 <= 0) return false;
        for (int i = 0; i < n; ++i) {
          if (now[i].get(series(i, "raftmq_raft_commit_index")) != commit0) return false;
          if (now[i].get(series(i, "raftmq_raft_last_index")) != commit0) return false;
          if (now[i].get(series(i, "raftmq_commitlog_confirm_offset_bytes")) != confirm0)
            return false;
          if (now[i].get(series(i, "raftmq_dispatch_lag_bytes")) != 0.0) return false;
          if (now[i].get(series(i, "raftmq_commitlog_uncommitted_bytes")) != 0.0) return false;
        }
        const auto lags = now[l].family("raftmq_raft_peer_lag_entries");
        const auto matches = now[l].family("raftmq_raft_peer_match_index");
        if (lags.size() != static_cast<size_t>(n - 1) || matches.size() != lags.size())
          return false;
        for (int i = 0; i < n; ++i) {
          if (i == l) continue;
          const std::string peer = "peer=\"" + cluster_->node_id(i) + "\"";
          if (now[l].get(series(l, "raftmq_raft_peer_lag_entries", peer)) != 0.0) return false;
          if (now[l].get(series(l, "raftmq_raft_peer_match_index", peer)) != commit0) return false;
        }
        return true;
      },
      15s);
  EXPECT_TRUE(settled) << "replication series never settled; leader scrape:\n"
                       << must_scrape(cluster_->metrics_addr(l)).text;

  // The namesrv: three registered brokers, one group, the topic, requests by code.
  auto ns_series = [](const std::string& name, const std::string& labels = "") {
    return labels.empty() ? name : name + "{" + labels + "}";
  };
  Scrape ns;
  const bool ns_ok = testutil::eventually(
      [&] {
        auto r = scrape(cluster_->namesrv_metrics_addr());
        if (!r.ok()) return false;
        ns = *r;
        return ns.get("raftmq_namesrv_brokers") == 3.0;
      },
      15s);
  EXPECT_TRUE(ns_ok) << ns.text;
  expect_promtool_accepts(ns, "namesrv");
  EXPECT_EQ(ns.get("raftmq_namesrv_broker_groups"), 1.0) << ns.text;
  EXPECT_GE(ns.get("raftmq_namesrv_topics").value_or(-1), 1);  // MetricsTopic (+ system topics)
  EXPECT_GE(
      ns.get(ns_series("raftmq_namesrv_requests_total", "code=\"103\",request=\"REGISTER_BROKER\""))
          .value_or(-1),
      3);
  EXPECT_GE(ns.get(ns_series("raftmq_namesrv_requests_total",
                             "code=\"105\",request=\"GET_ROUTEINFO_BY_TOPIC\""))
                .value_or(-1),
            1);
  EXPECT_GE(ns.get("raftmq_namesrv_connections").value_or(-1), 3);  // the brokers + our client
}

TEST_F(MetricsTest, MalformedHttpGets400AndEveryEndpointKeepsServing) {
  std::vector<std::string> addrs = {cluster_->namesrv_metrics_addr()};
  for (int i = 0; i < cluster_->size(); ++i) addrs.push_back(cluster_->metrics_addr(i));
  const std::string bad[] = {
      "BLAH /metrics\r\n\r\n",
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + "\r\n\r\n",  // TLS hello
      "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nX: " + std::string(100 * 1024, 'y') + "\r\n\r\n",
  };
  for (const auto& addr : addrs) {
    SCOPED_TRACE(addr);
    for (const auto& req : bad) {
      auto raw = testutil::http_exchange(addr, req, 3s);
      ASSERT_TRUE(raw.ok()) << raw.status().to_string();
      auto r = testutil::parse_http_response(*raw);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      EXPECT_GE(r->status, 400);
      EXPECT_LT(r->status, 500);
    }
    // A client that connects and says nothing, one that leaves mid-request, a wrong path.
    (void)testutil::http_exchange(addr, "", 100ms);
    (void)testutil::http_exchange(addr, "GET /metr", 100ms);
    auto nf = testutil::http_get(addr, "/nothing-here");
    ASSERT_TRUE(nf.ok());
    EXPECT_EQ(nf->status, 404);
    auto s = scrape(addr);
    EXPECT_TRUE(s.ok()) << s.status().to_string();
  }
  // The brokers themselves are fine too.
  for (int i = 0; i < cluster_->size(); ++i) {
    EXPECT_TRUE(cluster_->runtime_info(i).ok()) << cluster_->node_id(i);
  }
}

TEST_F(MetricsTest, FailoverIsCountedAndTimedByTheNewLeader) {
  const int old = leader_;
  const int n = cluster_->size();
  std::vector<double> changes_before(n, 0);
  for (int i = 0; i < n; ++i) {
    changes_before[i] = must_scrape(cluster_->metrics_addr(i))
                            .get(series(i, "raftmq_raft_leader_changes_total"))
                            .value_or(-1);
  }
  cluster_->kill9(old);
  std::optional<int> next;
  ASSERT_TRUE(testutil::eventually(
      [&] {
        next = cluster_->wait_leader(1s);
        return next.has_value() && *next != old;
      },
      30s));
  const int l = *next;
  // The new leader measured the failover once it accepted writes; at most the test's span.
  Scrape s;
  ASSERT_TRUE(testutil::eventually(
      [&] {
        auto r = scrape(cluster_->metrics_addr(l));
        if (!r.ok()) return false;
        s = *r;
        return s.get(series(l, "raftmq_raft_last_failover_seconds")).has_value() &&
               s.get(series(l, "raftmq_broker_writable")) == 1.0;
      },
      15s))
      << s.text;
  const double failover = *s.get(series(l, "raftmq_raft_last_failover_seconds"));
  EXPECT_GT(failover, 0);
  EXPECT_LT(failover, 30);
  EXPECT_GT(s.get(series(l, "raftmq_raft_leader_changes_total")).value_or(-1), changes_before[l]);
  EXPECT_GE(s.get(series(l, "raftmq_raft_elections_started_total")).value_or(-1), 1);
  EXPECT_EQ(s.get(series(l, "raftmq_raft_role", "role=\"leader\"")), 1.0);
  // The new leader tracks the one follower left and the dead node.
  EXPECT_EQ(s.family("raftmq_raft_peer_lag_entries").size(), static_cast<size_t>(n - 1));
  expect_promtool_accepts(s, "new leader");
}

// --- start failures -----------------------------------------------------------------------------

class MetricsPortTest : public ::testing::Test {
 protected:
  // A listening socket on a free loopback port; closed in TearDown.
  uint16_t occupy() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t len = sizeof sa;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    return ntohs(sa.sin_port);
  }
  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
  }
  int exit_code(pid_t pid) {
    auto st = testutil::wait_exit(pid, 20s);
    if (!st) {
      ::kill(pid, SIGKILL);
      (void)testutil::wait_exit(pid, 5s);
      return -1;
    }
    return WIFEXITED(*st) ? WEXITSTATUS(*st) : 128 + WTERMSIG(*st);
  }
  std::string read(const std::string& path) { return testutil::read_file(path); }

  testutil::TempDir dir_;
  int fd_ = -1;
};

TEST_F(MetricsPortTest, BrokerAndNamesrvExitWith3WhenTheMetricsPortIsTaken) {
  const uint16_t taken = occupy();
  const std::string blog = dir_.file("broker.out");
  const pid_t b =
      testutil::spawn({RMQ_BROKER_BIN, "--listenPort=0", "--enableDLegerCommitLog=false",
                       "--storePathRootDir=" + dir_.file("store"), "--namesrvAddr=127.0.0.1:1",
                       "--set=metricsPort=" + std::to_string(taken) + ",bindAddress=127.0.0.1"},
                      blog);
  ASSERT_GT(b, 0);
  EXPECT_EQ(exit_code(b), 3) << read(blog);
  EXPECT_NE(read(blog).find("127.0.0.1:" + std::to_string(taken)), std::string::npos) << read(blog);
  EXPECT_NE(read(blog).find("Address already in use"), std::string::npos) << read(blog);

  const std::string nlog = dir_.file("namesrv.out");
  const pid_t ns = testutil::spawn({RMQ_NAMESRV_BIN, "--listenPort=0", "--bindAddress=127.0.0.1",
                                    "--metricsPort=" + std::to_string(taken)},
                                   nlog);
  ASSERT_GT(ns, 0);
  EXPECT_EQ(exit_code(ns), 3) << read(nlog);
  EXPECT_NE(read(nlog).find("Address already in use"), std::string::npos) << read(nlog);

  // metricsPort=-1: no endpoint, the broker starts (and stops cleanly on SIGTERM).
  const pid_t off =
      testutil::spawn({RMQ_BROKER_BIN, "--listenPort=0", "--enableDLegerCommitLog=false",
                       "--storePathRootDir=" + dir_.file("store2"), "--namesrvAddr=127.0.0.1:1",
                       "--set=metricsPort=-1"},
                      dir_.file("off.out"));
  ASSERT_GT(off, 0);
  ASSERT_TRUE(testutil::eventually(
      [&] { return read(dir_.file("off.out")).find("listening on") != std::string::npos; }, 20s))
      << read(dir_.file("off.out"));
  EXPECT_NE(read(dir_.file("off.out")).find("metrics port 0"), std::string::npos)
      << read(dir_.file("off.out"));
  ::kill(off, SIGTERM);
  EXPECT_EQ(exit_code(off), 0) << read(dir_.file("off.out"));
}

}  // namespace
}  // namespace rmq
