#include "remoting/connection.h"

#include "common/logging.h"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace rmq::remoting {

namespace asio = boost::asio;
using common::Status;

namespace {

std::atomic<uint64_t> g_next_connection_id{1};

// The connection whose read batch this I/O thread is processing. Frames that handlers send on it
// meanwhile are queued and leave in one gather write when the batch ends (flush consolidation).
thread_local const Connection* tls_reading = nullptr;
thread_local WriteBatch* tls_batch = nullptr;

std::string endpoint_string(const asio::ip::tcp::socket& s) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

constexpr size_t kMaxIov = 64;

}  // namespace

Connection::Connection(tcp::socket socket, ConnectionHandler& handler,
                       const ConnectionOptions& options, common::Clock& clock)
    : io_(static_cast<asio::io_context&>(socket.get_executor().context())),
      socket_(std::move(socket)),
      handler_(handler),
      options_(options),
      clock_(clock),
      id_(g_next_connection_id.fetch_add(1)),
      remote_(endpoint_string(socket_)) {
  connected_ = true;
  boost::system::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  set_user_timeout();
  touch();
}

Connection::Connection(asio::io_context& io, std::string address, ConnectionHandler& handler,
                       const ConnectionOptions& options, common::Clock& clock)
    : io_(io),
      socket_(io),
      handler_(handler),
      options_(options),
      clock_(clock),
      id_(g_next_connection_id.fetch_add(1)),
      remote_(std::move(address)) {
  touch();
}

Connection::~Connection() = default;

void Connection::touch() {
  last_activity_ns_.store(clock_.now().time_since_epoch().count(), std::memory_order_relaxed);
}

void Connection::start() {
  asio::post(io_, [self = shared_from_this()] { self->do_read(); });
}

void Connection::connect(common::Duration timeout) {
  auto self = shared_from_this();
  asio::post(io_, [self, timeout] {
    const auto colon = self->remote_.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == self->remote_.size()) {
      self->close_on_io(
          Status::invalid_argument("bad address '" + self->remote_ + "', expected host:port"));
      return;
    }
    std::string host = self->remote_.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    const std::string port = self->remote_.substr(colon + 1);
    self->connect_timer_ = std::make_unique<asio::steady_timer>(self->io_, timeout);
    self->connect_timer_->async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->close_on_io(Status::timeout("connect to " + self->remote_ + " timed out"));
    });
    auto resolver = std::make_shared<tcp::resolver>(self->io_);
    resolver->async_resolve(
        host, port,
        [self, resolver](const boost::system::error_code& ec, tcp::resolver::results_type results) {
          if (ec) {
            self->close_on_io(
                Status::unavailable("resolve " + self->remote_ + " failed: " + ec.message()));
            return;
          }
          asio::async_connect(self->socket_, results,
                              [self](const boost::system::error_code& cec, const tcp::endpoint&) {
                                if (cec) {
                                  self->close_on_io(Status::unavailable(
                                      "connect to " + self->remote_ + " failed: " + cec.message()));
                                  return;
                                }
                                self->on_connected();
                              });
        });
  });
}

void Connection::set_user_timeout() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.tcp_user_timeout);
  if (ms.count() <= 0) return;
  const auto value = static_cast<unsigned int>(ms.count());
  if (::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &value, sizeof(value)) !=
      0) {
    common::logger("remoting")->warn("TCP_USER_TIMEOUT on {}: {}", remote_, std::strerror(errno));
  }
}

void Connection::on_connected() {
  if (closed_.load()) return;
  if (connect_timer_) connect_timer_->cancel();
  boost::system::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  set_user_timeout();
  touch();
  bool have_pending = false;
  {
    std::lock_guard lock(wmu_);
    connected_ = true;
    if (!pending_.empty() && !writing_) {
      writing_ = true;
      have_pending = true;
    }
  }
  if (have_pending) start_write();
  do_read();
}

bool Connection::send(const RemotingCommand& cmd) {
  return enqueue(OutFrame{encode_frame_head(cmd, cmd.serialize_type), cmd.body, 0});
}

bool Connection::send(RemotingCommand&& cmd) {
  common::Buffer head = encode_frame_head(cmd, cmd.serialize_type);
  return enqueue(OutFrame{std::move(head), std::move(cmd.body), 0});
}

bool Connection::enqueue(OutFrame frame) {
  std::unique_lock lock(wmu_);
  if (closed_.load(std::memory_order_acquire)) return false;
  if (tls_reading == this) {  // flushed at the end of the read batch
    pending_.push_back(std::move(frame));
    return true;
  }
  if (tls_batch != nullptr) {  // flushed when the thread's WriteBatch ends
    pending_.push_back(std::move(frame));
    if (!corked_) {
      corked_ = true;
      lock.unlock();
      tls_batch->add(shared_from_this());
    }
    return true;
  }
  if (corked_) {  // another thread's WriteBatch holds this connection: it writes soon
    pending_.push_back(std::move(frame));
    return true;
  }
  if (connected_ && !writing_ && pending_.empty()) {
    if (try_write_now(frame)) return true;
  }
  pending_.push_back(std::move(frame));
  if (connected_ && !writing_) {
    writing_ = true;
    lock.unlock();
    asio::post(io_, [self = shared_from_this()] { self->start_write(); });
  }
  return true;
}

// The fast path: a non-blocking sendmsg from the caller's thread. Safe because no async write is
// scheduled (writing_ is false under wmu_), and reads on the same fd proceed independently.
bool Connection::try_write_now(OutFrame& frame) {
  iovec iov[2];
  int n_iov = 0;
  const size_t total = frame.size();
  if (!frame.head.empty()) iov[n_iov++] = {frame.head.data(), frame.head.size()};
  if (!frame.body.empty()) iov[n_iov++] = {frame.body.data(), frame.body.size()};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = static_cast<size_t>(n_iov);
  const ssize_t n = ::sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  // On EAGAIN the frame is queued for the I/O thread; on a hard error the async write that
  // follows reports it and closes the connection, so errors surface in one place.
  if (n < 0) return false;
  touch();
  if (static_cast<size_t>(n) == total) return true;
  frame.written = static_cast<size_t>(n);
  return false;
}

void Connection::start_write() {
  {
    std::lock_guard lock(wmu_);
    // While corked, the WriteBatch's thread writes the queue when the batch ends.
    if (pending_.empty() || closed_.load() || corked_) {
      writing_ = false;
      return;
    }
    inflight_.swap(pending_);
  }
  std::vector<asio::const_buffer> bufs;
  bufs.reserve(std::min(inflight_.size() * 2, kMaxIov * 2));
  for (const OutFrame& f : inflight_) {
    size_t skip = f.written;
    const auto add = [&](const common::Buffer& b) {
      if (skip >= b.size()) {
        skip -= b.size();
        return;
      }
      bufs.emplace_back(b.data() + skip, b.size() - skip);
      skip = 0;
    };
    add(f.head);
    add(f.body);
  }
  asio::async_write(
      socket_, bufs, [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
        self->inflight_.clear();
        if (ec) {
          {
            std::lock_guard lock(self->wmu_);
            self->writing_ = false;
          }
          self->close_on_io(
              Status::io_error("write to " + self->remote_ + " failed: " + ec.message()));
          return;
        }
        self->touch();
        self->start_write();
      });
}

WriteBatch::WriteBatch() : outermost_(tls_batch == nullptr) {
  if (outermost_) tls_batch = this;
}

WriteBatch::~WriteBatch() {
  if (!outermost_) return;
  tls_batch = nullptr;
  for (const auto& c : conns_) c->flush_corked();
}

void WriteBatch::add(ConnectionPtr conn) { conns_.push_back(std::move(conn)); }

void Connection::flush_corked() {
  std::unique_lock lock(wmu_);
  corked_ = false;
  if (closed_.load(std::memory_order_acquire) || !connected_ || writing_ || pending_.empty()) {
    return;  // an async write in flight (or the connect) picks the queue up
  }
  iovec iov[kMaxIov];
  int n_iov = 0;
  for (const OutFrame& f : pending_) {
    if (n_iov + 2 > static_cast<int>(kMaxIov)) break;
    size_t skip = f.written;
    for (const common::Buffer* b : {&f.head, &f.body}) {
      if (skip >= b->size()) {
        skip -= b->size();
        continue;
      }
      iov[n_iov++] = {const_cast<uint8_t*>(b->data()) + skip, b->size() - skip};
      skip = 0;
    }
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = static_cast<size_t>(n_iov);
  const ssize_t n = ::sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n > 0) {
    touch();
    size_t left = static_cast<size_t>(n);
    size_t done = 0;
    while (done < pending_.size() && left >= pending_[done].size() - pending_[done].written) {
      left -= pending_[done].size() - pending_[done].written;
      ++done;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
    if (!pending_.empty()) pending_.front().written += left;
  }
  if (pending_.empty()) return;
  // EAGAIN, a partial write or more frames than one sendmsg takes: the I/O thread goes on.
  writing_ = true;
  lock.unlock();
  asio::post(io_, [self = shared_from_this()] { self->start_write(); });
}

void Connection::flush_batch() {
  {
    std::lock_guard lock(wmu_);
    if (pending_.empty() || writing_ || !connected_ || corked_) return;
    writing_ = true;
  }
  start_write();
}

void Connection::do_read() {
  if (closed_.load(std::memory_order_acquire)) return;
  // Keep unread bytes at the front and at least read_chunk bytes free behind them.
  if (rbegin_ > 0 && (rbegin_ == rend_ || rbuf_.size() - rend_ < options_.read_chunk)) {
    std::memmove(rbuf_.data(), rbuf_.data() + rbegin_, rend_ - rbegin_);
    rend_ -= rbegin_;
    rbegin_ = 0;
  }
  size_t want = rend_ + options_.read_chunk;
  if (rend_ - rbegin_ >= 4) {  // a frame in progress: make room for all of it
    const uint32_t len = common::load_be<uint32_t>(rbuf_.data() + rbegin_);
    want = std::max(want, rbegin_ + static_cast<size_t>(len) + 4);
  }
  if (rbuf_.size() < want) rbuf_.resize(want);
  socket_.async_read_some(
      asio::buffer(rbuf_.data() + rend_, rbuf_.size() - rend_),
      [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
        if (ec) {
          self->close_on_io(
              ec == asio::error::eof
                  ? Status::aborted("connection closed by " + self->remote_)
                  : Status::io_error("read from " + self->remote_ + " failed: " + ec.message()));
          return;
        }
        self->handle_read(n);
      });
}

void Connection::handle_read(size_t n) {
  rend_ += n;
  touch();
  auto self = shared_from_this();
  tls_reading = this;
  while (!closed_.load(std::memory_order_acquire)) {
    const common::ByteView unread(rbuf_.data() + rbegin_, rend_ - rbegin_);
    const FrameProbe probe = probe_frame(unread, options_.max_frame_size);
    if (probe.state == FrameProbe::State::kNeedMore) break;
    if (probe.state == FrameProbe::State::kBad) {
      common::logger("remoting")
          ->warn("closing connection from {}: bad frame: {}", remote_, probe.error);
      close_on_io(Status::corruption(probe.error));
      return;
    }
    auto cmd = decode_frame(unread.first(probe.frame_size));
    rbegin_ += probe.frame_size;
    if (!cmd.ok()) {
      common::logger("remoting")
          ->warn("closing connection from {}: undecodable frame: {}", remote_,
                 cmd.status().to_string());
      close_on_io(cmd.status());
      return;
    }
    handler_.on_command(self, std::move(cmd).value());
  }
  tls_reading = nullptr;
  flush_batch();
  if (rbegin_ == rend_) rbegin_ = rend_ = 0;
  // Release a buffer grown for one big frame once it is no longer needed.
  if (rbegin_ == 0 && rend_ == 0 && rbuf_.size() > 4 * options_.read_chunk) {
    std::vector<uint8_t>().swap(rbuf_);
  }
  do_read();
}

void Connection::close(const Status& reason) {
  if (closed_.load(std::memory_order_acquire)) return;
  asio::post(io_, [self = shared_from_this(), reason] { self->close_on_io(reason); });
}

void Connection::close_on_io(const Status& reason) {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  {
    std::lock_guard lock(wmu_);
    pending_.clear();
  }
  if (connect_timer_) connect_timer_->cancel();
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  handler_.on_close(shared_from_this(), reason);
}

}  // namespace rmq::remoting
