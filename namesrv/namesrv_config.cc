#include "namesrv/namesrv_config.h"

#include <arpa/inet.h>

namespace rmq::namesrv {

common::ConfigSchema make_namesrv_schema(NamesrvConfig& c) {
  common::ConfigSchema s("namesrv");
  s.add_int("listenPort", &c.listen_port)
      .range(0, 65535)
      .help("TCP port clients and brokers connect to (0: any free port).");
  s.add_string("bindAddress", &c.bind_address).help("Address the listening socket binds to.");
  s.add_int("metricsPort", &c.metrics_port)
      .range(-2, 65535)
      .help("Prometheus GET /metrics HTTP port: -2 = listenPort+1, -1 = off, 0 = any free port.");
  s.add_int("serverWorkerThreads", &c.server_worker_threads)
      .range(1, 256)
      .help("Threads running request handlers.");
  s.add_int("serverSelectorThreads", &c.server_selector_threads)
      .range(1, 64)
      .help("Remoting I/O threads.");
  s.add_int("serverThreadPoolQueueCapacity", &c.server_thread_pool_queue_capacity)
      .range(1, 10'000'000)
      .help("Requests queued for the handler threads before SYSTEM_BUSY.");
  s.add_int("brokerExpirySeconds", &c.broker_expiry_seconds)
      .range(1, 86'400)
      .help("A broker that has not registered for this long is removed from the routes.");
  s.add_duration_ms("scanNotActiveBrokerIntervalMs", &c.scan_not_active_broker_interval)
      .range(10, 3'600'000)
      .help("How often expired brokers are looked for.");
  s.add_bool("orderMessageEnable", &c.order_message_enable)
      .help("Fill orderTopicConf of routes from the ORDER_TOPIC_CONFIG KV namespace.");
  s.add_ignored("kvConfigPath", "the KV config is kept in memory only");
  s.add_ignored("rocketmqHome", "no files are read from it");
  s.add_ignored("configStorePath", "the configuration is not written back");
  s.add_ignored("productEnvName", "not used");
  s.add_ignored("clusterTest", "not used");
  return s;
}

int32_t effective_metrics_port(const NamesrvConfig& c) {
  if (c.metrics_port != kMetricsPortAuto) return c.metrics_port;
  if (c.listen_port == 0 || c.listen_port + 1 > 65535) return 0;
  return c.listen_port + 1;
}

common::Status validate(const NamesrvConfig& c) {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, c.bind_address.c_str(), &v4) != 1 &&
      inet_pton(AF_INET6, c.bind_address.c_str(), &v6) != 1) {
    return common::Status::invalid_argument("bindAddress '" + c.bind_address +
                                            "' is not an IP address (0.0.0.0 binds every "
                                            "interface)");
  }
  const auto ports = listen_ports(c);
  if (ports.size() == 2 && ports[0].port == ports[1].port) {
    return common::Status::invalid_argument(ports[1].what + " " + std::to_string(ports[1].port) +
                                            " is also listenPort: the two ports must differ");
  }
  return common::Status::ok();
}

std::vector<ListenPort> listen_ports(const NamesrvConfig& c) {
  std::vector<ListenPort> out;
  if (c.listen_port > 0) {
    out.push_back({"listenPort", "listenPort", static_cast<uint16_t>(c.listen_port)});
  }
  if (const int32_t m = effective_metrics_port(c); m > 0) {
    out.push_back(
        {"metricsPort",
         c.metrics_port == kMetricsPortAuto ? "metricsPort (listenPort+1)" : "metricsPort",
         static_cast<uint16_t>(m)});
  }
  return out;
}

}  // namespace rmq::namesrv
