// One named spdlog logger per module ("common", "remoting", "store", "dledger", "broker",
// "namesrv", "client", "tools"). Loggers are created on first use and share the sinks set by
// init_logging(); until then they log to stderr. Thread-safe.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace rmq::common {

struct LoggingOptions {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  std::string file;            // empty: stderr only
  bool also_stderr = true;
};

// Sets sinks and level for all module loggers (existing and future). Call once from main().
void init_logging(const LoggingOptions& options);

// The logger of one module, e.g. common::logger("remoting")->warn(...).
std::shared_ptr<spdlog::logger> logger(std::string_view module);

}  // namespace rmq::common
