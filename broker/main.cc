// raftmq-broker: one broker node (DLedger group member or local single node). Reads --config (a
// RocketMQ-style broker.conf), then flags named like config keys (--listenPort=10911) and
// --set=key=value,... on top; serves until SIGINT/SIGTERM, then stops cleanly (unregisters from
// the NameServers, flushes the store). Exit codes: 0 clean stop, 2 configuration error, 3 a port
// cannot be bound (in use, or not allowed), 1 anything else. Exits 2 and 3 print one line to
// stderr naming the key (and for 3 the port), before anything is opened or logged: the config is
// validated, then every port is test-bound, then the store opens.
#include "broker/broker_config.h"
#include "broker/broker_controller.h"
#include "common/clock.h"
#include "common/flags.h"
#include "common/logging.h"

#include <gflags/gflags.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

DEFINE_string(config, "", "broker.conf path (Java properties: key=value)");
DEFINE_string(set, "", "config overrides: key=value,key2=value2 (applied last)");
DEFINE_string(log_level, "info", "trace, debug, info, warn, error, critical, off");
DEFINE_string(log_file, "", "also log to this file");
DEFINE_bool(config_help, false, "print the config keys with their defaults and exit");
// Flags named like config keys: set explicitly, they override the file (common/flags.h). Numbers
// are string flags so that the config schema, not gflags, judges the value (exit 2, key named).
DEFINE_string(listenPort, "10911", "config key listenPort");
DEFINE_string(namesrvAddr, "127.0.0.1:9876", "config key namesrvAddr");
DEFINE_string(storePathRootDir, "/tmp/raftmq/store", "config key storePathRootDir");
DEFINE_string(brokerName, "broker-a", "config key brokerName");
DEFINE_string(brokerIP1, "127.0.0.1", "config key brokerIP1");
DEFINE_string(dLegerSelfId, "n1", "config key dLegerSelfId");
DEFINE_string(dLegerPeers, "", "config key dLegerPeers");
DEFINE_bool(enableDLegerCommitLog, true, "config key enableDLegerCommitLog");
DEFINE_string(flushDiskType, "ASYNC_FLUSH", "config key flushDiskType");

namespace {

using namespace rmq;

constexpr const char* kProgram = "raftmq-broker";
constexpr int kExitConfig = 2;
constexpr int kExitBind = 3;

int config_error(std::string_view msg) {
  std::fprintf(stderr, "%s: configuration error: %s\n", kProgram,
               common::one_line_errors(msg).c_str());
  return kExitConfig;
}

int run() {
  if (!common::init_main_logging("raftmq-broker", FLAGS_log_level, FLAGS_log_file))
    return kExitConfig;

  broker::BrokerConfig config;
  common::ConfigSchema schema = broker::make_broker_schema(config);
  if (FLAGS_config_help) {
    std::printf("%s", schema.describe().c_str());
    return 0;
  }
  if (auto st = common::apply_config(schema, FLAGS_config, FLAGS_set); !st.is_ok()) {
    return config_error(st.message());
  }
  if (auto st = broker::validate(config); !st.is_ok()) return config_error(st.message());
  // Every port is tried before the store opens (a port in use fails at once, naming its key).
  for (const auto& p : broker::listen_ports(config)) {
    const std::string why = common::probe_listen_port(config.bind_address, p.port);
    if (why.empty()) continue;
    const bool v6 = config.bind_address.find(':') != std::string::npos;
    std::fprintf(stderr, "%s: cannot listen on %s%s%s:%u for %s: %s\n", kProgram, v6 ? "[" : "",
                 config.bind_address.c_str(), v6 ? "]" : "", static_cast<unsigned>(p.port),
                 p.what.c_str(), why.c_str());
    return kExitBind;
  }

  broker::BrokerController controller(config, common::SteadyClock::instance());
  if (auto st = controller.start(); !st.is_ok()) {
    std::fprintf(stderr, "raftmq-broker: cannot start: %s\n", st.to_string().c_str());
    controller.stop();
    if (st.code() == common::Code::kInvalidArgument) return kExitConfig;
    return st.code() == common::Code::kIOError ? kExitBind : 1;
  }
  std::printf("raftmq-broker %s listening on %s:%u (%s mode)\n", config.broker_name.c_str(),
              config.broker_ip1.c_str(), static_cast<unsigned>(controller.port()),
              config.enable_dledger ? "dledger" : "local");
  std::fflush(stdout);

  const int sig = common::wait_for_stop_signal();
  common::logger("broker")->info("signal {}: stopping", sig);
  controller.stop();
  spdlog::shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  rmq::common::block_stop_signals();  // every thread inherits the mask; main takes the signals

  gflags::SetUsageMessage(
      "the raftmq broker: raftmq-broker [--config=broker.conf] [--listenPort=10911] "
      "[--set=key=value,...]");
  {
    rmq::broker::BrokerConfig scratch;
    const auto schema = rmq::broker::make_broker_schema(scratch);
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
