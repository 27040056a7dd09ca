// Plain-socket HTTP/1.1 helpers for tests of the /metrics endpoints (no HTTP library on purpose:
// a test must be able to send broken requests), and `promtool check metrics` on a scrape.
// Blocking, bounded by timeouts; any thread.
#pragma once

#include "common/result.h"
#include "common/status.h"

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace rmq::testutil {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Connects to "host:port", writes `raw`, then reads until the peer closes or `timeout` passes
// (whatever arrived by then is returned). Error when it cannot connect or write.
common::Result<std::string> http_exchange(
    const std::string& addr, std::string_view raw,
    std::chrono::milliseconds timeout = std::chrono::seconds(5));
// Parses one response (status line, headers, Content-Length body) from the front of `raw`.
common::Result<HttpResponse> parse_http_response(std::string_view raw);
// GET `path` with "Connection: close".
common::Result<HttpResponse> http_get(const std::string& addr, const std::string& path,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Runs `promtool check metrics` on `text`. OK when it accepts it; NotFound when
// promtool is not installed (package prometheus); otherwise InvalidArgument with its output.
common::Status promtool_check_metrics(const std::string& text);

}  // namespace rmq::testutil
