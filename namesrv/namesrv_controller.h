// NamesrvController: one NameServer (RocketMQ's NamesrvController). Owns the route table, the KV
// config, the remoting Server with the request processor on a bounded ThreadPool, and a scan
// thread that expires silent brokers every scanNotActiveBrokerIntervalMs (expiry decisions use the
// injected Clock). Lifecycle: construct, start(), stop() (also in the destructor); start() and
// stop() are called from one thread, the accessors from any thread after start().
#pragma once

#include "common/clock.h"
#include "common/status.h"
#include "metrics/registry.h"
#include "namesrv/kv_config_manager.h"
#include "namesrv/namesrv_config.h"
#include "namesrv/route_info_manager.h"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace rmq::common {
class ThreadPool;
}  // namespace rmq::common

namespace rmq::metrics {
class HttpServer;
}  // namespace rmq::metrics

namespace rmq::remoting {
class Server;
}  // namespace rmq::remoting

namespace rmq::namesrv {

class NamesrvProcessor;

class NamesrvController {
 public:
  NamesrvController(NamesrvConfig config, common::Clock& clock);
  ~NamesrvController();
  NamesrvController(const NamesrvController&) = delete;
  NamesrvController& operator=(const NamesrvController&) = delete;

  // Binds the port (and the /metrics port unless metricsPort=-1) and starts serving.
  // InvalidArgument for a bad bind address, IOError when a port cannot be bound (in use, no
  // permission); nothing keeps running after an error.
  [[nodiscard]] common::Status start();
  // Stops accepting, finishes queued requests, joins the scan thread. Idempotent.
  void stop();

  // The bound port (useful with listenPort=0). REQUIRES: start() succeeded.
  uint16_t port() const;
  // The bound /metrics port; 0 when disabled or not started.
  uint16_t metrics_port() const;
  const NamesrvConfig& config() const { return config_; }
  RouteInfoManager& route_info_manager() { return routes_; }
  KvConfigManager& kv_config_manager() { return kv_; }

 private:
  void scan_loop();

  const NamesrvConfig config_;
  RouteInfoManager routes_;
  KvConfigManager kv_;
  std::shared_ptr<NamesrvProcessor> processor_;
  std::shared_ptr<common::ThreadPool> executor_;
  std::unique_ptr<remoting::Server> server_;
  metrics::Registry metrics_;
  std::unique_ptr<metrics::HttpServer> metrics_http_;
  bool started_ = false;

  std::thread scan_thread_;
  std::mutex scan_mu_;
  std::condition_variable scan_cv_;
  bool stopping_ = false;  // guarded by scan_mu_
};

}  // namespace rmq::namesrv
