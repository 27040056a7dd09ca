#include "common/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace rmq::common {
namespace detail {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

// Levenshtein distance, case-insensitive.
size_t edit_distance(std::string_view a_in, std::string_view b_in) {
  const std::string a = lower(a_in);
  const std::string b = lower(b_in);
  std::vector<size_t> prev(b.size() + 1);
  std::vector<size_t> cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string range_text(const ConfigEntry& e) { return fmt::format("[{}, {}]", e.min, e.max); }

}  // namespace

std::string parse_int(const ConfigEntry& e, std::string_view text, int64_t type_min,
                      int64_t type_max, int64_t* out) {
  std::string_view s = text;
  if (s.size() > 1 && s[0] == '+' && s[1] >= '0' && s[1] <= '9') s.remove_prefix(1);
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ptr != s.data() + s.size() || ec == std::errc::invalid_argument) {
    return "is not an integer";
  }
  if (ec == std::errc::result_out_of_range || v < type_min || v > type_max) {
    return fmt::format("is out of range [{}, {}]", type_min, type_max);
  }
  if (e.has_range && (v < e.min || v > e.max)) return "is out of range " + range_text(e);
  *out = v;
  return {};
}

std::string parse_choice(const ConfigEntry& e, std::string_view text, size_t* index) {
  for (size_t i = 0; i < e.choices.size(); ++i) {
    if (lower(e.choices[i]) == lower(text)) {
      *index = i;
      return {};
    }
  }
  return fmt::format("is not one of {}", fmt::join(e.choices, ", "));
}

}  // namespace detail

using detail::ConfigEntry;

detail::ConfigEntry& ConfigSchema::add_entry(std::string key, std::string type) {
  RMQ_CHECK_MSG(find(key) == nullptr, "config key declared twice");
  auto e = std::make_unique<ConfigEntry>();
  e->key = std::move(key);
  e->type = std::move(type);
  entries_.push_back(std::move(e));
  return *entries_.back();
}

const ConfigEntry* ConfigSchema::find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e->key == key) return e.get();
  }
  return nullptr;
}

ConfigKey<std::string> ConfigSchema::add_string(std::string key, std::string* field) {
  ConfigEntry& e = add_entry(std::move(key), "string");
  e.set = [field](const ConfigEntry&, std::string_view text) {
    field->assign(text);
    return std::string();
  };
  e.get = [field] { return *field; };
  e.default_text = e.get();
  return {&e, field};
}

ConfigKey<bool> ConfigSchema::add_bool(std::string key, bool* field) {
  ConfigEntry& e = add_entry(std::move(key), "bool");
  e.set = [field](const ConfigEntry&, std::string_view text) -> std::string {
    const std::string v = detail::lower(text);
    if (v != "true" && v != "false") return "is not a boolean (expected true or false)";
    *field = v == "true";
    return {};
  };
  e.get = [field] { return std::string(*field ? "true" : "false"); };
  e.default_text = e.get();
  return {&e, field};
}

ConfigKey<std::chrono::milliseconds> ConfigSchema::add_duration_ms(
    std::string key, std::chrono::milliseconds* field) {
  ConfigEntry& e = add_entry(std::move(key), "duration(ms)");
  e.set = [field](const ConfigEntry& en, std::string_view text) -> std::string {
    static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
    int64_t scale = 1;
    for (const auto& [suffix, ms] : kUnits) {
      if (text.size() > suffix.size() && text.ends_with(suffix)) {
        text.remove_suffix(suffix.size());
        scale = ms;
        break;
      }
    }
    int64_t v = 0;
    ConfigEntry unbounded = en;
    unbounded.has_range = false;
    const int64_t limit = std::numeric_limits<int64_t>::max() / scale;
    std::string err = detail::parse_int(unbounded, text, 0, limit, &v);
    if (!err.empty())
      return err == "is not an integer" ? "is not a duration (e.g. 500ms, 10s)" : err;
    v *= scale;
    if (en.has_range && (v < en.min || v > en.max)) {
      return "is out of range " + detail::range_text(en) + " ms";
    }
    *field = std::chrono::milliseconds(v);
    return {};
  };
  e.get = [field] { return std::to_string(field->count()); };
  e.default_text = e.get();
  return {&e, field};
}

ConfigKey<std::string> ConfigSchema::add_enum(std::string key, std::string* field,
                                              std::vector<std::string> choices) {
  ConfigEntry& e = add_entry(std::move(key), "enum");
  e.choices = std::move(choices);
  e.set = [field](const ConfigEntry& en, std::string_view text) {
    size_t i = 0;
    std::string err = detail::parse_choice(en, text, &i);
    if (err.empty()) *field = en.choices[i];
    return err;
  };
  e.get = [field] { return *field; };
  e.default_text = e.get();
  return {&e, field};
}

void ConfigSchema::add_ignored(std::string key, std::string reason) {
  ConfigEntry& e = add_entry(std::move(key), "ignored");
  e.help = std::move(reason);
  e.set = [](const ConfigEntry&, std::string_view) { return std::string(); };
  e.get = [] { return std::string(); };
}

Status ConfigSchema::apply(const Properties& file, const ConfigOverrides& overrides) {
  struct Setting {
    int line;  // orders file entries before overrides
    std::string_view key;
    std::string_view value;
    std::string where;
  };
  std::vector<Setting> settings;
  for (const auto& [key, entry] : file.entries()) {
    settings.push_back({entry.line, key, entry.value, file.location(entry)});
  }
  std::stable_sort(settings.begin(), settings.end(),
                   [](const Setting& a, const Setting& b) { return a.line < b.line; });
  for (const auto& [key, value] : overrides) {
    settings.push_back({std::numeric_limits<int>::max(), key, value, "command line"});
  }
  // The last setting of each key wins; earlier ones are not validated.
  std::map<std::string_view, size_t> effective;
  for (size_t i = 0; i < settings.size(); ++i) effective[settings[i].key] = i;

  std::vector<std::string> errors;
  for (size_t i = 0; i < settings.size(); ++i) {
    const Setting& s = settings[i];
    if (effective.at(s.key) != i) continue;
    const ConfigEntry* e = find(s.key);
    if (e == nullptr) {
      std::string msg = fmt::format("{}: unknown key '{}'", s.where, s.key);
      const ConfigEntry* best = nullptr;
      size_t best_distance = 3;
      for (const auto& cand : entries_) {
        const size_t d = detail::edit_distance(s.key, cand->key);
        if (d < best_distance) {
          best = cand.get();
          best_distance = d;
        }
      }
      if (best != nullptr) msg += fmt::format(" (did you mean '{}'?)", best->key);
      errors.push_back(std::move(msg));
      continue;
    }
    const std::string_view value = detail::trim(s.value);
    std::string err = e->required && value.empty() ? "must not be empty" : e->set(*e, value);
    if (!err.empty()) {
      errors.push_back(fmt::format("{}: key '{}': value '{}' {}", s.where, s.key, s.value, err));
    }
  }
  for (const auto& e : entries_) {
    if (e->required && !effective.contains(e->key)) {
      errors.push_back(fmt::format("{}: missing required key '{}'", file.source(), e->key));
    }
  }
  if (errors.empty()) return Status::ok();
  return Status::invalid_argument(fmt::format("{} config has {} error(s):\n{}", component_,
                                              errors.size(), fmt::join(errors, "\n")));
}

std::string ConfigSchema::describe() const {
  std::string out = fmt::format("{} config keys:\n", component_);
  for (const auto& e : entries_) {
    if (e->type == "ignored") continue;
    out += fmt::format("  {} ({}", e->key, e->type);
    if (e->required) {
      out += ", required";
    } else {
      out += fmt::format(", default '{}'", e->default_text);
    }
    if (e->has_range) out += ", range " + detail::range_text(*e);
    if (!e->choices.empty()) out += fmt::format(", one of {}", fmt::join(e->choices, "|"));
    out += ")\n";
    if (!e->help.empty()) out += fmt::format("      {}\n", e->help);
  }
  return out;
}

std::string ConfigSchema::dump() const {
  std::string out;
  for (const auto& e : entries_) {
    if (e->type == "ignored") continue;
    out += format_property(e->key, e->get());
    out.push_back('\n');
  }
  return out;
}

std::vector<std::string> ConfigSchema::keys() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) {
    if (e->type != "ignored") out.push_back(e->key);
  }
  return out;
}

bool ConfigSchema::has_key(std::string_view key) const {
  const ConfigEntry* e = find(key);
  return e != nullptr && e->type != "ignored";
}

}  // namespace rmq::common
