// Connection: one TCP connection carrying remoting frames, on the server or the client side.
// Reads and async writes run on the connection's io_context thread (one thread per io_context, so
// it is its own strand). send() and close() are thread-safe: send() encodes on the caller's thread
// and, when nothing is queued, writes straight to the socket without a thread switch.
// Lifetime: held by shared_ptr (the owner's table and pending I/O handlers); others hold weak_ptr.
#pragma once

#include "common/clock.h"
#include "common/status.h"
#include "remoting/asio.h"
#include "remoting/frame_codec.h"
#include "remoting/remoting_command.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rmq::remoting {

class Connection;
using ConnectionPtr = std::shared_ptr<Connection>;

// Receives what a connection reads. Called on the connection's I/O thread only.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  virtual void on_command(const ConnectionPtr& conn, RemotingCommand cmd) = 0;
  // Called once, when the connection is closed for any reason.
  virtual void on_close(const ConnectionPtr& conn, const common::Status& reason) = 0;
};

struct ConnectionOptions {
  size_t max_frame_size = kDefaultMaxFrameSize;
  size_t read_chunk = 64 * 1024;
  // Non-zero: TCP_USER_TIMEOUT. Data the peer has not acknowledged for this long aborts the
  // connection (the next send opens a fresh one) instead of waiting behind TCP's retransmission
  // back-off, which after a partition heals can hold a connection silent for seconds.
  common::Duration tcp_user_timeout{0};
};

// While a WriteBatch lives on a thread, Connection::send() calls from that thread queue their
// frames instead of writing each at once; the batch's destructor writes every touched connection
// with one sendmsg (rest by the I/O thread). A thread that completes many requests in one go (the
// Raft node answering every send a commit covered) then pays one syscall per connection, not one
// per response. Batches nest (the outermost flushes). While a connection is corked, frames other
// threads send on it wait in the same queue: only the batch's thread writes it until the batch
// ends.
class WriteBatch {
 public:
  WriteBatch();
  ~WriteBatch();
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;
  void add(ConnectionPtr conn);

 private:
  std::vector<ConnectionPtr> conns_;
  bool outermost_;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using tcp = boost::asio::ip::tcp;

  // A connected socket (server side). Call start() to begin reading.
  Connection(tcp::socket socket, ConnectionHandler& handler, const ConnectionOptions& options,
             common::Clock& clock);
  // An unconnected socket on `io` (client side). Call connect().
  Connection(boost::asio::io_context& io, std::string address, ConnectionHandler& handler,
             const ConnectionOptions& options, common::Clock& clock);
  ~Connection();

  void start();
  // Resolves "host:port", connects, then starts reading; frames sent before that are queued.
  void connect(common::Duration timeout);

  // Queues cmd for writing. Returns false if the connection is closed (nothing will be sent).
  bool send(const RemotingCommand& cmd);
  bool send(RemotingCommand&& cmd);
  void close(const common::Status& reason);

  bool is_open() const { return !closed_.load(std::memory_order_acquire); }
  const std::string& remote_address() const { return remote_; }
  common::TimePoint last_activity() const {
    return common::TimePoint(common::Duration(last_activity_ns_.load(std::memory_order_relaxed)));
  }
  uint64_t id() const { return id_; }

 private:
  struct OutFrame {
    common::Buffer head;
    common::Buffer body;
    size_t written = 0;  // bytes of head+body already on the wire
    size_t size() const { return head.size() + body.size(); }
  };

  friend class WriteBatch;
  bool enqueue(OutFrame frame);
  void flush_corked();  // WriteBatch: write what was queued, from the caller's thread
  bool try_write_now(OutFrame& frame);  // REQUIRES: wmu_ held, nothing queued or in flight
  void start_write();                   // I/O thread
  void flush_batch();                   // I/O thread: writes what a read batch queued
  void do_read();
  void handle_read(size_t n);
  void on_connected();
  void touch();
  void set_user_timeout();  // ConnectionOptions::tcp_user_timeout
  void close_on_io(const common::Status& reason);

  boost::asio::io_context& io_;
  tcp::socket socket_;
  ConnectionHandler& handler_;
  const ConnectionOptions options_;
  common::Clock& clock_;
  const uint64_t id_;
  std::string remote_;
  std::unique_ptr<boost::asio::steady_timer> connect_timer_;

  // Read side: I/O thread only.
  std::vector<uint8_t> rbuf_;
  size_t rbegin_ = 0;
  size_t rend_ = 0;

  // Write side.
  std::mutex wmu_;
  std::vector<OutFrame> pending_;   // GUARDED_BY(wmu_)
  bool writing_ = false;            // GUARDED_BY(wmu_): an async write is scheduled or in flight
  bool connected_ = false;          // GUARDED_BY(wmu_)
  bool corked_ = false;             // GUARDED_BY(wmu_): in the calling thread's WriteBatch
  std::vector<OutFrame> inflight_;  // I/O thread only

  std::atomic<bool> closed_{false};
  std::atomic<int64_t> last_activity_ns_{0};
};

}  // namespace rmq::remoting
