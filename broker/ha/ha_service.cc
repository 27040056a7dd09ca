#include "broker/ha/ha_service.h"

#include "broker/ha/ha_protocol.h"
#include "common/crc32.h"
#include "common/logging.h"
#include "remoting/asio.h"
#include "store/local_commit_log.h"

#include <array>
#include <pthread.h>

namespace rmq::broker::ha {

namespace asio = boost::asio;
using asio::ip::tcp;
using common::Status;

namespace {
constexpr auto kTick = std::chrono::milliseconds(100);
}  // namespace

// The Asio state: one io_context on one thread; the connection set is read by other threads
// (slaves()) under mu.
class HAService::Impl {
 public:
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  tcp::acceptor acceptor{io};
  asio::steady_timer tick{io};
  std::thread thread;
  mutable std::mutex mu;
  std::vector<std::shared_ptr<Connection>> conns;  // GUARDED_BY(mu)
  // Connections waiting for data; appenders post a wake-up only when there are some.
  std::atomic<int> idle{0};
  std::atomic<int> streaming{0};  // connections past their hello, being streamed to
  std::atomic<bool> wake_posted{false};
};

// One slave. Everything but the atomics runs on the HA thread.
class HAService::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HAService& svc, tcp::socket sock, std::string address)
      : svc_(svc), sock_(std::move(sock)), address_(std::move(address)) {}

  void start() {
    auto self = shared_from_this();
    asio::async_read(sock_, asio::buffer(hello_), [self](boost::system::error_code ec, size_t) {
      if (ec) return self->close("no hello: " + ec.message());
      self->on_hello();
    });
  }

  // New data may be there (HA thread).
  void kick() {
    if (!idle_) return;
    set_idle(false);
    try_send();
  }

  // Heartbeats and silent slaves (HA thread, every tick).
  void on_tick(common::TimePoint now) {
    if (closed_ || !streaming_.load()) return;
    if (now - last_report_ > svc_.options_.housekeeping_interval) {
      return close(
          "no report for " +
          std::to_string(
              std::chrono::duration_cast<std::chrono::milliseconds>(now - last_report_).count()) +
          " ms");
    }
    // A heartbeat is due, or bytes arrived without a wake-up reaching us (a safety net).
    if (idle_ &&
        (now - last_write_ >= svc_.options_.heartbeat_interval || svc_.log_.max_offset() > next_)) {
      kick();
    }
  }

  void close(const std::string& why) {
    if (closed_) return;
    closed_ = true;
    set_idle(false);
    if (streaming_.exchange(false)) svc_.impl_->streaming.fetch_sub(1);
    boost::system::error_code ignored;
    sock_.close(ignored);
    common::logger("broker")->info("HA: slave {} (brokerId {}) disconnected: {}", address_,
                                   broker_id_.load(), why);
    std::lock_guard lock(svc_.impl_->mu);
    auto& v = svc_.impl_->conns;
    std::erase(v, shared_from_this());
  }

  SlaveInfo info() const {
    return SlaveInfo{address_, broker_id_.load(), acked_.load(), sent_.load(),
                     last_report_wall_ms_.load()};
  }
  bool streaming() const { return streaming_.load(); }

 private:
  void set_idle(bool idle) {
    if (idle == idle_) return;
    idle_ = idle;
    svc_.impl_->idle.fetch_add(idle ? 1 : -1, std::memory_order_seq_cst);
  }

  void on_hello() {
    auto hello = decode_hello(common::ByteView(hello_.data(), hello_.size()));
    if (!hello.ok()) return close(std::string(hello.status().message()));
    broker_id_.store(hello->broker_id);
    store::LocalCommitLog& log = svc_.log_;
    MasterLogView view;
    view.segment_size = static_cast<int64_t>(log.files().file_size());
    view.min_offset = log.min_offset();
    view.max_offset = log.max_offset();
    view.crc = [&log](int64_t from, int64_t to) -> std::optional<uint32_t> {
      auto bytes = log.read(from, static_cast<uint32_t>(to - from));
      if (!bytes.ok()) return std::nullopt;
      return common::crc32(bytes->bytes);
    };
    const StartDecision d = decide_start(*hello, view);
    auto self = shared_from_this();
    if (d.kind != StartDecision::Kind::kStream) {
      const bool truncate = d.kind == StartDecision::Kind::kTruncate;
      common::logger("broker")->warn(
          "HA: slave {} (brokerId {}) ends at {}; master log [{}, {}): {} {}", address_,
          hello->broker_id, hello->max_offset, view.min_offset, view.max_offset,
          truncate ? "truncate it to" : "refused, segment sizes differ; master's is", d.offset);
      encode_frame_header(d.offset, truncate ? kTruncateSize : kRefuseSize, header_.data());
      asio::async_write(sock_, asio::buffer(header_), [self](boost::system::error_code, size_t) {
        self->close("told to truncate or refused");
      });
      return;
    }
    common::logger("broker")->info("HA: slave {} (brokerId {}) streams from {} (master end {})",
                                   address_, hello->broker_id, d.offset, view.max_offset);
    next_ = d.offset;
    sent_.store(d.offset);
    acked_.store(hello->max_offset);
    last_report_ = svc_.clock_.now();
    last_report_wall_ms_.store(svc_.clock_.wall_ms());
    last_write_ = common::TimePoint{};  // a heartbeat goes out at once if there is no data
    boost::system::error_code ignored;
    sock_.set_option(tcp::no_delay(true), ignored);
    streaming_.store(true);
    svc_.impl_->streaming.fetch_add(1);
    svc_.transfer_.note_acked(hello->max_offset);
    read_report();
    try_send();
  }

  void read_report() {
    auto self = shared_from_this();
    asio::async_read(sock_, asio::buffer(report_), [self](boost::system::error_code ec, size_t) {
      if (ec) return self->close(ec == asio::error::eof ? "closed by the slave" : ec.message());
      const auto acked = common::load_be<int64_t>(self->report_.data());
      self->acked_.store(acked);
      self->last_report_ = self->svc_.clock_.now();
      self->last_report_wall_ms_.store(self->svc_.clock_.wall_ms());
      self->svc_.transfer_.note_acked(acked);
      self->read_report();
    });
  }

  void try_send() {
    if (closed_ || writing_) return;
    store::LocalCommitLog& log = svc_.log_;
    while (true) {
      const int64_t end = log.max_offset();
      if (next_ < end) {
        const int64_t limit =
            std::min(end, next_ + static_cast<int64_t>(svc_.options_.transfer_batch_size));
        auto slice = log.read_available(next_, limit);
        if (!slice.ok()) {
          if (next_ < log.min_offset()) {
            return close("it needs offset " + std::to_string(next_) + ", which retention deleted");
          }
          break;  // not readable yet: wait for the next append
        }
        write_frame(next_, std::move(slice).value());
        return;
      }
      if (svc_.clock_.now() - last_write_ >= svc_.options_.heartbeat_interval) {
        write_frame(end, store::LogSlice{});
        return;
      }
      // Nothing to send. Pairs with the fence in wake(): either the appender sees this
      // connection idle, or this sees the appended bytes.
      set_idle(true);
      if (log.max_offset() <= next_) return;
      set_idle(false);
    }
    set_idle(true);
  }

  void write_frame(int64_t offset, store::LogSlice slice) {
    writing_ = true;
    const auto n = static_cast<int32_t>(slice.bytes.size());
    encode_frame_header(offset, n, header_.data());
    inflight_ = std::move(slice);
    std::array<asio::const_buffer, 2> bufs{
        asio::buffer(header_), asio::buffer(inflight_.bytes.data(), inflight_.bytes.size())};
    auto self = shared_from_this();
    asio::async_write(sock_, bufs, [self, offset, n](boost::system::error_code ec, size_t) {
      self->writing_ = false;
      self->inflight_ = store::LogSlice{};
      if (ec) return self->close("write failed: " + ec.message());
      self->last_write_ = self->svc_.clock_.now();
      if (n > 0) {
        self->next_ = offset + n;
        self->sent_.store(self->next_);
      }
      self->try_send();
    });
  }

  HAService& svc_;
  tcp::socket sock_;
  const std::string address_;
  std::array<uint8_t, kHelloSize> hello_{};
  std::array<uint8_t, kReportSize> report_{};
  std::array<uint8_t, kFrameHeaderSize> header_{};
  store::LogSlice inflight_;  // the bytes being written (keeps their segment mapped)
  int64_t next_ = 0;          // next log byte to send
  bool writing_ = false;
  bool idle_ = false;
  bool closed_ = false;
  common::TimePoint last_report_{};
  common::TimePoint last_write_{};
  std::atomic<bool> streaming_{false};
  std::atomic<int64_t> broker_id_{0};
  std::atomic<int64_t> acked_{0};
  std::atomic<int64_t> sent_{0};
  std::atomic<int64_t> last_report_wall_ms_{0};
};

HAService::HAService(HAServiceOptions options, store::LocalCommitLog& log, common::Clock& clock)
    : options_(std::move(options)), log_(log), clock_(clock), transfer_(clock) {}

HAService::~HAService() { stop(); }

Status HAService::start() {
  if (impl_) return Status::invalid_argument("HA service already started");
  impl_ = std::make_unique<Impl>();
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(options_.bind_address, ec);
  if (ec) return Status::invalid_argument("HA bind address '" + options_.bind_address + "'");
  const tcp::endpoint ep(addr, options_.port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::io_error("haListenPort " + std::to_string(options_.port) +
                            ": cannot listen on " + options_.bind_address + ": " + ec.message());
  }
  port_.store(impl_->acceptor.local_endpoint().port());
  running_.store(true);

  asio::post(impl_->io, [this] {
    do_accept();
    do_tick();
  });
  impl_->thread = std::thread([this] {
    pthread_setname_np(pthread_self(), "rmq-ha");
    impl_->io.run();
  });
  common::logger("broker")->info("HA: {} listening for slaves on {}:{}",
                                 options_.sync_master ? "SYNC_MASTER" : "ASYNC_MASTER",
                                 options_.bind_address, port_.load());
  return Status::ok();
}

void HAService::do_accept() {
  impl_->acceptor.async_accept([this](boost::system::error_code ec, tcp::socket sock) {
    if (ec == asio::error::operation_aborted || !impl_->acceptor.is_open()) return;
    if (!ec) {
      boost::system::error_code rec;
      const auto remote = sock.remote_endpoint(rec);
      const std::string who =
          rec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
      auto conn = std::make_shared<Connection>(*this, std::move(sock), who);
      {
        std::lock_guard lock(impl_->mu);
        impl_->conns.push_back(conn);
      }
      conn->start();
    }
    do_accept();
  });
}

void HAService::do_tick() {
  impl_->tick.expires_after(kTick);
  impl_->tick.async_wait([this](boost::system::error_code ec) {
    if (ec || !running_.load()) return;
    transfer_.expire();
    std::vector<std::shared_ptr<Connection>> conns;
    {
      std::lock_guard lock(impl_->mu);
      conns = impl_->conns;
    }
    const common::TimePoint now = clock_.now();
    for (const auto& c : conns) c->on_tick(now);
    do_tick();
  });
}

void HAService::stop() {
  if (!impl_) return;
  if (running_.exchange(false)) {
    asio::post(impl_->io, [this] {
      boost::system::error_code ignored;
      impl_->acceptor.close(ignored);
      impl_->tick.cancel();
      std::vector<std::shared_ptr<Connection>> conns;
      {
        std::lock_guard lock(impl_->mu);
        conns = impl_->conns;
      }
      for (const auto& c : conns) c->close("master stopping");
      impl_->work.reset();
    });
  } else {
    impl_->work.reset();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
  transfer_.fail_all();
}

std::vector<SlaveInfo> HAService::slaves() const {
  std::vector<SlaveInfo> out;
  if (!impl_) return out;
  std::lock_guard lock(impl_->mu);
  for (const auto& c : impl_->conns) {
    if (c->streaming()) out.push_back(c->info());
  }
  return out;
}

void HAService::on_append(const store::AppendResult& r, store::AppendCallback done) {
  // Wake idle connections: one post per burst of appends.
  if (Impl* impl = running_.load(std::memory_order_acquire) ? impl_.get() : nullptr) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (impl->idle.load(std::memory_order_relaxed) > 0 &&
        !impl->wake_posted.exchange(true, std::memory_order_acq_rel)) {
      asio::post(impl->io, [this, impl] {
        impl->wake_posted.store(false, std::memory_order_release);
        std::vector<std::shared_ptr<Connection>> conns;
        {
          std::lock_guard lock(impl->mu);
          conns = impl->conns;
        }
        for (const auto& c : conns) c->kick();
      });
    }
  }
  if (!options_.sync_master) {
    done(r);
    return;
  }
  const int64_t end = r.physical_offset + r.wrote_bytes;
  const bool slave_ok = running_.load(std::memory_order_acquire) &&
                        impl_->streaming.load(std::memory_order_acquire) > 0 &&
                        end - transfer_.acked() < options_.slave_fallbehind_max;
  if (!slave_ok) {
    store::AppendResult out = r;
    out.status = store::PutStatus::kSlaveNotAvailable;
    out.remark = "stored on the master, but no slave is connected or in reach (SYNC_MASTER)";
    done(out);
    return;
  }
  transfer_.wait(end, options_.slave_wait_timeout, [r, done = std::move(done)](bool acked) {
    if (acked) {
      done(r);
      return;
    }
    store::AppendResult out = r;
    out.status = store::PutStatus::kFlushSlaveTimeout;
    out.remark = "stored on the master, but no slave acknowledged it in time (SYNC_MASTER)";
    done(out);
  });
}

}  // namespace rmq::broker::ha
