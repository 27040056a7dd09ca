#include "remoting/server.h"

#include "common/logging.h"

#include <pthread.h>

namespace rmq::remoting {

namespace asio = boost::asio;
using asio::ip::tcp;
using common::Status;

Server::Server(ServerOptions options, common::Clock& clock)
    : RemotingEndpoint(options.endpoint, clock), options_(std::move(options)) {}

Server::~Server() { stop(); }

Status Server::start() {
  if (started_) return Status::ok();
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.bind_address, ec);
  if (ec) return Status::invalid_argument("bad bind address '" + options_.bind_address + "'");
  const tcp::endpoint ep(address, options_.port);
  const std::string where = options_.bind_address + ":" + std::to_string(options_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(1024, ec);
  if (ec) {
    const std::string why = ec.message();  // before close() overwrites ec
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return Status::io_error("cannot listen on " + where + ": " + why);
  }
  port_ = acceptor_.local_endpoint(ec).port();
  started_ = true;
  start_io();
  do_accept();
  accept_thread_ = std::thread([this] {
    const std::string name = (options().name + "-acc").substr(0, 15);
    pthread_setname_np(pthread_self(), name.c_str());
    accept_io_.run();
  });
  common::logger("remoting")
      ->info("{} listening on {}:{}", options().name, options_.bind_address, port_);
  return Status::ok();
}

void Server::do_accept() {
  acceptor_.async_accept(next_io(), [this](const boost::system::error_code& ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // EMFILE and friends: log, back off a little by retrying on the next accept.
      common::logger("remoting")->warn("accept failed: {}", ec.message());
    } else {
      auto conn = std::make_shared<Connection>(std::move(s), *this, options().connection, clock());
      {
        std::lock_guard lock(mu_);
        connections_[conn->id()] = conn;
      }
      conn->start();
    }
    do_accept();
  });
}

void Server::stop() {
  if (!started_) return;
  started_ = false;
  asio::post(accept_io_, [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
  accept_io_.stop();
  if (accept_thread_.joinable()) accept_thread_.join();
  for (const auto& conn : connections_snapshot()) conn->close(Status::aborted("server stopping"));
  stop_io();
  std::lock_guard lock(mu_);
  connections_.clear();
}

size_t Server::connection_count() const {
  std::lock_guard lock(mu_);
  return connections_.size();
}

std::vector<ConnectionPtr> Server::connections_snapshot() {
  std::lock_guard lock(mu_);
  std::vector<ConnectionPtr> out;
  out.reserve(connections_.size());
  for (const auto& [id, c] : connections_) out.push_back(c);
  return out;
}

void Server::on_connection_closed(const ConnectionPtr& conn, const Status&) {
  {
    std::lock_guard lock(mu_);
    connections_.erase(conn->id());
  }
  if (close_listener_) close_listener_(conn);
}

}  // namespace rmq::remoting
