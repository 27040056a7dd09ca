#include "broker/ha/ha_client.h"

#include "broker/ha/ha_protocol.h"
#include "common/crc32.h"
#include "common/logging.h"
#include "remoting/asio.h"
#include "store/message_store.h"

#include <array>
#include <pthread.h>
#include <vector>

namespace rmq::broker::ha {

namespace asio = boost::asio;
using asio::ip::tcp;
using common::Status;

namespace {
constexpr size_t kReadChunk = 256 * 1024;
constexpr auto kConnectTimeout = std::chrono::seconds(3);
}  // namespace

class HAClient::Impl {
 public:
  Impl(HAClientOptions options, store::MessageStore& store, common::Clock& clock)
      : opts_(options), store_(store), clock_(clock), rbuf_(kReadChunk) {}

  void start() {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "rmq-ha-client");
      io_.run();
    });
    asio::post(io_, [this] { connect(); });
  }

  void stop() {
    asio::post(io_, [this] {
      stopping_ = true;
      ++gen_;
      close_socket();
      retry_timer_.cancel();
      tick_timer_.cancel();
      work_.reset();
    });
    if (thread_.joinable()) thread_.join();
  }

  void set_master_address(const std::string& address) {
    {
      std::lock_guard lock(mu_);
      if (address == status_.master_address) return;
      status_.master_address = address;
    }
    common::logger("broker")->info("HA: master HA address is now '{}'", address);
    asio::post(io_, [this] { drop(std::chrono::milliseconds(0), "the master address changed"); });
  }

  HAClientStatus status() const {
    std::lock_guard lock(mu_);
    HAClientStatus s = status_;
    s.max_offset = store_.commit_log().max_offset();
    return s;
  }

 private:
  std::string master_address() const {
    std::lock_guard lock(mu_);
    return status_.master_address;
  }

  void close_socket() {
    boost::system::error_code ignored;
    sock_.close(ignored);
    connected_ = false;
    std::lock_guard lock(mu_);
    status_.connected = false;
  }

  // Closes the connection and connects again after `delay` (HA thread).
  void drop(common::Duration delay, const std::string& why) {
    if (stopping_) return;
    if (connected_ || sock_.is_open()) {
      common::logger("broker")->info("HA: connection to master {} closed: {}", current_, why);
    }
    ++gen_;
    close_socket();
    tick_timer_.cancel();
    retry_timer_.expires_after(delay);
    const uint64_t gen = gen_;
    retry_timer_.async_wait([this, gen](boost::system::error_code ec) {
      if (!ec && gen == gen_) connect();
    });
  }

  void connect() {
    if (stopping_) return;
    current_ = master_address();
    const size_t colon = current_.rfind(':');
    if (current_.empty() || colon == std::string::npos) {
      drop(opts_.reconnect_interval, "no master address yet");
      return;
    }
    const uint64_t gen = ++gen_;
    sock_ = tcp::socket(io_);
    decoder_ = FrameDecoder();
    writing_ = false;
    report_pending_ = false;
    retry_timer_.expires_after(kConnectTimeout);  // the connect's deadline
    retry_timer_.async_wait([this, gen](boost::system::error_code ec) {
      if (!ec && gen == gen_ && !connected_) drop(opts_.reconnect_interval, "connect timed out");
    });
    resolver_.async_resolve(
        current_.substr(0, colon), current_.substr(colon + 1),
        [this, gen](boost::system::error_code ec, const tcp::resolver::results_type& results) {
          if (gen != gen_) return;
          if (ec) return drop(opts_.reconnect_interval, "cannot resolve: " + ec.message());
          asio::async_connect(
              sock_, results, [this, gen](boost::system::error_code cec, const tcp::endpoint&) {
                if (gen != gen_) return;
                if (cec) {
                  return drop(opts_.reconnect_interval, "cannot connect: " + cec.message());
                }
                send_hello(gen);
              });
        });
  }

  void send_hello(uint64_t gen) {
    boost::system::error_code ignored;
    sock_.set_option(tcp::no_delay(true), ignored);
    store::CommitLog& log = store_.commit_log();
    Hello h;
    h.segment_size = static_cast<int64_t>(store_.local_log().files().file_size());
    h.broker_id = opts_.broker_id;
    h.max_offset = log.max_offset();
    h.check_from = check_window_start(h.max_offset, h.segment_size);
    if (h.max_offset > h.check_from) {
      auto bytes = log.read(h.check_from, static_cast<uint32_t>(h.max_offset - h.check_from));
      if (bytes.ok()) {
        h.check_crc = common::crc32(bytes->bytes);
      } else {
        h.check_from = h.max_offset;  // nothing to check against (should not happen)
      }
    }
    encode_hello(h, hello_.data());
    reported_ = h.max_offset;
    asio::async_write(
        sock_, asio::buffer(hello_), [this, gen](boost::system::error_code ec, size_t) {
          if (gen != gen_) return;
          if (ec) return drop(opts_.reconnect_interval, "cannot send hello: " + ec.message());
          retry_timer_.cancel();
          connected_ = true;
          last_receive_ = clock_.now();
          {
            std::lock_guard lock(mu_);
            status_.connected = true;
            ++status_.connections;
          }
          common::logger("broker")->info("HA: connected to master {}; this log ends at {}",
                                         current_, reported_);
          read(gen);
          tick(gen);
        });
  }

  void read(uint64_t gen) {
    sock_.async_read_some(asio::buffer(rbuf_), [this, gen](boost::system::error_code ec, size_t n) {
      if (gen != gen_) return;
      if (ec) {
        return drop(opts_.reconnect_interval,
                    ec == asio::error::eof ? "closed by the master" : ec.message());
      }
      last_receive_ = clock_.now();
      {
        std::lock_guard lock(mu_);
        status_.last_receive_wall_ms = clock_.wall_ms();
      }
      decoder_.feed(common::ByteView(rbuf_.data(), n));
      if (!handle_frames()) return;  // dropped
      if (store_.commit_log().max_offset() != reported_) send_report(gen);
      read(gen);
    });
  }

  // Applies every whole frame; false when the connection was dropped.
  bool handle_frames() {
    store::CommitLog& log = store_.commit_log();
    while (true) {
      auto next = decoder_.next();
      if (!next.ok()) {
        drop(opts_.reconnect_interval, std::string(next.status().message()));
        return false;
      }
      if (!next->has_value()) return true;
      const Frame& f = **next;
      switch (f.kind) {
        case FrameKind::kData: {
          if (Status st = store_.local_log().append_raw(f.offset, f.body); !st.is_ok()) {
            common::logger("broker")->error("HA: cannot append the master's bytes at {}: {}",
                                            f.offset, st.to_string());
            drop(opts_.reconnect_interval, "append failed");
            return false;
          }
          break;
        }
        case FrameKind::kHeartbeat: {
          std::lock_guard lock(mu_);
          status_.master_max_offset = f.offset;
          break;
        }
        case FrameKind::kTruncate: {
          const int64_t end = log.max_offset();
          auto cut = store_.truncate_to(f.offset);
          if (!cut.ok()) {
            common::logger("broker")->error("HA: cannot truncate to {}: {}", f.offset,
                                            cut.status().to_string());
            drop(opts_.reconnect_interval, "truncation failed");
            return false;
          }
          common::logger("broker")->warn(
              "HA: this slave's log [{}, {}) differs from the master's: cut at {}", f.offset, end,
              *cut);
          {
            std::lock_guard lock(mu_);
            ++status_.truncations;
          }
          drop(std::chrono::milliseconds(0), "truncated");
          return false;
        }
        case FrameKind::kRefuse:
          common::logger("broker")->error(
              "HA: the master refuses this slave: its mappedFileSizeCommitLog is {}, ours {}",
              f.offset, store_.local_log().files().file_size());
          drop(opts_.reconnect_interval * 10, "refused");
          return false;
      }
    }
  }

  void send_report(uint64_t gen) {
    if (writing_) {
      report_pending_ = true;
      return;
    }
    writing_ = true;
    reported_ = store_.commit_log().max_offset();
    common::store_be<int64_t>(report_.data(), reported_);
    asio::async_write(sock_, asio::buffer(report_),
                      [this, gen](boost::system::error_code ec, size_t) {
                        if (gen != gen_) return;
                        writing_ = false;
                        if (ec)
                          return drop(opts_.reconnect_interval, "cannot report: " + ec.message());
                        if (report_pending_) {
                          report_pending_ = false;
                          send_report(gen);
                        }
                      });
  }

  // Every report interval: a report (the master's liveness check) and our own silence check.
  void tick(uint64_t gen) {
    tick_timer_.expires_after(opts_.report_interval);
    tick_timer_.async_wait([this, gen](boost::system::error_code ec) {
      if (ec || gen != gen_) return;
      if (clock_.now() - last_receive_ > opts_.housekeeping_interval) {
        return drop(std::chrono::milliseconds(0), "nothing heard from the master");
      }
      send_report(gen);
      tick(gen);
    });
  }

  const HAClientOptions opts_;
  store::MessageStore& store_;
  common::Clock& clock_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  tcp::socket sock_{io_};
  tcp::resolver resolver_{io_};
  asio::steady_timer retry_timer_{io_};
  asio::steady_timer tick_timer_{io_};
  std::thread thread_;
  mutable std::mutex mu_;
  HAClientStatus status_;  // GUARDED_BY(mu_)
  // HA thread only.
  uint64_t gen_ = 0;  // bumped by every (re)connection: stale handlers see a different value
  bool stopping_ = false;
  bool connected_ = false;
  std::string current_;
  FrameDecoder decoder_;
  std::vector<uint8_t> rbuf_;
  std::array<uint8_t, kHelloSize> hello_{};
  std::array<uint8_t, kReportSize> report_{};
  bool writing_ = false;
  bool report_pending_ = false;
  int64_t reported_ = -1;
  common::TimePoint last_receive_{};
};

HAClient::HAClient(HAClientOptions options, store::MessageStore& store, common::Clock& clock)
    : impl_(std::make_unique<Impl>(options, store, clock)) {}

HAClient::~HAClient() { stop(); }

void HAClient::start() {
  if (started_.exchange(true)) return;
  impl_->start();
}

void HAClient::stop() {
  if (!started_.exchange(false)) return;
  impl_->stop();
}

void HAClient::set_master_address(const std::string& address) {
  impl_->set_master_address(address);
}

HAClientStatus HAClient::status() const { return impl_->status(); }

}  // namespace rmq::broker::ha
