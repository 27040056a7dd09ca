#include "metrics/registry.h"

#include "common/check.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace rmq::metrics {

namespace {

bool name_char(char c, bool first, bool colon_ok) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon_ok && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon_ok) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, colon_ok)) return false;
  }
  return true;
}

// `a="x",b="y"` (no braces).
std::string label_body(const Labels& labels) {
  std::string s;
  for (const auto& [k, v] : labels) {
    if (!s.empty()) s += ',';
    s += k;
    s += "=\"";
    s += escape_label_value(v);
    s += '"';
  }
  return s;
}

void append_line(std::string& out, const std::string& name, std::string_view suffix,
                 const std::string& body, std::string_view extra, const std::string& value) {
  out += name;
  out += suffix;
  if (!body.empty() || !extra.empty()) {
    out += '{';
    out += body;
    if (!body.empty() && !extra.empty()) out += ',';
    out += extra;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

const char* to_string(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool valid_metric_name(std::string_view name) { return valid_name(name, /*colon_ok=*/true); }

bool valid_label_name(std::string_view name) {
  return valid_name(name, /*colon_ok=*/false) && name.substr(0, 2) != "__";
}

std::string escape_help(std::string_view text) {
  std::string s;
  s.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      s += "\\\\";
    } else if (c == '\n') {
      s += "\\n";
    } else {
      s += c;
    }
  }
  return s;
}

std::string escape_label_value(std::string_view text) {
  std::string s;
  s.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      s += "\\\\";
    } else if (c == '"') {
      s += "\\\"";
    } else if (c == '\n') {
      s += "\\n";
    } else {
      s += c;
    }
  }
  return s;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
    return std::string(buf, r.ptr);
  }
  // Plain decimals where they stay short (0.0001 rather than 1e-04), exponents beyond.
  const double mag = std::fabs(v);
  auto r = mag >= 1e-6 && mag < 1e15
               ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
               : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// ---- Histogram ---------------------------------------------------------------------------------

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    RMQ_CHECK_MSG(std::isfinite(bounds_[i]), "histogram bounds must be finite");
    RMQ_CHECK_MSG(i == 0 || bounds_[i - 1] < bounds_[i], "histogram bounds must increase");
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  if (std::isnan(v)) return;
  const size_t i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = acc;
  }
  s.count = acc;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> exponential_buckets(double start, double factor, size_t count) {
  RMQ_CHECK(start > 0 && factor > 1);
  std::vector<double> b;
  double v = start;
  for (size_t i = 0; i < count; ++i, v *= factor) b.push_back(v);
  return b;
}

std::vector<double> latency_buckets_seconds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

// ---- Registry ----------------------------------------------------------------------------------

struct Registry::Series {
  Labels labels;     // const labels first
  std::string body;  // rendered labels, no braces
  std::unique_ptr<Counter> own_counter;
  std::unique_ptr<Gauge> own_gauge;
  std::unique_ptr<Histogram> own_histogram;
  const Counter* counter = nullptr;
  const Gauge* gauge = nullptr;
  const Histogram* histogram = nullptr;
  std::function<double()> fn;
};

struct Registry::Family {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::unique_ptr<Series>> series;
  std::function<void(std::vector<Sample>&)> collect;
};

Registry::Registry(Labels const_labels) : const_labels_(std::move(const_labels)) {
  std::set<std::string> names;
  for (const auto& [k, v] : const_labels_) {
    RMQ_CHECK_MSG(valid_label_name(k) && k != "le", "bad constant label name");
    RMQ_CHECK_MSG(names.insert(k).second, "constant label given twice");
  }
}

Registry::~Registry() = default;

Registry::Family& Registry::family(const std::string& name, const std::string& help,
                                   MetricType type) {
  RMQ_CHECK_MSG(valid_metric_name(name), "bad metric name");
  for (auto& f : families_) {
    if (f->name == name) {
      RMQ_CHECK_MSG(f->type == type, "metric registered again with another type");
      RMQ_CHECK_MSG(f->help == help, "metric registered again with another help text");
      RMQ_CHECK_MSG(!f->collect, "metric name already taken by a collector");
      return *f;
    }
  }
  auto f = std::make_unique<Family>();
  f->name = name;
  f->help = help;
  f->type = type;
  families_.push_back(std::move(f));
  return *families_.back();
}

Registry::Series* Registry::find_series(Family& f, const Labels& labels) {
  Labels all = const_labels_;
  all.insert(all.end(), labels.begin(), labels.end());
  for (auto& s : f.series) {
    if (s->labels == all) return s.get();
  }
  return nullptr;
}

Registry::Series& Registry::add_series(Family& f, Labels labels) {
  RMQ_CHECK_MSG(find_series(f, labels) == nullptr, "series registered twice");
  auto s = std::make_unique<Series>();
  s->labels = const_labels_;
  std::set<std::string> names;
  for (const auto& [k, v] : s->labels) names.insert(k);
  for (auto& [k, v] : labels) {
    RMQ_CHECK_MSG(valid_label_name(k), "bad label name");
    RMQ_CHECK_MSG(!(f.type == MetricType::kHistogram && k == "le"), "le is reserved");
    RMQ_CHECK_MSG(names.insert(k).second, "label given twice");
    s->labels.emplace_back(std::move(k), std::move(v));
  }
  s->body = label_body(s->labels);
  f.series.push_back(std::move(s));
  return *f.series.back();
}

Counter& Registry::counter(const std::string& name, const std::string& help, Labels labels) {
  common::MutexLock lock(mu_);
  Family& f = family(name, help, MetricType::kCounter);
  if (Series* s = find_series(f, labels); s != nullptr) {
    RMQ_CHECK_MSG(s->own_counter != nullptr, "series registered twice");
    return *s->own_counter;
  }
  Series& s = add_series(f, std::move(labels));
  s.own_counter = std::make_unique<Counter>();
  s.counter = s.own_counter.get();
  return *s.own_counter;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, Labels labels) {
  common::MutexLock lock(mu_);
  Family& f = family(name, help, MetricType::kGauge);
  if (Series* s = find_series(f, labels); s != nullptr) {
    RMQ_CHECK_MSG(s->own_gauge != nullptr, "series registered twice");
    return *s->own_gauge;
  }
  Series& s = add_series(f, std::move(labels));
  s.own_gauge = std::make_unique<Gauge>();
  s.gauge = s.own_gauge.get();
  return *s.own_gauge;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               std::vector<double> bounds, Labels labels) {
  common::MutexLock lock(mu_);
  Family& f = family(name, help, MetricType::kHistogram);
  if (Series* s = find_series(f, labels); s != nullptr) {
    RMQ_CHECK_MSG(s->own_histogram != nullptr && s->own_histogram->bounds() == bounds,
                  "series registered twice");
    return *s->own_histogram;
  }
  Series& s = add_series(f, std::move(labels));
  s.own_histogram = std::make_unique<Histogram>(std::move(bounds));
  s.histogram = s.own_histogram.get();
  return *s.own_histogram;
}

void Registry::add_counter_ref(const std::string& name, const std::string& help, const Counter& m,
                               Labels labels) {
  common::MutexLock lock(mu_);
  add_series(family(name, help, MetricType::kCounter), std::move(labels)).counter = &m;
}

void Registry::add_histogram_ref(const std::string& name, const std::string& help,
                                 const Histogram& m, Labels labels) {
  common::MutexLock lock(mu_);
  add_series(family(name, help, MetricType::kHistogram), std::move(labels)).histogram = &m;
}

void Registry::counter_fn(const std::string& name, const std::string& help,
                          std::function<double()> fn, Labels labels) {
  common::MutexLock lock(mu_);
  add_series(family(name, help, MetricType::kCounter), std::move(labels)).fn = std::move(fn);
}

void Registry::gauge_fn(const std::string& name, const std::string& help,
                        std::function<double()> fn, Labels labels) {
  common::MutexLock lock(mu_);
  add_series(family(name, help, MetricType::kGauge), std::move(labels)).fn = std::move(fn);
}

void Registry::collector(const std::string& name, const std::string& help, MetricType type,
                         std::function<void(std::vector<Sample>&)> fn) {
  RMQ_CHECK_MSG(type != MetricType::kHistogram, "collectors produce counters or gauges");
  common::MutexLock lock(mu_);
  Family& f = family(name, help, type);
  RMQ_CHECK_MSG(f.series.empty(), "metric name already has fixed series");
  f.collect = std::move(fn);
}

void Registry::on_scrape(std::function<void()> hook) {
  common::MutexLock lock(mu_);
  hooks_.push_back(std::move(hook));
}

std::string Registry::render() const {
  common::MutexLock lock(mu_);
  for (const auto& hook : hooks_) hook();
  std::string out;
  out.reserve(4096);
  std::vector<Sample> samples;
  for (const auto& f : families_) {
    out += "# HELP ";
    out += f->name;
    out += ' ';
    out += escape_help(f->help);
    out += "\n# TYPE ";
    out += f->name;
    out += ' ';
    out += to_string(f->type);
    out += '\n';
    if (f->collect) {
      samples.clear();
      f->collect(samples);
      std::set<Labels> seen;
      for (auto& smp : samples) {
        Labels all = const_labels_;
        bool ok = true;
        for (auto& kv : smp.labels) {
          ok = ok && valid_label_name(kv.first) &&
               std::none_of(all.begin(), all.end(),
                            [&](const auto& a) { return a.first == kv.first; });
          all.push_back(std::move(kv));
        }
        // A malformed or repeated series would make the whole scrape invalid: leave it out.
        if (!ok || !seen.insert(all).second) continue;
        append_line(out, f->name, "", label_body(all), "", format_value(smp.value));
      }
      continue;
    }
    for (const auto& s : f->series) {
      if (s->histogram != nullptr) {
        const Histogram::Snapshot snap = s->histogram->snapshot();
        const auto& bounds = s->histogram->bounds();
        for (size_t i = 0; i < bounds.size(); ++i) {
          append_line(out, f->name, "_bucket", s->body, "le=\"" + format_value(bounds[i]) + "\"",
                      std::to_string(snap.cumulative[i]));
        }
        append_line(out, f->name, "_bucket", s->body, "le=\"+Inf\"", std::to_string(snap.count));
        append_line(out, f->name, "_sum", s->body, "", format_value(snap.sum));
        append_line(out, f->name, "_count", s->body, "", std::to_string(snap.count));
      } else if (s->counter != nullptr) {
        append_line(out, f->name, "", s->body, "", std::to_string(s->counter->value()));
      } else if (s->gauge != nullptr) {
        append_line(out, f->name, "", s->body, "", format_value(s->gauge->value()));
      } else if (s->fn) {
        append_line(out, f->name, "", s->body, "", format_value(s->fn()));
      }
    }
  }
  return out;
}

}  // namespace rmq::metrics
