// raftmq-broker and raftmq-namesrv started with one bad config each (table-driven): every case must
// exit by itself, quickly, with the documented code (2 configuration error, 3 a port in use),
// exactly one non-empty line on stderr naming the key (and for 3 the port), nothing on stdout,
// no signal, and nothing opened (the store directory is not created). Logging stays on stderr at
// its default level, so "one line" also shows that nothing else was started or logged.
// Then good configs whose peer hosts contain '-': they parse and the node serves.
#include "tests/testutil/http.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <netinet/in.h>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace rmq {
namespace {

using namespace std::chrono_literals;

constexpr auto kExitLimit = 10s;  // a config error takes milliseconds; this only catches a hang

using testutil::Finished;
using testutil::read_file;

Finished run(const std::vector<std::string>& args, const testutil::TempDir& dir) {
  Finished r = testutil::run_captured(args, dir.file("stdout"), dir.file("stderr"), kExitLimit);
  EXPECT_GT(r.pid, 0);
  return r;
}

// Holds a port the way another program would: a listening socket on 0.0.0.0 (port 0: any).
class PortHolder {
 public:
  explicit PortHolder(uint16_t port = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(fd_, 1) != 0) {
      ADD_FAILURE() << "cannot hold port " << port;
      return;
    }
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~PortHolder() {
    if (fd_ >= 0) ::close(fd_);
  }
  PortHolder(const PortHolder&) = delete;
  PortHolder& operator=(const PortHolder&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::string num(uint16_t p) { return std::to_string(p); }

// The ports of a valid broker config; each case breaks one thing.
struct Ports {
  uint16_t client, metrics, r1, r2, r3;
  std::string peers() const {
    return "n1-127.0.0.1:" + num(r1) + ";n2-127.0.0.1:" + num(r2) + ";n3-127.0.0.1:" + num(r3);
  }
};

Ports pick_ports() {
  const auto p = testutil::free_ports(5);
  return {p.at(0), p.at(1), p.at(2), p.at(3), p.at(4)};
}

enum class Bin { kBroker, kNamesrv };

struct Case {
  std::string name;
  Bin bin;
  int exit_code;
  std::string key;  // stderr must name it
  // Arguments (replacing the defaults of the same flag). `ports` are free; `held` is a port the
  // test holds when the case needs one in use (else 0); `dir` is the case's folder.
  std::function<std::vector<std::string>(const Ports& ports, uint16_t held,
                                         const testutil::TempDir& dir)>
      args;
  bool hold_port = false;  // the case's args use `held`; exit 3 must name that port
  std::string also;        // stderr must contain this too, when set
};

// A broker flag list: the good defaults, then `extra` (gflags: the last one wins).
std::vector<std::string> broker(const Ports& p, std::vector<std::string> extra) {
  std::vector<std::string> a = {"--listenPort=" + num(p.client),
                                "--set=metricsPort=" + num(p.metrics), "--dLegerSelfId=n1",
                                "--dLegerPeers=" + p.peers(), "--namesrvAddr=127.0.0.1:1"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// Like broker() with `peers` as dLegerPeers.
std::vector<std::string> peers(const Ports& p, const std::string& list) {
  return broker(p, {"--dLegerPeers=" + list});
}

// ":<n1's Raft port>".
std::string raft1(const Ports& p) { return ":" + num(p.r1); }

std::vector<std::string> namesrv(const Ports& p, std::vector<std::string> extra) {
  std::vector<std::string> a = {"--listenPort=" + num(p.client), "--metricsPort=" + num(p.metrics)};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::string write(const testutil::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}

std::vector<Case> cases() {
  using D = const testutil::TempDir&;
  std::vector<Case> c;
  auto b = [&](std::string name, std::string key, auto fn, std::string also = "") {
    c.push_back({std::move(name), Bin::kBroker, 2, std::move(key),
                 [fn](const Ports& p, uint16_t, D d) { return fn(p, d); }, false, std::move(also)});
  };
  // dLegerPeers, one malformation each.
  b(
      "PeersWithoutDash", "dLegerPeers",
      [](const Ports& p, D) { return peers(p, "n1127.0.0.1" + raft1(p)); }, "no '-'");
  b("PeersWithoutColon", "dLegerPeers",
    [](const Ports& p, D) { return peers(p, "n1-127.0.0.1;n2-127.0.0.1:" + num(p.r2)); });
  b("PeersPortNotANumber", "dLegerPeers",
    [](const Ports& p, D) { return peers(p, "n1-127.0.0.1:4x911;n2-127.0.0.1:" + num(p.r2)); });
  b("PeersPortOutOfRange", "dLegerPeers",
    [](const Ports& p, D) { return peers(p, "n1-127.0.0.1:70000;n2-127.0.0.1:" + num(p.r2)); });
  b("PeersPortZero", "dLegerPeers",
    [](const Ports& p, D) { return peers(p, "n1-127.0.0.1:0;n2-127.0.0.1:" + num(p.r2)); });
  b("PeersEmptyHost", "dLegerPeers",
    [](const Ports& p, D) { return peers(p, "n1-" + raft1(p) + ";n2-127.0.0.1:" + num(p.r2)); });
  b("PeersBadHost", "dLegerPeers",
    [](const Ports& p, D) { return peers(p, "n1-bad_host!" + raft1(p)); });
  b("PeersBadNodeId", "dLegerPeers",
    [](const Ports& p, D) { return peers(p, "x1-127.0.0.1" + raft1(p)); });
  b("PeersEmptyEntry", "dLegerPeers", [](const Ports& p, D) {
    return peers(p, "n1-127.0.0.1" + raft1(p) + ";;n2-127.0.0.1:" + num(p.r2));
  });
  b("PeersLeadingSemicolon", "dLegerPeers",
    [](const Ports& p, D) { return peers(p, ";n1-127.0.0.1" + raft1(p)); });
  b("PeersEmpty", "dLegerPeers", [](const Ports& p, D) { return peers(p, ""); });
  b("PeersDuplicateId", "dLegerPeers", [](const Ports& p, D) {
    return peers(p, "n1-127.0.0.1" + raft1(p) + ";n1-127.0.0.1:" + num(p.r2));
  });
  b("PeersDuplicateAddress", "dLegerPeers", [](const Ports& p, D) {
    return peers(p, "n1-127.0.0.1" + raft1(p) + ";n2-127.0.0.1" + raft1(p));
  });
  // Self id and preferred leader.
  b("SelfIdEmpty", "dLegerSelfId",
    [](const Ports& p, D) { return broker(p, {"--dLegerSelfId="}); });
  b("SelfIdNotAmongPeers", "dLegerSelfId",
    [](const Ports& p, D) { return broker(p, {"--dLegerSelfId=n4"}); });
  b("SelfIdMalformed", "dLegerSelfId",
    [](const Ports& p, D) { return broker(p, {"--dLegerSelfId=node1"}); });
  b("PreferredLeaderNotAmongPeers", "preferredLeaderId",
    [](const Ports& p, D) { return broker(p, {"--set=preferredLeaderId=n7"}); });
  // Addresses.
  b("BrokerIpEmpty", "brokerIP1", [](const Ports& p, D) { return broker(p, {"--brokerIP1="}); });
  b("BrokerIpHostName", "brokerIP1",
    [](const Ports& p, D) { return broker(p, {"--brokerIP1=my-host"}); });
  b("BrokerIpAny", "brokerIP1",
    [](const Ports& p, D) { return broker(p, {"--brokerIP1=0.0.0.0"}); });
  b("BindAddressNotIp", "bindAddress",
    [](const Ports& p, D) { return broker(p, {"--set=bindAddress=localhost"}); });
  b("NamesrvAddrWithoutPort", "namesrvAddr",
    [](const Ports& p, D) { return broker(p, {"--namesrvAddr=127.0.0.1"}); });
  // The same port twice in one config.
  b(
      "ListenPortIsMetricsPort", "metricsPort",
      [](const Ports& p, D) { return broker(p, {"--set=metricsPort=" + num(p.client)}); },
      "listenPort");
  b(
      "ListenPortIsRaftPort", "listenPort",
      [](const Ports& p, D) { return broker(p, {"--listenPort=" + num(p.r1)}); }, "dLegerPeers");
  b(
      "MetricsPortIsRaftPort", "metricsPort",
      [](const Ports& p, D) { return broker(p, {"--set=metricsPort=" + num(p.r1)}); },
      "dLegerPeers");
  b("DefaultMetricsPortIsRaftPort", "metricsPort", [](const Ports& p, D) {
    // metricsPort left at its default, listenPort + 2, which is n1's Raft port.
    std::vector<std::string> a = {"--listenPort=" + num(p.r1 - 2), "--dLegerSelfId=n1",
                                  "--dLegerPeers=" + p.peers(), "--namesrvAddr=127.0.0.1:1"};
    return a;
  });
  // Values of the wrong kind.
  b("FlushDiskTypeUnknown", "flushDiskType",
    [](const Ports& p, D) { return broker(p, {"--flushDiskType=FAST_FLUSH"}); });
  b("BrokerRoleUnknown", "brokerRole",
    [](const Ports& p, D) { return broker(p, {"--set=brokerRole=MASTER"}); });
  b("ListenPortNotANumber", "listenPort",
    [](const Ports& p, D) { return broker(p, {"--listenPort=10x911"}); });
  b("ListenPortOutOfRange", "listenPort",
    [](const Ports& p, D) { return broker(p, {"--listenPort=70000"}); });
  b(
      "NumberInFileNotANumber", "raftTickMs",
      [](const Ports& p, D d) {
        return broker(p,
                      {"--config=" + write(d, "broker.conf", "brokerName=b\nraftTickMs=fast\n")});
      },
      "broker.conf:2");
  b("BoolNotABool", "enableDLegerCommitLog",
    [](const Ports& p, D) { return broker(p, {"--enableDLegerCommitLog=maybe"}); });
  // Unknown keys are errors (RocketMQ's Java broker ignores them): in the file (with a
  // suggestion), in --set, as a flag; a key without a flag of its own points to --set.
  b(
      "UnknownKeyInFile", "listenPortt",
      [](const Ports& p, D d) {
        return broker(p, {"--config=" + write(d, "broker.conf", "listenPortt=1\n")});
      },
      "did you mean 'listenPort'");
  b("UnknownKeyInSet", "noSuchKey",
    [](const Ports& p, D) { return broker(p, {"--set=noSuchKey=1"}); });
  b("UnknownFlag", "noSuchFlag", [](const Ports& p, D) { return broker(p, {"--noSuchFlag=1"}); });
  b(
      "KeyWithoutFlag", "raftTickMs",
      [](const Ports& p, D) { return broker(p, {"--raftTickMs=50"}); }, "--set=raftTickMs");
  b("MissingConfigFile", "config file",
    [](const Ports& p, D) { return broker(p, {"--config=/nonexistent/broker.conf"}); });

  // Ports in use: exit 3 naming the key and the port.
  auto in_use = [&](std::string name, Bin bin, std::string key, auto fn) {
    c.push_back({std::move(name), bin, 3, std::move(key),
                 [fn](const Ports& p, uint16_t held, D) { return fn(p, held); }, true, ""});
  };
  in_use("ClientPortInUse", Bin::kBroker, "listenPort",
         [](const Ports& p, uint16_t held) { return broker(p, {"--listenPort=" + num(held)}); });
  in_use("RaftPortInUse", Bin::kBroker, "dLegerPeers", [](const Ports& p, uint16_t held) {
    Ports q = p;
    q.r1 = held;
    return broker(q, {});
  });
  in_use("MetricsPortInUse", Bin::kBroker, "metricsPort", [](const Ports& p, uint16_t held) {
    return broker(p, {"--set=metricsPort=" + num(held)});
  });

  // NameServer.
  auto n = [&](std::string name, std::string key, auto fn, std::string also = "") {
    c.push_back({std::move(name), Bin::kNamesrv, 2, std::move(key),
                 [fn](const Ports& p, uint16_t, D d) { return fn(p, d); }, false, std::move(also)});
  };
  n("NamesrvListenPortNotANumber", "listenPort",
    [](const Ports& p, D) { return namesrv(p, {"--listenPort=98x76"}); });
  n("NamesrvListenPortOutOfRange", "listenPort",
    [](const Ports& p, D) { return namesrv(p, {"--listenPort=65536"}); });
  n("NamesrvMetricsPortNotANumber", "metricsPort",
    [](const Ports& p, D) { return namesrv(p, {"--metricsPort=metrics"}); });
  n("NamesrvMetricsPortOutOfRange", "metricsPort",
    [](const Ports& p, D) { return namesrv(p, {"--metricsPort=-3"}); });
  n("NamesrvMetricsPortIsListenPort", "metricsPort",
    [](const Ports& p, D) { return namesrv(p, {"--metricsPort=" + num(p.client)}); });
  n("NamesrvBindAddressNotIp", "bindAddress",
    [](const Ports& p, D) { return namesrv(p, {"--bindAddress=my-host"}); });
  n("NamesrvUnknownKeyInFile", "noSuchNamesrvKey", [](const Ports& p, D d) {
    return namesrv(p, {"--config=" + write(d, "namesrv.conf", "noSuchNamesrvKey=1\n")});
  });
  in_use("NamesrvListenPortInUse", Bin::kNamesrv, "listenPort",
         [](const Ports& p, uint16_t held) { return namesrv(p, {"--listenPort=" + num(held)}); });
  in_use("NamesrvMetricsPortInUse", Bin::kNamesrv, "metricsPort",
         [](const Ports& p, uint16_t held) { return namesrv(p, {"--metricsPort=" + num(held)}); });
  return c;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class BadConfig : public ::testing::TestWithParam<Case> {};

TEST_P(BadConfig, ExitsAtOnceWithOneLineNamingTheKey) {
  const Case& c = GetParam();
  testutil::TempDir dir;
  const Ports ports = pick_ports();
  std::optional<PortHolder> held;
  if (c.hold_port) held.emplace();
  const std::string store = dir.file("store");
  std::vector<std::string> args = c.args(ports, held ? held->port() : 0, dir);
  if (c.bin == Bin::kBroker) {
    args.insert(args.begin(), {RMQ_BROKER_BIN, "--storePathRootDir=" + store});
  } else {
    args.insert(args.begin(), RMQ_NAMESRV_BIN);
  }
  const Finished r = run(args, dir);
  SCOPED_TRACE(r.describe());

  ASSERT_FALSE(r.timed_out) << "hung: no exit within " << kExitLimit.count() << " s";
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "crashed";
  ASSERT_TRUE(WIFEXITED(r.status));
  EXPECT_EQ(WEXITSTATUS(r.status), c.exit_code);
  EXPECT_LT(r.took, 5s);
  // Exactly one non-empty line on stderr, naming the key (and the port when one is in use).
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.back(), '\n');
  const std::string line = r.err.substr(0, r.err.size() - 1);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "more than one line";
  EXPECT_FALSE(line.empty());
  EXPECT_NE(line.find(c.key), std::string::npos) << "does not name " << c.key;
  if (!c.also.empty()) {
    EXPECT_NE(line.find(c.also), std::string::npos) << "no '" << c.also << "'";
  }
  if (c.hold_port) {
    EXPECT_NE(line.find("cannot listen on 0.0.0.0:" + num(held->port()) + " for "),
              std::string::npos);
    EXPECT_NE(line.find("Address already in use"), std::string::npos);
  }
  EXPECT_EQ(line.rfind(c.bin == Bin::kBroker ? "raftmq-broker: " : "raftmq-namesrv: ", 0), 0u);
  EXPECT_TRUE(r.out.empty());  // nothing started
  EXPECT_FALSE(std::filesystem::exists(store)) << "the store was opened";
}

INSTANTIATE_TEST_SUITE_P(Cases, BadConfig, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

// A started process, stopped with SIGTERM at the end of the test.
class Server {
 public:
  Server(std::vector<std::string> args, const testutil::TempDir& dir)
      : out_(dir.file("server.out")), err_(dir.file("server.err")) {
    pid_ = testutil::spawn_captured(args, out_, err_);
  }
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)testutil::wait_exit(pid_, 5s);
    }
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  std::string out() const { return read_file(out_); }
  std::string err() const { return read_file(err_); }
  bool alive() const { return pid_ > 0 && !testutil::wait_exit(pid_, 0ms).has_value(); }
  // SIGTERM; the exit status (nullopt when it did not exit within 20 s).
  std::optional<int> stop() {
    ::kill(pid_, SIGTERM);
    auto st = testutil::wait_exit(pid_, 20s);
    if (st) pid_ = -1;
    return st;
  }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
};

// Peer hosts with '-' parse: the id ends at the first '-'. Nothing resolves a host with '-' to
// 127.0.0.1 on a stock machine, so n2 and n3 are names under .invalid (RFC 6761: never resolve):
// n1 must start, serve, and try those exact host:port pairs (the log shows the resolver failing
// on them: a resolution error, not a parse error). A trailing ';' is accepted.
TEST(GoodConfig, PeerHostsWithDashParseAndTheNodeStarts) {
  testutil::TempDir dir;
  const Ports p = pick_ports();
  const std::string list = "n1-127.0.0.1:" + num(p.r1) + ";n2-peer-two.invalid:" + num(p.r2) +
                           ";n3-raftmq-n3.invalid:" + num(p.r3) + ";";
  Server s(
      {RMQ_BROKER_BIN, "--storePathRootDir=" + dir.file("store"), "--listenPort=" + num(p.client),
       "--set=metricsPort=" + num(p.metrics), "--dLegerSelfId=n1", "--dLegerPeers=" + list,
       "--namesrvAddr=127.0.0.1:1", "--log_level=debug"},
      dir);
  const std::string listening = "listening on 127.0.0.1:" + num(p.client);
  ASSERT_TRUE(
      testutil::eventually([&] { return s.out().find(listening) != std::string::npos; }, 20s))
      << s.out() << s.err();
  for (const std::string& peer :
       {"peer-two.invalid:" + num(p.r2), "raftmq-n3.invalid:" + num(p.r3)}) {
    EXPECT_TRUE(testutil::eventually(
        [&] { return s.err().find("resolve " + peer + " failed") != std::string::npos; }, 20s))
        << "n1 never tried " << peer << "\n"
        << s.err();
  }
  EXPECT_TRUE(s.alive());
  EXPECT_EQ(s.err().find("configuration error"), std::string::npos);
  auto st = s.stop();
  ASSERT_TRUE(st.has_value()) << "no exit within 20 s of SIGTERM";
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << s.err();
}

// The value of the first series `name` of a scrape whose labels contain `label` ("" if none).
std::string series_value(const std::string& scrape, const std::string& name,
                         const std::string& label = "") {
  std::istringstream in(scrape);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "{", 0) != 0 || line.find(label) == std::string::npos) continue;
    return line.substr(line.rfind(' ') + 1);
  }
  return "";
}

// The node's own host is only what the others dial (it binds bindAddress), so a one-node group
// named "n1-raftmq-node-1.invalid:port" elects itself and accepts writes (seen on /metrics).
TEST(GoodConfig, OwnHostWithDashServesAsLeader) {
  testutil::TempDir dir;
  const Ports p = pick_ports();
  Server s({RMQ_BROKER_BIN, "--storePathRootDir=" + dir.file("store"),
            "--listenPort=" + num(p.client), "--set=metricsPort=" + num(p.metrics),
            "--dLegerSelfId=n1", "--dLegerPeers=n1-raftmq-node-1.invalid:" + num(p.r1),
            "--namesrvAddr=127.0.0.1:1", "--log_level=warn"},
           dir);
  std::string body;
  const bool writable = testutil::eventually(
      [&] {
        auto r = testutil::http_get("127.0.0.1:" + num(p.metrics), "/metrics", 1s);
        if (!r.ok()) return false;
        body = r->body;
        return series_value(body, "raftmq_broker_writable") == "1" &&
               series_value(body, "raftmq_raft_role", "role=\"leader\"") == "1";
      },
      20s);
  EXPECT_TRUE(writable) << body << "\n" << s.out() << s.err();
  auto st = s.stop();
  ASSERT_TRUE(st.has_value()) << "no exit within 20 s of SIGTERM";
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << s.err();
}

}  // namespace
}  // namespace rmq
