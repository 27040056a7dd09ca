#include "common/flags.h"

#include "common/logging.h"
#include "common/properties.h"

#include <gflags/gflags.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <pthread.h>

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

}  // namespace rmq::common
