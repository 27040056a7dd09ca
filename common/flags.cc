#include "common/flags.h"

#include "common/logging.h"
#include "common/properties.h"

#include <gflags/gflags.h>

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace rmq::common {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

ConfigOverrides flag_overrides(const ConfigSchema& schema) {
  ConfigOverrides out;
  for (const std::string& key : schema.keys()) {
    gflags::CommandLineFlagInfo info;
    if (gflags::GetCommandLineFlagInfo(key.c_str(), &info) && !info.is_default) {
      out.emplace_back(key, info.current_value);
    }
  }
  return out;
}

Result<ConfigOverrides> parse_set_overrides(std::string_view list) {
  ConfigOverrides out;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || trim(item.substr(0, eq)).empty()) {
      return Status::invalid_argument("--set: expected key=value, got '" + std::string(item) + "'");
    }
    out.emplace_back(std::string(trim(item.substr(0, eq))), std::string(trim(item.substr(eq + 1))));
  }
  return out;
}

Status apply_config(ConfigSchema& schema, const std::string& config_file,
                    std::string_view set_list) {
  Properties file("(no config file)");
  if (!config_file.empty()) {
    RMQ_ASSIGN_OR_RETURN(file, load_properties_file(config_file));
  }
  ConfigOverrides overrides = flag_overrides(schema);
  RMQ_ASSIGN_OR_RETURN(ConfigOverrides set, parse_set_overrides(set_list));
  overrides.insert(overrides.end(), set.begin(), set.end());
  return schema.apply(file, overrides);
}

namespace {
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}
}  // namespace

void block_stop_signals() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

bool init_main_logging(std::string_view program, const std::string& level,
                       const std::string& file) {
  bool known = false;
  for (const char* ok : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    known = known || level == ok;
  }
  const std::string prog(program);
  if (!known) {
    std::fprintf(stderr, "%s: --log_level: unknown level '%s'\n", prog.c_str(), level.c_str());
    return false;
  }
  LoggingOptions lo;
  lo.level = level;
  lo.file = file;
  try {
    init_logging(lo);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: --log_file: %s\n", prog.c_str(), e.what());
    return false;
  }
  return true;
}

int wait_for_stop_signal() {
  const sigset_t set = stop_signals();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

std::string one_line_errors(std::string_view msg) {
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

std::string check_command_line(int argc, char** argv, const ConfigSchema& schema) {
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

std::string probe_listen_port(const std::string& address, uint16_t port) {
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

}  // namespace rmq::common
