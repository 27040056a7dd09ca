// Real TCP on 127.0.0.1: server and client of remoting/ talking to each other and to raw sockets
// that send malformed frames. Waits are for conditions (bounded), never fixed sleeps.
#include "common/bytes.h"
#include "common/clock.h"
#include "common/executor.h"
#include "common/thread_pool.h"
#include "remoting/client.h"
#include "remoting/frame_codec.h"
#include "remoting/server.h"
#include "tests/testutil/wait.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <ctime>
#include <functional>
#include <future>
#include <latch>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <set>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace rmq::remoting {
namespace {

using namespace std::chrono_literals;
using common::Buffer;
using common::Status;

constexpr int32_t kEcho = 9001;
constexpr int32_t kBlock = 9002;
constexpr int32_t kThrow = 9003;
constexpr int32_t kCount = 9004;
constexpr int32_t kLater = 9005;
constexpr int32_t kSilent = 9006;  // processed, never answered

template <typename Pred>
bool eventually(Pred pred) {
  return testutil::eventually(pred, 10s);
}

RemotingCommand echo_request(std::string_view body) {
  auto req = RemotingCommand::request(kEcho);
  req.ext_fields.set("topic", "TopicA");
  req.body = Buffer(body);
  return req;
}

// Registers kEcho on `server`, answering with the request's body on the I/O thread that read it;
// `on_call` (if any) runs first.
void register_inline_echo(Server& server, std::function<void()> on_call = {}) {
  server.registry().register_processor(
      kEcho,
      std::make_shared<FunctionProcessor>(
          [on_call = std::move(on_call)](const RequestContext&,
                                         RemotingCommand& req) -> std::optional<RemotingCommand> {
            if (on_call) on_call();
            auto resp = RemotingCommand::response_to(req, ResponseCode::kSuccess);
            resp.body = std::move(req.body);
            return resp;
          }),
      std::make_shared<common::InlineExecutor>());
}

class LoopbackTest : public ::testing::Test {
 protected:
  void SetUp() override { start_server(common::SteadyClock::instance()); }

  void start_server(common::Clock& clock, common::Duration idle = 120s) {
    ServerOptions so;
    so.bind_address = "127.0.0.1";
    so.endpoint.name = "test-srv";
    so.endpoint.io_threads = 2;
    so.endpoint.idle_timeout = idle;
    so.endpoint.connection.max_frame_size = 8 * 1024 * 1024;
    server_ = std::make_unique<Server>(so, clock);
    pool_ = std::make_shared<common::ThreadPool>("echo", 4, 10000);
    auto echo = std::make_shared<FunctionProcessor>(
        [](const RequestContext&, RemotingCommand& req) -> std::optional<RemotingCommand> {
          auto resp = RemotingCommand::response_to(req, ResponseCode::kSuccess);
          resp.ext_fields.set("queueOffset", req.ext_int("n").value_or(0));
          resp.body = std::move(req.body);
          return resp;
        });
    server_->registry().register_processor(kEcho, echo, pool_);
    server_->registry().register_processor(
        kThrow,
        std::make_shared<FunctionProcessor>(
            [](const RequestContext&, RemotingCommand&) -> std::optional<RemotingCommand> {
              throw std::runtime_error("boom");
            }),
        pool_);
    server_->registry().register_processor(
        kCount,
        std::make_shared<FunctionProcessor>(
            [this](const RequestContext&, RemotingCommand& req) -> std::optional<RemotingCommand> {
              counted_.fetch_add(1);
              return RemotingCommand::response_to(req, ResponseCode::kSuccess);
            }),
        pool_);
    server_->registry().register_processor(
        kSilent,
        std::make_shared<FunctionProcessor>(
            [](const RequestContext&, RemotingCommand&) -> std::optional<RemotingCommand> {
              return std::nullopt;
            }),
        pool_);
    ASSERT_TRUE(server_->start().is_ok());
    address_ = "127.0.0.1:" + std::to_string(server_->port());
  }

  std::unique_ptr<Client> make_client(common::Clock& clock = common::SteadyClock::instance()) {
    auto c = std::make_unique<Client>(ClientOptions{}, clock);
    c->start();
    return c;
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (pool_) pool_->stop();
  }

  common::ManualClock manual_clock_;  // declared first: destroyed after the server
  std::unique_ptr<Server> server_;
  std::shared_ptr<common::ThreadPool> pool_;
  std::string address_;
  std::atomic<int> counted_{0};
};

// Opens a raw TCP socket to the server for sending arbitrary bytes.
int raw_connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// True if the server closes the socket (read returns 0 or ECONNRESET) within the receive timeout.
bool closed_by_peer(int fd) {
  char buf[256];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
}

TEST_F(LoopbackTest, SyncCallsEchoBodyAndHeaders) {
  auto client = make_client();
  for (int i = 1; i <= 200; ++i) {
    auto req = echo_request("hello " + std::to_string(i));
    req.ext_fields.set("n", int64_t{i});
    auto resp = client->invoke_sync(address_, std::move(req), 3s);
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->code, 0);
    EXPECT_TRUE(resp->is_response());
    EXPECT_EQ(resp->body.str(), "hello " + std::to_string(i));
    EXPECT_EQ(*resp->ext("queueOffset"), std::to_string(i));
  }
  EXPECT_EQ(client->connection_count(), 1u);
}

TEST_F(LoopbackTest, ManyConcurrentAsyncCallsFromManyThreads) {
  auto client = make_client();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::atomic<int> ok{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string body = std::to_string(t) + ":" + std::to_string(i);
        client->invoke_async(address_, echo_request(body), 10s,
                             [&, body](common::Result<RemotingCommand> r) {
                               if (r.ok() && r->body.str() == body) {
                                 ok.fetch_add(1);
                               } else {
                                 bad.fetch_add(1);
                               }
                             });
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(eventually([&] { return ok.load() + bad.load() == kThreads * kPerThread; }));
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(client->response_table().size(), 0u);
}

// A WriteBatch holds what its thread sends until it ends, then all of it goes out (in order).
TEST_F(LoopbackTest, WriteBatchHoldsFramesUntilItEnds) {
  auto client = make_client();
  ASSERT_TRUE(client->invoke_sync(address_, echo_request("warm"), 3s).ok());  // connected
  constexpr int kCalls = 50;
  std::atomic<int> answered{0};
  std::vector<std::string> order;
  std::mutex mu;
  {
    WriteBatch batch;
    for (int i = 0; i < kCalls; ++i) {
      client->invoke_async(address_, echo_request(std::to_string(i)), 10s,
                           [&](common::Result<RemotingCommand> r) {
                             ASSERT_TRUE(r.ok()) << r.status();
                             std::lock_guard lock(mu);
                             order.emplace_back(r->body.str());
                             answered.fetch_add(1);
                           });
    }
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(answered.load(), 0) << "nothing may leave before the batch ends";
  }
  ASSERT_TRUE(eventually([&] { return answered.load() == kCalls; }));
  std::lock_guard lock(mu);
  std::set<std::string> got(order.begin(), order.end());
  EXPECT_EQ(got.size(), static_cast<size_t>(kCalls)) << "every frame arrives exactly once";
}

// A server on a context another component runs (EndpointOptions::shared_io, as the broker's
// client connections on the Raft node's thread): reads, inline processing and writes all happen
// on that thread, stop() closes the connections while the context keeps running, and the context
// can go on (and stop) after the server is gone.
TEST(SharedIoServerTest, ConnectionsLiveOnTheOwnersThreadAndStopClosesThem) {
  boost::asio::io_context owner_io(1);
  auto guard = boost::asio::make_work_guard(owner_io);
  std::thread owner([&] { owner_io.run(); });
  const auto owner_id = owner.get_id();

  ServerOptions so;
  so.bind_address = "127.0.0.1";
  so.endpoint.name = "shared-srv";
  so.endpoint.shared_io = &owner_io;
  auto server = std::make_unique<Server>(so, common::SteadyClock::instance());
  std::atomic<int> on_owner{0};
  std::atomic<int> elsewhere{0};
  register_inline_echo(*server, [&] {
    (std::this_thread::get_id() == owner_id ? on_owner : elsewhere).fetch_add(1);
  });
  ASSERT_TRUE(server->start().is_ok());
  const std::string address = "127.0.0.1:" + std::to_string(server->port());

  Client client(ClientOptions{}, common::SteadyClock::instance());
  client.start();
  for (int i = 0; i < 20; ++i) {
    auto resp = client.invoke_sync(address, echo_request("on the owner " + std::to_string(i)), 3s);
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->body.str(), "on the owner " + std::to_string(i));
  }
  EXPECT_EQ(on_owner.load(), 20);
  EXPECT_EQ(elsewhere.load(), 0);

  const int fd = raw_connect(server->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(testutil::eventually([&] { return server->connection_count() == 2; }, 10s));
  server->stop();  // the owner's thread still runs: the connections close now
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);
  server.reset();

  // The owner's context keeps serving its own work after the server is gone.
  std::promise<std::thread::id> ran;
  boost::asio::post(owner_io, [&] { ran.set_value(std::this_thread::get_id()); });
  EXPECT_EQ(ran.get_future().get(), owner_id);
  client.stop();
  guard.reset();
  owner_io.stop();
  owner.join();
}

// An endpoint whose I/O thread polls before it sleeps (EndpointOptions::idle_spin, the broker's
// raftIdleSpinMicros) serves as usual, goes to sleep once idle (it does not burn a core), and
// stops.
TEST(IdleSpinTest, SpinningServerServesThenSleepsAndStops) {
  ServerOptions so;
  so.bind_address = "127.0.0.1";
  so.endpoint.name = "spin-srv";
  so.endpoint.io_threads = 1;
  so.endpoint.idle_spin = std::chrono::microseconds(200);
  Server server(so, common::SteadyClock::instance());
  register_inline_echo(server);
  ASSERT_TRUE(server.start().is_ok());
  const std::string address = "127.0.0.1:" + std::to_string(server.port());
  Client client(ClientOptions{}, common::SteadyClock::instance());
  client.start();
  for (int i = 0; i < 200; ++i) {
    auto resp = client.invoke_sync(address, echo_request("spin " + std::to_string(i)), 3s);
    ASSERT_TRUE(resp.ok()) << resp.status();
    ASSERT_EQ(resp->body.str(), "spin " + std::to_string(i));
  }
  // Idle for 300 ms: a thread that kept polling would use about as much CPU.
  auto cpu_now = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  };
  std::this_thread::sleep_for(20ms);
  const auto cpu0 = cpu_now();
  std::this_thread::sleep_for(300ms);
  EXPECT_LT(cpu_now() - cpu0, 100ms);
  client.stop();
  server.stop();
}

// ConnectionOptions::tcp_user_timeout reaches the socket of a client connection (the DLedger
// transport's peer links use it so that a link stuck after a partition is replaced).
TEST_F(LoopbackTest, UserTimeoutIsSetOnClientSockets) {
  ClientOptions co;
  co.endpoint.connection.tcp_user_timeout = 1500ms;
  Client client(co, common::SteadyClock::instance());
  client.start();
  ASSERT_TRUE(client.invoke_sync(address_, echo_request("hello"), 3s).ok());
  // Find this process's socket connected to the server's port and read the option back.
  const uint16_t port = server_->port();
  unsigned int found = 0;
  for (int fd = 3; fd < 4096 && found == 0; ++fd) {
    sockaddr_in peer{};
    socklen_t len = sizeof(peer);
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
    if (peer.sin_family != AF_INET || ntohs(peer.sin_port) != port) continue;
    unsigned int value = 0;
    socklen_t vlen = sizeof(value);
    if (::getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &value, &vlen) == 0) found = value;
  }
  EXPECT_EQ(found, 1500u);
  client.stop();
}

TEST_F(LoopbackTest, OnewayGetsNoResponse) {
  auto client = make_client();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(client->invoke_oneway(address_, RemotingCommand::request(kCount)).is_ok());
  }
  ASSERT_TRUE(eventually([&] { return counted_.load() == 50; }));
  // A sync call after them proves the connection is healthy and nothing else arrived.
  auto resp = client->invoke_sync(address_, echo_request("after"), 3s);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->body.str(), "after");
  EXPECT_EQ(client->response_table().size(), 0u);
}

TEST_F(LoopbackTest, UnknownCodeIsNotSupported) {
  auto client = make_client();
  auto resp = client->invoke_sync(address_, RemotingCommand::request(4242), 3s);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->code, static_cast<int32_t>(ResponseCode::kRequestCodeNotSupported));
  ASSERT_TRUE(resp->remark.has_value());
  EXPECT_EQ(*resp->remark, " request type 4242 not supported");
}

TEST_F(LoopbackTest, ProcessorExceptionBecomesSystemError) {
  auto client = make_client();
  auto resp = client->invoke_sync(address_, RemotingCommand::request(kThrow), 3s);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->code, static_cast<int32_t>(ResponseCode::kSystemError));
  // The server keeps serving.
  EXPECT_TRUE(client->invoke_sync(address_, echo_request("x"), 3s).ok());
}

TEST_F(LoopbackTest, FullExecutorAnswersSystemBusy) {
  auto one = std::make_shared<common::ThreadPool>("busy", 1, 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> started{0};
  server_->stop();
  ServerOptions so;
  so.bind_address = "127.0.0.1";
  server_ = std::make_unique<Server>(so, common::SteadyClock::instance());
  server_->registry().register_processor(
      kBlock,
      std::make_shared<FunctionProcessor>(
          [&](const RequestContext&, RemotingCommand& req) -> std::optional<RemotingCommand> {
            started.fetch_add(1);
            released.wait();
            return RemotingCommand::response_to(req, ResponseCode::kSuccess);
          }),
      one);
  ASSERT_TRUE(server_->start().is_ok());
  address_ = "127.0.0.1:" + std::to_string(server_->port());
  auto client = make_client();

  std::vector<std::promise<int32_t>> codes(3);
  auto send = [&](int i) {
    client->invoke_async(address_, RemotingCommand::request(kBlock), 10s,
                         [&, i](common::Result<RemotingCommand> r) {
                           codes[static_cast<size_t>(i)].set_value(r.ok() ? r->code : -1);
                         });
  };
  send(0);
  ASSERT_TRUE(eventually([&] { return started.load() == 1; }));  // worker busy
  send(1);                                                       // fills the queue
  ASSERT_TRUE(eventually([&] { return one->queue_size() == 1; }));
  send(2);  // rejected
  EXPECT_EQ(codes[2].get_future().get(), static_cast<int32_t>(ResponseCode::kSystemBusy));
  release.set_value();
  EXPECT_EQ(codes[0].get_future().get(), 0);
  EXPECT_EQ(codes[1].get_future().get(), 0);
  one->stop();
}

TEST_F(LoopbackTest, HandlerAnswersLaterFromAnotherThread) {
  std::mutex mu;
  std::vector<std::pair<Responder, RemotingCommand>> parked;
  class Parking final : public RequestProcessor {
   public:
    Parking(std::mutex& m, std::vector<std::pair<Responder, RemotingCommand>>& p) : mu_(m), p_(p) {}
    void process(const RequestContext&, RemotingCommand req, Responder r) override {
      std::lock_guard lock(mu_);
      p_.emplace_back(std::move(r), std::move(req));
    }
    std::mutex& mu_;
    std::vector<std::pair<Responder, RemotingCommand>>& p_;
  };
  server_->stop();
  ServerOptions so;
  so.bind_address = "127.0.0.1";
  server_ = std::make_unique<Server>(so, common::SteadyClock::instance());
  // Inline: process() runs on the I/O thread and returns at once; nothing blocks.
  server_->registry().register_processor(kLater, std::make_shared<Parking>(mu, parked),
                                         std::make_shared<common::InlineExecutor>());
  ASSERT_TRUE(server_->start().is_ok());
  address_ = "127.0.0.1:" + std::to_string(server_->port());
  auto client = make_client();

  std::atomic<int> got{0};
  for (int i = 0; i < 10; ++i) {
    auto req = RemotingCommand::request(kLater);
    req.ext_fields.set("i", int64_t{i});
    client->invoke_async(address_, std::move(req), 10s, [&, i](common::Result<RemotingCommand> r) {
      if (r.ok() && r->ext_int("i") == i) got.fetch_add(1);
    });
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return parked.size() == 10;
  }));
  std::thread answerer([&] {
    std::lock_guard lock(mu);
    for (auto it = parked.rbegin(); it != parked.rend(); ++it) {  // out of order on purpose
      auto resp = RemotingCommand::response_to(it->second, ResponseCode::kSuccess);
      resp.ext_fields.set("i", *it->second.ext("i"));
      EXPECT_TRUE(it->first.respond(std::move(resp)));
    }
  });
  answerer.join();
  ASSERT_TRUE(eventually([&] { return got.load() == 10; }));
}

TEST_F(LoopbackTest, TimeoutsComeFromTheInjectedClock) {
  common::ManualClock clock;
  auto client = make_client(clock);
  std::promise<common::Status> result;
  ASSERT_TRUE(client->invoke_sync(address_, echo_request("warm"), 3s).ok());
  client->invoke_async(address_, RemotingCommand::request(kSilent), 1s,
                       [&](common::Result<RemotingCommand> r) {
                         result.set_value(r.ok() ? Status::ok() : r.status());
                       });
  ASSERT_TRUE(eventually([&] { return client->response_table().size() == 1; }));
  EXPECT_EQ(client->scan_once(), 0u);  // real time passing does not expire it
  clock.advance(999ms);
  EXPECT_EQ(client->scan_once(), 0u);
  clock.advance(2ms);
  EXPECT_EQ(client->scan_once(), 1u);
  EXPECT_EQ(result.get_future().get().code(), common::Code::kTimeout);
}

TEST_F(LoopbackTest, ServerSendsRequestsToClientOnTheSameConnection) {
  auto client = make_client();
  std::atomic<int> notified{0};
  client->registry().register_processor(
      RequestCode::kNotifyConsumerIdsChanged,
      std::make_shared<FunctionProcessor>(
          [&](const RequestContext&, RemotingCommand& req) -> std::optional<RemotingCommand> {
            notified.fetch_add(1);
            auto resp = RemotingCommand::response_to(req, ResponseCode::kSuccess);
            resp.ext_fields.set("consumerGroup", *req.ext("consumerGroup"));
            return resp;
          }),
      std::make_shared<common::InlineExecutor>());
  ASSERT_TRUE(client->invoke_sync(address_, echo_request("hi"), 3s).ok());
  ASSERT_EQ(server_->connection_count(), 1u);
  auto conn = server_->connections().front();

  auto req = RemotingCommand::request(RequestCode::kNotifyConsumerIdsChanged);
  req.ext_fields.set("consumerGroup", "G1");
  auto resp = server_->invoke_sync(conn, std::move(req), 3s);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(*resp->ext("consumerGroup"), "G1");

  auto oneway = RemotingCommand::request(RequestCode::kNotifyConsumerIdsChanged);
  oneway.ext_fields.set("consumerGroup", "G2");
  ASSERT_TRUE(server_->invoke_oneway(conn, std::move(oneway)).is_ok());
  ASSERT_TRUE(eventually([&] { return notified.load() == 2; }));
  // The client still works in the other direction.
  EXPECT_TRUE(client->invoke_sync(address_, echo_request("again"), 3s).ok());
}

TEST_F(LoopbackTest, MalformedFramesCloseOnlyTheirConnection) {
  auto client = make_client();
  std::atomic<bool> stop{false};
  std::atomic<int> healthy_ok{0};
  std::atomic<int> healthy_bad{0};
  std::thread healthy([&] {
    while (!stop.load()) {
      auto r = client->invoke_sync(address_, echo_request("still fine"), 3s);
      (r.ok() && r->body.str() == "still fine" ? healthy_ok : healthy_bad).fetch_add(1);
    }
  });

  auto frame_with = [](uint32_t len, uint32_t header_word, std::string_view rest) {
    Buffer b;
    b.put_u32(len);
    b.put_u32(header_word);
    b.put_string(rest);
    return b;
  };
  const std::string bad_json = "{\"code\":10,\"opaque\":";
  std::vector<std::pair<std::string, Buffer>> cases;
  cases.emplace_back("negative length", frame_with(0xFFFFFFF0u, 0, ""));
  cases.emplace_back("length below 4", frame_with(2, 0, ""));
  cases.emplace_back("oversized length", frame_with(64u * 1024 * 1024, 0, ""));
  cases.emplace_back("header beyond frame", frame_with(4 + 10, 500, "0123456789"));
  cases.emplace_back("invalid json", frame_with(static_cast<uint32_t>(4 + bad_json.size()),
                                                static_cast<uint32_t>(bad_json.size()), bad_json));
  cases.emplace_back("unknown serialize type", frame_with(4 + 2, (7u << 24) | 2, "{}"));
  const std::string not_obj = "[1,2]";
  cases.emplace_back("header not an object",
                     frame_with(static_cast<uint32_t>(4 + not_obj.size()),
                                static_cast<uint32_t>(not_obj.size()), not_obj));
  for (const auto& [name, bytes] : cases) {
    const int fd = raw_connect(server_->port());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    EXPECT_TRUE(closed_by_peer(fd)) << name;
    ::close(fd);
  }
  // A truncated frame followed by a disconnect must not disturb anything either.
  {
    const int fd = raw_connect(server_->port());
    Buffer partial = encode_frame(echo_request("partial"));
    ASSERT_GT(::write(fd, partial.data(), partial.size() / 2), 0);
    ::close(fd);
  }
  ASSERT_TRUE(eventually([&] { return healthy_ok.load() > 20; }));
  stop.store(true);
  healthy.join();
  EXPECT_EQ(healthy_bad.load(), 0);
  EXPECT_TRUE(eventually([&] { return server_->connection_count() == 1; }));
}

TEST_F(LoopbackTest, LargeBodyRoundTripAndOversizedFrameRefused) {
  auto client = make_client();
  std::string big(4 * 1024 * 1024, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  auto resp = client->invoke_sync(address_, echo_request(big), 10s);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body.str(), big);

  // The server's limit is 8 MiB: a 9 MiB frame closes the connection; the call fails fast.
  auto huge = client->invoke_sync(address_, echo_request(std::string(9 * 1024 * 1024, 'y')), 10s);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), common::Code::kUnavailable);
  // Reconnects on the next call.
  auto again = client->invoke_sync(address_, echo_request("small"), 3s);
  ASSERT_TRUE(again.ok()) << again.status();
}

TEST_F(LoopbackTest, IdleConnectionsAreClosedAndClientsReconnect) {
  common::ManualClock& clock = manual_clock_;  // outlives the server (TearDown stops it)
  server_->stop();
  start_server(clock, 10s);
  auto client = make_client();
  ASSERT_TRUE(client->invoke_sync(address_, echo_request("a"), 3s).ok());
  ASSERT_EQ(server_->connection_count(), 1u);
  server_->scan_once();
  EXPECT_EQ(server_->connection_count(), 1u);
  clock.advance(11s);
  server_->scan_once();
  ASSERT_TRUE(eventually([&] { return server_->connection_count() == 0; }));
  ASSERT_TRUE(eventually([&] { return client->connection_count() == 0; }));
  auto resp = client->invoke_sync(address_, echo_request("b"), 3s);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body.str(), "b");
}

TEST_F(LoopbackTest, ConnectFailureIsReportedQuickly) {
  auto client = make_client();
  // Bind a socket to get a free port, then close it so nothing listens there.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  const std::string dead = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  auto resp = client->invoke_sync(dead, echo_request("x"), 3s);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), common::Code::kUnavailable);
  EXPECT_NE(resp.status().message().find(dead), std::string_view::npos);
  auto bad = client->invoke_sync("no-port-here", echo_request("x"), 3s);
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace rmq::remoting
