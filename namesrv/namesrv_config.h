// NamesrvConfig: the NameServer's settings, read from a RocketMQ-style namesrv.conf plus command-
// line overrides through common::ConfigSchema (keys keep RocketMQ's camelCase names). A plain
// value built once on the main thread.
#pragma once

#include "common/config.h"
#include "common/status.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace rmq::namesrv {

inline constexpr int32_t kMetricsPortAuto = -2;

struct NamesrvConfig {
  std::string bind_address = "0.0.0.0";
  int32_t listen_port = 9876;  // 0: pick a free port
  // Prometheus GET /metrics port: kMetricsPortAuto = listenPort + 1, -1 off, 0 any free port.
  int32_t metrics_port = kMetricsPortAuto;
  int32_t server_worker_threads = 8;
  int32_t server_selector_threads = 3;  // remoting I/O threads
  int32_t server_thread_pool_queue_capacity = 10000;
  int64_t broker_expiry_seconds = 120;
  std::chrono::milliseconds scan_not_active_broker_interval{5000};
  bool order_message_enable = false;
};

// Binds every key to `config`'s fields (the fields' current values are the defaults).
// REQUIRES: `config` outlives the schema.
common::ConfigSchema make_namesrv_schema(NamesrvConfig& config);

// Checks a schema cannot, each error one line naming the key: bindAddress is an IP address and
// metricsPort differs from listenPort.
[[nodiscard]] common::Status validate(const NamesrvConfig& config);

// A port the NameServer binds on bindAddress (listenPort, then metricsPort), for the start-up
// check of main.cc; ports 0 ("any free port") and a disabled metrics port are left out.
struct ListenPort {
  std::string key;   // listenPort or metricsPort
  std::string what;  // "metricsPort (listenPort+1)" when it is derived
  uint16_t port = 0;
};
std::vector<ListenPort> listen_ports(const NamesrvConfig& config);

// The port the /metrics endpoint binds: metricsPort, or listenPort + 1 (9877 by default) when it
// is left at auto (0, any free port, when listenPort is 0 or the sum is not a port); -1: disabled.
int32_t effective_metrics_port(const NamesrvConfig& config);

}  // namespace rmq::namesrv
