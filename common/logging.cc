#include "common/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>
#include <vector>

namespace rmq::common {
namespace {

struct Registry {
  std::mutex mu;
  std::vector<spdlog::sink_ptr> sinks;
  spdlog::level::level_enum level = spdlog::level::info;
  bool initialized = false;
};

Registry& registry() {
  static Registry r;
  return r;
}

void ensure_default_sinks(Registry& r) {
  if (r.sinks.empty()) r.sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

constexpr const char* kPattern = "%Y-%m-%d %H:%M:%S.%e %^%L%$ [%n] %v";

}  // namespace

void init_logging(const LoggingOptions& options) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.sinks.clear();
  if (options.also_stderr || options.file.empty()) {
    r.sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  }
  if (!options.file.empty()) {
    r.sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file));
  }
  r.level = spdlog::level::from_str(options.level);
  r.initialized = true;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->sinks() = r.sinks;
    l->set_level(r.level);
    l->set_pattern(kPattern);
  });
  spdlog::flush_every(std::chrono::seconds(1));
  spdlog::flush_on(spdlog::level::warn);
}

std::shared_ptr<spdlog::logger> logger(std::string_view module) {
  const std::string name(module);
  if (auto existing = spdlog::get(name)) return existing;
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  if (auto existing = spdlog::get(name)) return existing;
  ensure_default_sinks(r);
  auto l = std::make_shared<spdlog::logger>(name, r.sinks.begin(), r.sinks.end());
  l->set_level(r.level);
  l->set_pattern(kPattern);
  spdlog::register_logger(l);
  return l;
}

}  // namespace rmq::common
