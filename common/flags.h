// gflags bridge for the mains (the only common code that sees gflags; libraries never read
// flags). Turns explicitly set flags and --set lists into ConfigOverrides for a ConfigSchema.
// Call from main() after gflags::ParseCommandLineFlags(), on the main thread.
#pragma once

#include "common/config.h"
#include "common/result.h"
#include "common/status.h"

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

}  // namespace rmq::common
