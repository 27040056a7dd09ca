#include "remoting/endpoint.h"

#include "common/logging.h"

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <sched.h>

namespace rmq::remoting {

namespace asio = boost::asio;
using common::Result;
using common::Status;

namespace {
inline void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Runs `io` until it is stopped. With an idle spin, a thread that ran out of handlers polls its
// sockets (and yields the CPU between polls) for up to `idle_spin` before it blocks in epoll:
// what arrives meanwhile is read at once, without a wake-up. On a VM, waking a thread whose vCPU
// halted costs the sender an IPI exit and the receiver tens of microseconds (measured here:
// a loopback round trip between two processes on different vCPUs takes 90 us blocking, 8.5 us
// polling). Spinning only pays while the CPU is otherwise idle: when a yield gives the CPU to
// someone else for longer than kBusyYield, the thread stops spinning for kSpinBackoff.
void run_io(asio::io_context& io, common::Duration idle_spin) {
  if (idle_spin <= common::Duration::zero()) {
    io.run();
    return;
  }
  constexpr auto kBusyYield = std::chrono::microseconds(50);
  constexpr auto kSpinBackoff = std::chrono::milliseconds(2);
  using Steady = std::chrono::steady_clock;
  auto last_work = Steady::now();
  auto no_spin_until = last_work;
  while (!io.stopped()) {
    if (io.poll() > 0) {
      last_work = Steady::now();
      continue;
    }
    const auto before = Steady::now();
    if (before - last_work < idle_spin && before >= no_spin_until) {
      sched_yield();
      const auto after = Steady::now();
      if (after - before > kBusyYield) no_spin_until = after + kSpinBackoff;
      continue;
    }
    io.run_one();
    last_work = Steady::now();
  }
}

}  // namespace

RemotingEndpoint::RemotingEndpoint(EndpointOptions options, common::Clock& clock)
    : options_(std::move(options)), clock_(clock), responses_(clock) {
  if (options_.shared_io != nullptr) {
    ios_.push_back(options_.shared_io);
    return;
  }
  const size_t n = options_.io_threads == 0 ? 1 : options_.io_threads;
  for (size_t i = 0; i < n; ++i) {
    owned_.push_back(std::make_unique<asio::io_context>(1));
    ios_.push_back(owned_.back().get());
  }
}

RemotingEndpoint::~RemotingEndpoint() { stop_io(); }

void RemotingEndpoint::start_io() {
  if (running_) return;
  running_ = true;
  for (size_t i = 0; i < owned_.size(); ++i) {
    guards_.push_back(asio::make_work_guard(*ios_[i]));
    threads_.emplace_back([this, i] {
      const std::string name = (options_.name + "-io" + std::to_string(i)).substr(0, 15);
      pthread_setname_np(pthread_self(), name.c_str());
      run_io(*ios_[i], options_.idle_spin);
    });
  }
  scan_timer_ = std::make_unique<asio::steady_timer>(*ios_[0]);
  schedule_scan();
}

void RemotingEndpoint::stop_io() {
  if (!running_) return;
  running_ = false;
  asio::post(*ios_[0], [this] { scan_timer_->cancel(); });
  // Let every I/O thread run what was posted before this point (the connection closes of
  // Server::stop/Client::stop) and then what those queued in turn (aborted reads, the cancelled
  // scan): peers see their connections end now, not when this object is destroyed, and on a
  // shared context nothing of this endpoint's is left to run. Not when called from one of those
  // threads (it would wait for itself).
  const auto me = std::this_thread::get_id();
  const bool on_io_thread = std::any_of(threads_.begin(), threads_.end(),
                                        [&](const std::thread& t) { return t.get_id() == me; }) ||
                            (options_.shared_io != nullptr &&
                             options_.shared_io->get_executor().running_in_this_thread());
  if (!on_io_thread) {
    std::vector<std::future<void>> done;
    for (asio::io_context* io : ios_) {
      auto ran = std::make_shared<std::promise<void>>();
      done.push_back(ran->get_future());
      asio::post(*io, [io, ran] { asio::post(*io, [ran] { ran->set_value(); }); });
    }
    for (auto& f : done) f.wait_for(std::chrono::seconds(1));
  }
  for (auto& g : guards_) g.reset();
  for (auto& io : owned_) io->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  guards_.clear();
  responses_.fail_all(Status::aborted(options_.name + " is shutting down"));
}

asio::io_context& RemotingEndpoint::next_io() {
  return *ios_[next_io_.fetch_add(1, std::memory_order_relaxed) % ios_.size()];
}

void RemotingEndpoint::schedule_scan() {
  scan_timer_->expires_after(options_.scan_interval);
  scan_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running_) return;
    scan_once();
    schedule_scan();
  });
}

size_t RemotingEndpoint::scan_once() {
  const size_t expired = responses_.scan_timeouts();
  if (options_.idle_timeout.count() > 0) {
    const common::TimePoint now = clock_.now();
    for (const auto& conn : connections_snapshot()) {
      if (conn->is_open() && now - conn->last_activity() > options_.idle_timeout) {
        common::logger("remoting")->info("closing idle connection to {}", conn->remote_address());
        conn->close(Status::aborted("idle for longer than the idle timeout"));
      }
    }
  }
  return expired;
}

void RemotingEndpoint::on_command(const ConnectionPtr& conn, RemotingCommand cmd) {
  if (cmd.is_response()) {
    if (!responses_.complete(cmd.opaque, std::move(cmd))) {
      common::logger("remoting")
          ->debug("dropping response with unknown opaque from {}", conn->remote_address());
    }
    return;
  }
  registry_.dispatch(conn, std::move(cmd));
}

void RemotingEndpoint::on_close(const ConnectionPtr& conn, const Status& reason) {
  common::logger("remoting")
      ->debug("connection {} closed: {}", conn->remote_address(), reason.to_string());
  responses_.fail_connection(conn->id(),
                             Status::unavailable("connection to " + conn->remote_address() +
                                                 " closed: " + std::string(reason.message())));
  on_connection_closed(conn, reason);
}

void RemotingEndpoint::invoke_async(const ConnectionPtr& conn, RemotingCommand request,
                                    common::Duration timeout, ResponseCallback cb) {
  request.opaque = responses_.next_opaque();
  request.flag &= ~(kFlagResponse | kFlagOneway);
  const int32_t opaque = request.opaque;
  responses_.add(opaque, conn->id(), timeout, std::move(cb));
  if (!conn->send(std::move(request))) {
    responses_.fail(opaque,
                    Status::unavailable("connection to " + conn->remote_address() + " is closed"));
  }
}

Result<RemotingCommand> RemotingEndpoint::invoke_sync(const ConnectionPtr& conn,
                                                      RemotingCommand request,
                                                      common::Duration timeout) {
  struct Wait {
    std::atomic<bool> done{false};
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Result<RemotingCommand>> result;
  };
  auto w = std::make_shared<Wait>();
  invoke_async(conn, std::move(request), timeout, [w](Result<RemotingCommand> r) {
    std::lock_guard lock(w->mu);
    w->result.emplace(std::move(r));
    w->done.store(true, std::memory_order_release);
    w->cv.notify_one();
  });
  // Loopback and LAN round trips often finish within microseconds: a short bounded spin saves the
  // caller a sleep/wake-up pair (one of the three thread hops of a sync call).
  for (uint32_t i = 0; i < options_.sync_spin_iterations; ++i) {
    if (w->done.load(std::memory_order_acquire)) break;
    spin_pause();
  }
  std::unique_lock lock(w->mu);
  // The scan completes the call on timeout; the extra bound only guards against a stopped scan.
  const bool done =
      w->cv.wait_for(lock, timeout + options_.scan_interval * 4 + std::chrono::seconds(1),
                     [&] { return w->result.has_value(); });
  if (!done) return Status::timeout("no response from " + conn->remote_address());
  return std::move(*w->result);
}

Status RemotingEndpoint::invoke_oneway(const ConnectionPtr& conn, RemotingCommand request) {
  request.opaque = responses_.next_opaque();
  request.flag = (request.flag & ~kFlagResponse) | kFlagOneway;
  if (!conn->send(std::move(request))) {
    return Status::unavailable("connection to " + conn->remote_address() + " is closed");
  }
  return Status::ok();
}

}  // namespace rmq::remoting
