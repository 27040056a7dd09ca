// Client: RocketMQ's remoting client (NettyRemotingClient). One connection per "host:port",
// created on first use and again after it closes (reconnect); requests sent while it connects are
// queued. Requests the server sends us (NOTIFY_CONSUMER_IDS_CHANGED, ...) go to the registry.
// Thread-safe after start(); callbacks run on the client's I/O threads.
#pragma once

#include "remoting/endpoint.h"

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

namespace rmq::remoting {

inline EndpointOptions default_client_endpoint() {
  EndpointOptions o;
  o.name = "client";
  o.io_threads = 1;
  return o;
}

struct ClientOptions {
  common::Duration connect_timeout = std::chrono::seconds(3);
  EndpointOptions endpoint = default_client_endpoint();
};

class Client final : public RemotingEndpoint {
 public:
  Client(ClientOptions options, common::Clock& clock);
  ~Client() override;

  void start();
  void stop();

  common::Result<RemotingCommand> invoke_sync(const std::string& address, RemotingCommand request,
                                              common::Duration timeout);
  void invoke_async(const std::string& address, RemotingCommand request, common::Duration timeout,
                    ResponseCallback cb);
  common::Status invoke_oneway(const std::string& address, RemotingCommand request);

  // The open (or opening) connection to `address`, created if needed.
  common::Result<ConnectionPtr> connection(const std::string& address);
  void close_connection(const std::string& address);
  size_t connection_count() const;

  using RemotingEndpoint::invoke_async;
  using RemotingEndpoint::invoke_oneway;
  using RemotingEndpoint::invoke_sync;

 protected:
  std::vector<ConnectionPtr> connections_snapshot() override;
  void on_connection_closed(const ConnectionPtr& conn, const common::Status& reason) override;

 private:
  const ClientOptions options_;
  std::atomic<bool> started_{false};
  mutable std::mutex mu_;
  std::unordered_map<std::string, ConnectionPtr> connections_;  // GUARDED_BY(mu_)
};

}  // namespace rmq::remoting
