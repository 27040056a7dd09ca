// gflags bridge for the mains (the only common code that sees gflags; libraries never read
// flags). Turns explicitly set flags and --set lists into ConfigOverrides for a ConfigSchema.
// Call from main() after gflags::ParseCommandLineFlags(), on the main thread.
#pragma once

#include "common/config.h"
#include "common/result.h"
#include "common/status.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace rmq::common {

// (key, value) for every gflags flag that is named like a key of `schema` and was set
// explicitly on the command line, in the schema's key order.
ConfigOverrides flag_overrides(const ConfigSchema& schema);

// Parses "key=value,key2=value2" (whitespace around items ignored, empty items skipped);
// InvalidArgument for an item without '=' or with an empty key.
[[nodiscard]] Result<ConfigOverrides> parse_set_overrides(std::string_view list);

// The usual main() sequence: load `config_file` (skipped when empty), then apply it with
// flag_overrides() followed by parse_set_overrides(set_list).
[[nodiscard]] Status apply_config(ConfigSchema& schema, const std::string& config_file,
                                  std::string_view set_list);

// The rest of a server main's boilerplate. block_stop_signals() first in main() (every thread
// then inherits the mask); init_main_logging() checks --log_level/--log_file and sets logging up,
// printing "<program>: <reason>" to stderr and returning false when it cannot;
// wait_for_stop_signal() blocks until SIGINT or SIGTERM and returns it.
void block_stop_signals();
[[nodiscard]] bool init_main_logging(std::string_view program, const std::string& level,
                                     const std::string& file);
int wait_for_stop_signal();

// Start-up checks shared by the server mains (exit 2 / exit 3 with one stderr line):
// one_line_errors() joins a schema's multi-line error ("<x> config has N error(s):" then one per
// line) into one line; check_command_line() catches what gflags would reject with its own
// message and exit 1 (unknown flags, bad booleans, a config key without a flag of its own) and
// returns the error, empty when the flags are fine; probe_listen_port() binds and listens on
// address:port as the servers will (SO_REUSEADDR) and closes again: empty when it can be bound,
// else why not ("Address already in use").
std::string one_line_errors(std::string_view msg);
std::string check_command_line(int argc, char** argv, const ConfigSchema& schema);
std::string probe_listen_port(const std::string& address, uint16_t port);

}  // namespace rmq::common
