#include "remoting/client.h"

namespace rmq::remoting {

using common::Result;
using common::Status;

Client::Client(ClientOptions options, common::Clock& clock)
    : RemotingEndpoint(options.endpoint, clock), options_(std::move(options)) {}

Client::~Client() { stop(); }

void Client::start() {
  if (started_.exchange(true)) return;
  start_io();
}

void Client::stop() {
  if (!started_.exchange(false)) return;
  for (const auto& conn : connections_snapshot()) conn->close(Status::aborted("client stopping"));
  stop_io();
  std::lock_guard lock(mu_);
  connections_.clear();
}

Result<ConnectionPtr> Client::connection(const std::string& address) {
  if (!started_) return Status::unavailable("client is not started");
  std::lock_guard lock(mu_);
  auto it = connections_.find(address);
  if (it != connections_.end() && it->second->is_open()) return it->second;
  auto conn = std::make_shared<Connection>(next_io(), address, *this, options_.endpoint.connection,
                                           clock());
  connections_[address] = conn;
  conn->connect(options_.connect_timeout);
  return conn;
}

void Client::close_connection(const std::string& address) {
  ConnectionPtr conn;
  {
    std::lock_guard lock(mu_);
    auto it = connections_.find(address);
    if (it == connections_.end()) return;
    conn = it->second;
    connections_.erase(it);
  }
  conn->close(Status::aborted("closed by the client"));
}

size_t Client::connection_count() const {
  std::lock_guard lock(mu_);
  return connections_.size();
}

Result<RemotingCommand> Client::invoke_sync(const std::string& address, RemotingCommand request,
                                            common::Duration timeout) {
  RMQ_ASSIGN_OR_RETURN(ConnectionPtr conn, connection(address));
  return RemotingEndpoint::invoke_sync(conn, std::move(request), timeout);
}

void Client::invoke_async(const std::string& address, RemotingCommand request,
                          common::Duration timeout, ResponseCallback cb) {
  auto conn = connection(address);
  if (!conn.ok()) {
    cb(conn.status());
    return;
  }
  RemotingEndpoint::invoke_async(*conn, std::move(request), timeout, std::move(cb));
}

Status Client::invoke_oneway(const std::string& address, RemotingCommand request) {
  RMQ_ASSIGN_OR_RETURN(ConnectionPtr conn, connection(address));
  return RemotingEndpoint::invoke_oneway(conn, std::move(request));
}

std::vector<ConnectionPtr> Client::connections_snapshot() {
  std::lock_guard lock(mu_);
  std::vector<ConnectionPtr> out;
  out.reserve(connections_.size());
  for (const auto& [addr, c] : connections_) out.push_back(c);
  return out;
}

void Client::on_connection_closed(const ConnectionPtr& conn, const Status&) {
  std::lock_guard lock(mu_);
  auto it = connections_.find(conn->remote_address());
  if (it != connections_.end() && it->second.get() == conn.get()) connections_.erase(it);
}

}  // namespace rmq::remoting
