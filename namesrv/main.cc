// raftmq-namesrv: the NameServer process. Reads --config (a RocketMQ-style namesrv.conf), then
// flags named like config keys (--listenPort=9877) and --set=key=value,... on top; serves until
// SIGINT/SIGTERM, then stops cleanly. Exit codes: 0 clean stop, 2 configuration error, 3 a port
// cannot be bound (e.g. in use), 1 anything else. Exits 2 and 3 print one line to stderr naming
// the key (and for 3 the port); the ports are test-bound before anything starts.
#include "common/clock.h"
#include "common/flags.h"
#include "common/logging.h"
#include "namesrv/namesrv_config.h"
#include "namesrv/namesrv_controller.h"

#include <gflags/gflags.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

DEFINE_string(config, "", "namesrv.conf path (Java properties: key=value)");
DEFINE_string(set, "", "config overrides: key=value,key2=value2 (applied last)");
DEFINE_string(log_level, "info", "trace, debug, info, warn, error, critical, off");
DEFINE_string(log_file, "", "also log to this file");
DEFINE_bool(config_help, false, "print the config keys with their defaults and exit");
// Flags named like config keys: set explicitly, they override the file (common/flags.h). Numbers
// are string flags so that the config schema, not gflags, judges the value (exit 2, key named).
DEFINE_string(listenPort, "9876", "config key listenPort");
DEFINE_string(bindAddress, "0.0.0.0", "config key bindAddress");
DEFINE_string(metricsPort, "-2", "config key metricsPort");
DEFINE_string(serverWorkerThreads, "8", "config key serverWorkerThreads");
DEFINE_string(serverSelectorThreads, "3", "config key serverSelectorThreads");
DEFINE_string(brokerExpirySeconds, "120", "config key brokerExpirySeconds");
DEFINE_string(scanNotActiveBrokerIntervalMs, "5000", "config key scanNotActiveBrokerIntervalMs");
DEFINE_bool(orderMessageEnable, false, "config key orderMessageEnable");

namespace {

using namespace rmq;

constexpr const char* kProgram = "raftmq-namesrv";
constexpr int kExitConfig = 2;
constexpr int kExitBind = 3;

int config_error(std::string_view msg) {
  std::fprintf(stderr, "%s: configuration error: %s\n", kProgram,
               common::one_line_errors(msg).c_str());
  return kExitConfig;
}

int run() {
  if (!common::init_main_logging("raftmq-namesrv", FLAGS_log_level, FLAGS_log_file))
    return kExitConfig;

  namesrv::NamesrvConfig config;
  common::ConfigSchema schema = namesrv::make_namesrv_schema(config);
  if (FLAGS_config_help) {
    std::printf("%s", schema.describe().c_str());
    return 0;
  }
  if (auto st = common::apply_config(schema, FLAGS_config, FLAGS_set); !st.is_ok()) {
    return config_error(st.message());
  }
  if (auto st = namesrv::validate(config); !st.is_ok()) return config_error(st.message());
  for (const auto& p : namesrv::listen_ports(config)) {
    const std::string why = common::probe_listen_port(config.bind_address, p.port);
    if (why.empty()) continue;
    const bool v6 = config.bind_address.find(':') != std::string::npos;
    std::fprintf(stderr, "%s: cannot listen on %s%s%s:%u for %s: %s\n", kProgram, v6 ? "[" : "",
                 config.bind_address.c_str(), v6 ? "]" : "", static_cast<unsigned>(p.port),
                 p.what.c_str(), why.c_str());
    return kExitBind;
  }

  namesrv::NamesrvController controller(config, common::SteadyClock::instance());
  if (auto st = controller.start(); !st.is_ok()) {
    std::fprintf(stderr, "raftmq-namesrv: cannot start: %s\n", st.to_string().c_str());
    return st.code() == common::Code::kInvalidArgument ? kExitConfig : kExitBind;
  }
  std::printf("raftmq-namesrv listening on %s:%u (metrics port %u)\neffective config:\n%s",
              config.bind_address.c_str(), static_cast<unsigned>(controller.port()),
              static_cast<unsigned>(controller.metrics_port()), schema.dump().c_str());
  std::fflush(stdout);
  common::logger("namesrv")->info("raftmq-namesrv listening on {}:{}", config.bind_address,
                                  controller.port());

  const int sig = common::wait_for_stop_signal();
  common::logger("namesrv")->info("signal {}: stopping", sig);
  controller.stop();
  spdlog::shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  rmq::common::block_stop_signals();  // every thread inherits the mask; main takes the signals

  gflags::SetUsageMessage(
      "the raftmq NameServer: raftmq-namesrv [--config=namesrv.conf] [--listenPort=9876] "
      "[--set=key=value,...]");
  {
    rmq::namesrv::NamesrvConfig scratch;
    const auto schema = rmq::namesrv::make_namesrv_schema(scratch);
    if (const std::string err = common::check_command_line(argc, argv, schema); !err.empty()) {
      return config_error(err);
    }
  }
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (argc > 1) {
    return config_error("unexpected argument '" + std::string(argv[1]) + "'");
  }
  return run();
}
