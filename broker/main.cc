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

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <netinet/in.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>
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

// A config error message on one line: the schema lists its errors one a line after a
// "broker config has N error(s):" header; one error is printed alone, several joined by "; ".
std::string one_line(std::string_view msg) {
  std::vector<std::string_view> lines;
  while (!msg.empty()) {
    const size_t nl = msg.find('\n');
    if (const auto line = msg.substr(0, nl); !line.empty()) lines.push_back(line);
    msg = nl == std::string_view::npos ? std::string_view() : msg.substr(nl + 1);
  }
  std::string out;
  size_t first = 0;
  if (lines.size() >= 2 && lines[0].ends_with("error(s):")) {
    if (lines.size() == 2) return std::string(lines[1]);
    out = std::string(lines[0]) + " ";
    first = 1;
  }
  for (size_t i = first; i < lines.size(); ++i) {
    if (i > first) out += "; ";
    out += lines[i];
  }
  return out;
}

int config_error(std::string_view msg) {
  std::fprintf(stderr, "%s: configuration error: %s\n", kProgram, one_line(msg).c_str());
  return kExitConfig;
}

// gflags exits 1 with its own message on an unknown flag or a bad bool; catch those first so that
// every configuration error exits 2 with one line. A config key without a flag of its own is named
// as such (it goes in --set or the file). Returns the error, empty when the flags are fine.
std::string check_flags(int argc, char** argv, const common::ConfigSchema& schema) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    const size_t eq = arg.find('=');
    std::string name(arg.substr(0, eq));
    gflags::CommandLineFlagInfo info;
    bool known = gflags::GetCommandLineFlagInfo(name.c_str(), &info);
    if (!known && name.starts_with("no") && eq == std::string_view::npos) {
      known = gflags::GetCommandLineFlagInfo(name.c_str() + 2, &info) && info.type == "bool";
      if (known) continue;
    }
    if (!known) {
      if (schema.has_key(name)) {
        return "config key '" + name + "' has no flag of its own: use --set=" + name +
               "=VALUE or the --config file";
      }
      return "unknown flag '--" + name + "' (config keys: --config_help)";
    }
    if (info.type == "bool" && eq != std::string_view::npos) {
      std::string v(arg.substr(eq + 1));
      for (char& ch : v) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
      bool ok = false;
      for (const char* b : {"true", "false", "1", "0", "t", "f", "yes", "no", "y", "n"}) {
        ok = ok || v == b;
      }
      if (!ok) {
        return "command line: " + std::string(schema.has_key(name) ? "key '" : "flag '--") + name +
               "': value '" + std::string(arg.substr(eq + 1)) +
               "' is not a boolean (expected true or false)";
      }
    } else if (info.type != "bool" && eq == std::string_view::npos) {
      ++i;  // "--flag value"
    }
  }
  return {};
}

// Binds and listens on address:port the way the servers will (SO_REUSEADDR), then closes: empty
// when the port can be bound, else why not (strerror: "Address already in use").
std::string probe_port(const std::string& address, uint16_t port) {
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  const sockaddr* sa = nullptr;
  socklen_t len = 0;
  int family = AF_INET;
  if (inet_pton(AF_INET, address.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    sa = reinterpret_cast<const sockaddr*>(&v4);
    len = sizeof v4;
  } else if (inet_pton(AF_INET6, address.c_str(), &v6.sin6_addr) == 1) {
    family = AF_INET6;
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    sa = reinterpret_cast<const sockaddr*>(&v6);
    len = sizeof v6;
  } else {
    return "'" + address + "' is not an IP address";
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  const int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  std::string why;
  if (::bind(fd, sa, len) != 0 || ::listen(fd, 1) != 0) {
    why = std::strerror(errno);
  }
  ::close(fd);
  return why;
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
    const std::string why = probe_port(config.bind_address, p.port);
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
    if (const std::string err = check_flags(argc, argv, schema); !err.empty()) {
      return config_error(err);
    }
  }
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (argc > 1) {
    return config_error("unexpected argument '" + std::string(argv[1]) + "'");
  }
  return run();
}
