#include "namesrv/namesrv_controller.h"

#include "common/logging.h"
#include "common/thread_pool.h"
#include "metrics/http_server.h"
#include "namesrv/namesrv_metrics.h"
#include "namesrv/namesrv_processor.h"
#include "remoting/server.h"

#include <pthread.h>

namespace rmq::namesrv {
namespace {

RouteInfoOptions route_options(const NamesrvConfig& c) {
  RouteInfoOptions o;
  o.broker_expiry = std::chrono::seconds(c.broker_expiry_seconds);
  return o;
}

remoting::ServerOptions server_options(const NamesrvConfig& c) {
  remoting::ServerOptions o;
  o.bind_address = c.bind_address;
  o.port = static_cast<uint16_t>(c.listen_port);
  o.endpoint.name = "namesrv";
  o.endpoint.io_threads = static_cast<size_t>(c.server_selector_threads);
  return o;
}

}  // namespace

NamesrvController::NamesrvController(NamesrvConfig config, common::Clock& clock)
    : config_(std::move(config)), routes_(clock, route_options(config_)) {
  NamesrvProcessorOptions po;
  po.order_message_enable = config_.order_message_enable;
  processor_ = std::make_shared<NamesrvProcessor>(routes_, kv_, po);
  executor_ = std::make_shared<common::ThreadPool>(
      "namesrv-exec", static_cast<size_t>(config_.server_worker_threads),
      static_cast<size_t>(config_.server_thread_pool_queue_capacity));
  server_ = std::make_unique<remoting::Server>(server_options(config_), clock);
  auto counted =
      std::make_shared<CountingProcessor>(processor_, metrics_, NamesrvProcessor::handled_codes());
  for (const remoting::RequestCode code : NamesrvProcessor::handled_codes()) {
    server_->registry().register_processor(code, counted, executor_);
  }
  register_namesrv_metrics(metrics_, routes_, [this] { return server_->connection_count(); });
  // A broker's registration connection closing means it died or restarted: drop it from the
  // routes now rather than after brokerExpiry (RocketMQ's BrokerHousekeepingService).
  server_->set_close_listener(
      [this](const remoting::ConnectionPtr& conn) { routes_.on_connection_closed(conn->id()); });
}

NamesrvController::~NamesrvController() { stop(); }

common::Status NamesrvController::start() {
  if (started_) return common::Status::ok();
  if (auto st = server_->start(); !st.is_ok()) {
    executor_->stop();
    return st;
  }
  if (const int32_t mport = effective_metrics_port(config_); mport >= 0) {
    metrics::HttpServerOptions mo;
    mo.bind_address = config_.bind_address;
    mo.port = static_cast<uint16_t>(mport);
    mo.name = "namesrv-metrics";
    metrics_http_ = std::make_unique<metrics::HttpServer>(mo, metrics_);
    if (auto st = metrics_http_->start(); !st.is_ok()) {
      metrics_http_.reset();
      server_->stop();
      executor_->stop();
      return st;
    }
  }
  started_ = true;
  scan_thread_ = std::thread([this] { scan_loop(); });
  return common::Status::ok();
}

void NamesrvController::stop() {
  if (!started_) return;
  started_ = false;
  if (metrics_http_) metrics_http_->stop();
  server_->stop();
  executor_->stop();
  {
    std::lock_guard<std::mutex> lock(scan_mu_);
    stopping_ = true;
  }
  scan_cv_.notify_all();
  if (scan_thread_.joinable()) scan_thread_.join();
  common::logger("namesrv")->info("namesrv stopped");
}

uint16_t NamesrvController::port() const { return server_->port(); }

uint16_t NamesrvController::metrics_port() const {
  return metrics_http_ ? metrics_http_->port() : 0;
}

void NamesrvController::scan_loop() {
  pthread_setname_np(pthread_self(), "namesrv-scan");
  std::unique_lock<std::mutex> lock(scan_mu_);
  while (!stopping_) {
    // The wait only paces the scan; which broker expired is decided with the injected Clock.
    scan_cv_.wait_for(lock, config_.scan_not_active_broker_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    routes_.scan_not_active_brokers();
    lock.lock();
  }
}

}  // namespace rmq::namesrv
