// HttpServer: the Prometheus scrape endpoint. A Boost.Beast HTTP/1.1 server on one thread of its
// own (one io_context): GET or HEAD /metrics answers the registry's text (Content-Type
// text/plain; version=0.0.4), any other path 404, another method on /metrics 405. Requests are
// bounded (header and body size, read and write time, concurrent connections); a request that
// does not parse gets 400 and the connection is closed, and nothing a client sends can stop the
// server. Lifecycle: construct, start() (binds; error when the port cannot be bound), stop()
// (also in the destructor; joins the thread). start() and stop() from one thread.
#pragma once

#include "common/status.h"
#include "metrics/registry.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace rmq::metrics {

struct HttpServerOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 0;                             // 0: any free port (see port())
  size_t max_request_bytes = 8 * 1024;           // request line + headers, and again the body
  size_t max_connections = 32;                   // further connections are closed at once
  std::chrono::milliseconds io_timeout{10'000};  // per read and per write
  std::string name = "metrics";                  // thread name and log prefix
};

class HttpServer {
 public:
  // REQUIRES: `registry` outlives the server.
  HttpServer(HttpServerOptions options, const Registry& registry);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the thread. InvalidArgument for a bad bind address; IOError naming the
  // address and the reason when it cannot listen (e.g. "Address already in use").
  [[nodiscard]] common::Status start();
  void stop();
  // The bound port. REQUIRES: start() succeeded.
  uint16_t port() const;
  // Requests answered so far (any status), for tests.
  uint64_t requests_served() const;

  struct Impl;  // opaque (public only so that the .cc's connection type can name it)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rmq::metrics
