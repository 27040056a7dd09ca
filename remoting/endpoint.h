// RemotingEndpoint: what the server and the client share (NettyRemotingAbstract): N I/O threads
// each running its own io_context, the processor registry for requests that arrive, the response
// table for requests we sent, and the invoke calls (sync, async, oneway) on a connection.
// A periodic scan on the first I/O thread expires timed-out requests and idle connections, using
// the injected Clock for every decision. Thread-safe after start().
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "remoting/asio.h"
#include "remoting/connection.h"
#include "remoting/processor_registry.h"
#include "remoting/response_table.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace rmq::remoting {

struct EndpointOptions {
  std::string name = "remoting";  // thread-name prefix
  size_t io_threads = 3;
  // Non-null: the endpoint starts no I/O thread; its connections and scan live on this context,
  // which another component's thread runs (the broker's client connections on the Raft node's
  // thread: a send then goes from the socket into Raft and back without a thread switch).
  // io_threads is ignored. The owner must keep the context running until stop() returns and
  // destroy it only after this endpoint.
  boost::asio::io_context* shared_io = nullptr;
  ConnectionOptions connection;
  common::Duration idle_timeout = std::chrono::seconds(120);  // zero: never close idle links
  common::Duration scan_interval = std::chrono::milliseconds(100);
  // invoke_sync polls for its response this many times (a CPU pause each, ~10-40 ns) before it
  // sleeps; 0 disables spinning.
  uint32_t sync_spin_iterations = 2000;
  // After the last handler ran, an I/O thread keeps polling its sockets (yielding the CPU between
  // polls) this long before it blocks, like Aeron's backoff idle strategy: a message that arrives
  // meanwhile is read without a wake-up. It backs off while the CPU is wanted by other threads.
  // Zero: block at once.
  common::Duration idle_spin{0};
};

class RemotingEndpoint : public ConnectionHandler {
 public:
  ~RemotingEndpoint() override;
  RemotingEndpoint(const RemotingEndpoint&) = delete;
  RemotingEndpoint& operator=(const RemotingEndpoint&) = delete;

  // Register before start().
  ProcessorRegistry& registry() { return registry_; }

  // Sends `request` and calls `cb` exactly once: with the response, Timeout, or the connection's
  // failure. The callback runs on an I/O thread (or the caller's, if sending fails at once) and
  // must not block.
  void invoke_async(const ConnectionPtr& conn, RemotingCommand request, common::Duration timeout,
                    ResponseCallback cb);
  // Blocks the caller until the response or a failure. REQUIRES: not called on an I/O thread.
  common::Result<RemotingCommand> invoke_sync(const ConnectionPtr& conn, RemotingCommand request,
                                              common::Duration timeout);
  // Sends with the ONEWAY flag; no response is expected.
  common::Status invoke_oneway(const ConnectionPtr& conn, RemotingCommand request);

  // One pass of the periodic scan; returns the number of timed-out requests. Tests call it after
  // advancing a ManualClock.
  size_t scan_once();
  ResponseTable& response_table() { return responses_; }
  common::Clock& clock() { return clock_; }
  // The io_context of I/O thread `i` (valid for the endpoint's lifetime). Work posted there runs
  // on the same thread as that context's connections: a component can share the thread to skip
  // a hand-off per message (the Raft node does, on the DLedger port).
  boost::asio::io_context& io_context(size_t i = 0) { return *ios_.at(i); }

 protected:
  RemotingEndpoint(EndpointOptions options, common::Clock& clock);
  void start_io();
  void stop_io();
  boost::asio::io_context& next_io();
  const EndpointOptions& options() const { return options_; }

  // The connections the idle scan looks at.
  virtual std::vector<ConnectionPtr> connections_snapshot() = 0;
  // Called on an I/O thread after a connection closed and its pending requests failed.
  virtual void on_connection_closed(const ConnectionPtr& conn, const common::Status& reason) = 0;

  // ConnectionHandler
  void on_command(const ConnectionPtr& conn, RemotingCommand cmd) override;
  void on_close(const ConnectionPtr& conn, const common::Status& reason) override;

 private:
  void schedule_scan();

  const EndpointOptions options_;
  common::Clock& clock_;
  ProcessorRegistry registry_;
  ResponseTable responses_;
  std::vector<std::unique_ptr<boost::asio::io_context>> owned_;  // empty with shared_io
  std::vector<boost::asio::io_context*> ios_;                    // owned_ or {shared_io}
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::unique_ptr<boost::asio::steady_timer> scan_timer_;
  std::atomic<size_t> next_io_{0};
  bool running_ = false;
};

}  // namespace rmq::remoting
