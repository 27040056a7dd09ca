// Server: RocketMQ's remoting server (NettyRemotingServer). One acceptor thread listens and hands
// each accepted socket to the next of N I/O threads (round robin); requests go to the executor
// registered for their code. The server can also send requests to a connected client on the same
// connection (NOTIFY_CONSUMER_IDS_CHANGED). Lifecycle: construct, register processors, start(),
// stop() (also in the destructor).
#pragma once

#include "remoting/endpoint.h"

#include <functional>
#include <mutex>
#include <unordered_map>

namespace rmq::remoting {

struct ServerOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 0;  // 0: pick a free port (see port())
  EndpointOptions endpoint;
};

class Server final : public RemotingEndpoint {
 public:
  Server(ServerOptions options, common::Clock& clock);
  ~Server() override;

  // Binds and starts the threads. An error names the address and the reason (e.g. port in use).
  common::Status start();
  void stop();
  uint16_t port() const { return port_; }
  size_t connection_count() const;
  std::vector<ConnectionPtr> connections() { return connections_snapshot(); }
  // Called on an I/O thread after a client connection closed (e.g. to drop its consumers). Set
  // before start().
  void set_close_listener(std::function<void(const ConnectionPtr&)> l) {
    close_listener_ = std::move(l);
  }

 protected:
  std::vector<ConnectionPtr> connections_snapshot() override;
  void on_connection_closed(const ConnectionPtr& conn, const common::Status& reason) override;

 private:
  void do_accept();

  const ServerOptions options_;
  boost::asio::io_context accept_io_{1};
  boost::asio::ip::tcp::acceptor acceptor_{accept_io_};
  std::thread accept_thread_;
  uint16_t port_ = 0;
  bool started_ = false;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, ConnectionPtr> connections_;  // GUARDED_BY(mu_)
  std::function<void(const ConnectionPtr&)> close_listener_;
};

}  // namespace rmq::remoting
