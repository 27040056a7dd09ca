// metrics::HttpServer in-process over real loopback TCP: GET/HEAD /metrics with the exposition
// content type, 404 and 405, keep-alive, malformed and oversized requests (400/431, connection
// closed, server still serving), the connection cap, a port in use, a clean stop with clients
// connected; and promtool accepting a registry that uses every metric type and escaping.
#include "metrics/http_server.h"
#include "metrics/registry.h"
#include "tests/testutil/http.h"
#include "tests/testutil/wait.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <chrono>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace rmq::metrics {
namespace {

using namespace std::chrono_literals;

class MetricsHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.counter("t_requests_total", "Requests \"seen\".", {{"code", "10"}}).inc(3);
    registry_.gauge("t_level", "A level\nwith a second line.", {{"path", "C:\\x \"y\""}}).set(0.5);
    auto& h = registry_.histogram("t_latency_seconds", "Latency.", latency_buckets_seconds());
    h.observe(0.003);
    h.observe(2);
    registry_.collector("t_peer_lag_entries", "Lag.", MetricType::kGauge,
                        [](std::vector<Sample>& out) {
                          out.push_back({{{"peer", "n2"}}, 7});
                        });
    HttpServerOptions o;
    o.bind_address = "127.0.0.1";
    o.max_connections = 4;
    o.io_timeout = 2s;
    server_ = std::make_unique<HttpServer>(o, registry_);
    ASSERT_TRUE(server_->start().is_ok());
    addr_ = "127.0.0.1:" + std::to_string(server_->port());
  }

  void expect_serving() {
    auto r = testutil::http_get(addr_, "/metrics");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("t_requests_total{node=\"n1\",code=\"10\"} 3"), std::string::npos)
        << r->body;
  }

  Registry registry_{Labels{{"node", "n1"}}};
  std::unique_ptr<HttpServer> server_;
  std::string addr_;
};

TEST_F(MetricsHttpTest, GetMetricsAnswersTheRegistryInTextFormat004) {
  auto r = testutil::http_get(addr_, "/metrics");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r->body, registry_.render());
  // A query string is ignored.
  auto q = testutil::http_get(addr_, "/metrics?x=1");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->status, 200);
}

TEST_F(MetricsHttpTest, PromtoolAcceptsTheScrape) {
  auto r = testutil::http_get(addr_, "/metrics");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const common::Status st = testutil::promtool_check_metrics(r->body);
  EXPECT_TRUE(st.is_ok()) << st.to_string() << "\n" << r->body;
}

TEST_F(MetricsHttpTest, OtherPathsAre404OtherMethods405HeadHasNoBody) {
  auto r = testutil::http_get(addr_, "/");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  r = testutil::http_get(addr_, "/metricsx");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);

  auto raw = testutil::http_exchange(
      addr_,
      "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
  ASSERT_TRUE(raw.ok());
  auto post = testutil::parse_http_response(*raw);
  ASSERT_TRUE(post.ok()) << *raw;
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->headers["allow"], "GET, HEAD");

  raw = testutil::http_exchange(addr_,
                                "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(raw.ok());
  const size_t head_end = raw->find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << *raw;
  EXPECT_EQ(raw->substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_EQ(raw->size(), head_end + 4) << "HEAD must not send a body";
  EXPECT_NE(raw->find("Content-Length: " + std::to_string(registry_.render().size())),
            std::string::npos)
      << *raw;
}

TEST_F(MetricsHttpTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  const std::string one = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string last = "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto raw = testutil::http_exchange(addr_, one + one + last);
  ASSERT_TRUE(raw.ok());
  auto first = testutil::parse_http_response(*raw);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->status, 200);
  size_t responses = 0;
  for (size_t p = 0; (p = raw->find("HTTP/1.1 ", p)) != std::string::npos; ++p) ++responses;
  EXPECT_EQ(responses, 3u) << *raw;
  EXPECT_NE(raw->find("HTTP/1.1 404"), std::string::npos);
}

TEST_F(MetricsHttpTest, MalformedRequestsGet400AndTheServerStaysUp) {
  const std::string bad[] = {
      "GARBAGE\r\n\r\n",
      std::string("\x00\x01\x02\xff\r\n\r\n", 8),
      "GET /metrics HTTP/9.9\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nNo colon here\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
  };
  for (const auto& req : bad) {
    auto raw = testutil::http_exchange(addr_, req, 3s);
    ASSERT_TRUE(raw.ok()) << raw.status().to_string();
    auto r = testutil::parse_http_response(*raw);
    ASSERT_TRUE(r.ok()) << "no answer to a bad request: " << r.status().to_string();
    EXPECT_EQ(r->status, 400) << *raw;
    expect_serving();
  }
  // A request cut off in the middle, then the client leaves: nothing to answer, still serving.
  auto raw = testutil::http_exchange(addr_, "GET /met", 200ms);
  ASSERT_TRUE(raw.ok());
  expect_serving();
}

TEST_F(MetricsHttpTest, OversizedRequestsAreRefusedAndClosed) {
  const std::string huge_header =
      "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  auto raw = testutil::http_exchange(addr_, huge_header);
  ASSERT_TRUE(raw.ok()) << raw.status().to_string();
  auto r = testutil::parse_http_response(*raw);
  ASSERT_TRUE(r.ok()) << *raw;
  EXPECT_EQ(r->status, 431);

  const std::string huge_body =
      "POST /metrics HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n" + std::string(20 * 1024, 'b');
  raw = testutil::http_exchange(addr_, huge_body);
  ASSERT_TRUE(raw.ok());
  r = testutil::parse_http_response(*raw);
  ASSERT_TRUE(r.ok()) << *raw;
  EXPECT_EQ(r->status, 413);
  expect_serving();
}

TEST_F(MetricsHttpTest, ConnectionsOverTheCapAreClosedAndIdleOnesTimeOut) {
  std::vector<int> fds;
  auto connect_one = [&] {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(server_->port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    return fd;
  };
  for (int i = 0; i < 4; ++i) fds.push_back(connect_one());  // the cap: 4 idle connections
  // A fifth is accepted and closed at once.
  const int extra = connect_one();
  char c = 0;
  EXPECT_EQ(::recv(extra, &c, 1, 0), 0);
  ::close(extra);
  // The idle ones are dropped after io_timeout (2 s); then scrapes work again.
  EXPECT_TRUE(testutil::eventually(
      [&] {
        auto r = testutil::http_get(addr_, "/metrics", 500ms);
        return r.ok() && r->status == 200;
      },
      10s));
  for (int fd : fds) ::close(fd);
}

TEST_F(MetricsHttpTest, PortInUseFailsStartWithIoError) {
  HttpServerOptions o;
  o.bind_address = "127.0.0.1";
  o.port = server_->port();
  HttpServer second(o, registry_);
  const common::Status st = second.start();
  EXPECT_EQ(st.code(), common::Code::kIOError) << st.to_string();
  EXPECT_NE(st.to_string().find("Address already in use"), std::string::npos) << st.to_string();
  o.bind_address = "not-an-address";
  HttpServer third(o, registry_);
  EXPECT_EQ(third.start().code(), common::Code::kInvalidArgument);
}

TEST_F(MetricsHttpTest, StopClosesIdleClientsAndFreesThePort) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(server_->port());
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  expect_serving();  // the idle client has surely been accepted by now
  const uint16_t port = server_->port();
  server_->stop();
  char c = 0;
  EXPECT_LE(::recv(fd, &c, 1, 0), 0);  // closed (0) or reset (-1)
  ::close(fd);
  HttpServerOptions o;
  o.bind_address = "127.0.0.1";
  o.port = port;
  HttpServer again(o, registry_);
  EXPECT_TRUE(again.start().is_ok());
}

}  // namespace
}  // namespace rmq::metrics
