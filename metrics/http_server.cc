#include "metrics/http_server.h"

#include "common/logging.h"

// Boost 1.74's Asio uses std::exchange without including <utility> (see remoting/asio.h), so
// <utility> must come first.
// clang-format off
#include <utility>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on

#include <array>
#include <atomic>
#include <exception>
#include <optional>
#include <pthread.h>
#include <string_view>
#include <thread>

namespace rmq::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using common::Status;

namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

std::shared_ptr<spdlog::logger> logger() { return common::logger("metrics"); }

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions o, const Registry& r) : options(std::move(o)), registry(r) {}

  const HttpServerOptions options;
  const Registry& registry;
  std::atomic<size_t> active{0};
  std::atomic<uint64_t> served{0};
  uint16_t port = 0;
  bool started = false;
  // Destroyed in this order by stop(): acceptor, then the io_context (which destroys the pending
  // handlers and with them every session and its socket).
  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;

  void do_accept();
};

namespace {

// One client connection: read a request, answer it, repeat while keep-alive. Owned by the
// handlers in flight (shared_ptr); the server thread only.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& impl)
      : stream_(std::move(socket)), impl_(impl), buffer_(impl.options.max_request_bytes * 2) {}
  ~Session() { impl_.active.fetch_sub(1, std::memory_order_relaxed); }

  void start() { do_read(); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(impl_.options.max_request_bytes));
    parser_->body_limit(impl_.options.max_request_bytes);
    stream_.expires_after(impl_.options.io_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    const auto& http_category = http::make_error_code(http::error::bad_method).category();
    if (!ec) {
      handle(parser_->get());
      return;
    }
    if (ec.category() != http_category || ec == http::error::end_of_stream ||
        ec == http::error::partial_message) {
      close();  // the peer left, timed out, or the socket failed: nobody to answer
      return;
    }
    // Not HTTP, or over the limits: say so once and hang up.
    http::status st = http::status::bad_request;
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      st = http::status::request_header_fields_too_large;
    } else if (ec == http::error::body_limit) {
      st = http::status::payload_too_large;
    }
    respond_plain(st, std::string(http::obsolete_reason(st)) + ": " + ec.message() + "\n",
                  /*keep_alive=*/false, /*head=*/false);
  }

  void handle(const http::request<http::string_body>& req) {
    std::string_view target(req.target().data(), req.target().size());
    if (const size_t q = target.find('?'); q != std::string_view::npos)
      target = target.substr(0, q);
    const bool head = req.method() == http::verb::head;
    if (target != "/metrics") {
      respond_plain(http::status::not_found, "not found: the metrics are at /metrics\n",
                    req.keep_alive(), head);
      return;
    }
    if (req.method() != http::verb::get && !head) {
      res_ = {};
      res_.set(http::field::allow, "GET, HEAD");
      respond_plain(http::status::method_not_allowed, "only GET and HEAD\n", req.keep_alive(), head,
                    /*reset=*/false);
      return;
    }
    std::string body;
    try {
      body = impl_.registry.render();
    } catch (const std::exception& e) {
      logger()->error("{}: rendering the metrics failed: {}", impl_.options.name, e.what());
      respond_plain(http::status::internal_server_error, "rendering failed\n", false, head);
      return;
    }
    res_ = {};
    res_.result(http::status::ok);
    res_.version(11);
    res_.set(http::field::content_type, kContentType);
    res_.keep_alive(req.keep_alive());
    res_.body() = std::move(body);
    res_.prepare_payload();
    if (head) res_.body().clear();  // Content-Length still tells the size of the GET answer
    write();
  }

  void respond_plain(http::status st, std::string text, bool keep_alive, bool head,
                     bool reset = true) {
    if (reset) res_ = {};
    res_.result(st);
    res_.version(11);
    res_.set(http::field::content_type, "text/plain; charset=utf-8");
    res_.keep_alive(keep_alive);
    res_.body() = std::move(text);
    res_.prepare_payload();
    if (head) res_.body().clear();
    write();
  }

  void write() {
    impl_.served.fetch_add(1, std::memory_order_relaxed);
    stream_.expires_after(impl_.options.io_timeout);
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->close();
      } else if (!self->res_.keep_alive()) {
        self->linger_close();
      } else {
        self->do_read();
      }
    });
  }

  // Half-closes, then reads and drops what the client still sends (a refused oversized request)
  // for a moment before closing: closing with unread input would reset the connection, and the
  // client could lose the answer.
  void linger_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(1));
    drain(0);
  }

  void drain(size_t drained) {
    stream_.async_read_some(asio::buffer(drain_buf_),
                            [self = shared_from_this(), drained](beast::error_code ec, size_t n) {
                              if (ec || drained + n > kMaxDrain) {
                                self->close();
                                return;
                              }
                              self->drain(drained + n);
                            });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  static constexpr size_t kMaxDrain = 1 << 20;
  std::array<char, 4096> drain_buf_{};
  beast::tcp_stream stream_;
  HttpServer::Impl& impl_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
};

}  // namespace

void HttpServer::Impl::do_accept() {
  acceptor->async_accept([this](beast::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (ec) {
      logger()->warn("{}: accept failed: {}", options.name, ec.message());
    } else if (active.fetch_add(1, std::memory_order_relaxed) >= options.max_connections) {
      active.fetch_sub(1, std::memory_order_relaxed);
      beast::error_code ignored;
      s.close(ignored);
    } else {
      std::make_shared<Session>(std::move(s), *this)->start();
    }
    do_accept();
  });
}

HttpServer::HttpServer(HttpServerOptions options, const Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), registry)) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  Impl& m = *impl_;
  if (m.started) return Status::ok();
  beast::error_code ec;
  const auto address = asio::ip::make_address(m.options.bind_address, ec);
  if (ec) return Status::invalid_argument("bad bind address '" + m.options.bind_address + "'");
  const tcp::endpoint ep(address, m.options.port);
  const std::string where = m.options.bind_address + ":" + std::to_string(m.options.port);
  m.io = std::make_unique<asio::io_context>(1);
  m.acceptor = std::make_unique<tcp::acceptor>(*m.io);
  m.acceptor->open(ep.protocol(), ec);
  if (!ec) m.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) m.acceptor->bind(ep, ec);
  if (!ec) m.acceptor->listen(64, ec);
  if (ec) {
    const std::string why = ec.message();
    m.acceptor.reset();
    m.io.reset();
    return Status::io_error("cannot listen on " + where + " (" + m.options.name + "): " + why);
  }
  m.port = m.acceptor->local_endpoint(ec).port();
  m.started = true;
  m.do_accept();
  m.thread = std::thread([&m] {
    const std::string name = m.options.name.substr(0, 15);
    pthread_setname_np(pthread_self(), name.c_str());
    for (;;) {
      try {
        m.io->run();
        return;
      } catch (const std::exception& e) {
        logger()->error("{}: handler failed: {}", m.options.name, e.what());
      } catch (...) {
        logger()->error("{}: handler failed", m.options.name);
      }
    }
  });
  logger()->info("{} serving GET /metrics on {}:{}", m.options.name, m.options.bind_address,
                 m.port);
  return Status::ok();
}

void HttpServer::stop() {
  Impl& m = *impl_;
  if (!m.started) return;
  m.started = false;
  m.io->stop();
  if (m.thread.joinable()) m.thread.join();
  beast::error_code ignored;
  m.acceptor->close(ignored);
  m.acceptor.reset();
  m.io.reset();  // destroys the sessions still waiting: their sockets close
}

uint16_t HttpServer::port() const { return impl_->port; }

uint64_t HttpServer::requests_served() const {
  return impl_->served.load(std::memory_order_relaxed);
}

}  // namespace rmq::metrics
