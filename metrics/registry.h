// Registry: Prometheus metrics of one process, rendered in the text exposition format 0.0.4.
// Counter, Gauge and Histogram are plain atomics: updating one is a relaxed atomic add, with no
// lock and no allocation, so they can sit on a broker's hot path. Families (name, help, type) and
// their labelled series are registered at startup under a mutex; render() (one scrape) takes the
// same mutex, runs the on_scrape hooks, evaluates callback series and writes the text.
// Thread-safety: metric objects from any thread; registration and render() from any thread.
// Callbacks and hooks run inside render() and must not register anything. Registered objects
// live as long as the registry; externally owned ones (add_*_ref) must outlive it.
#pragma once

#include "common/thread_annotations.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rmq::metrics {

// Label name -> value, in the order written. Names follow [a-zA-Z_][a-zA-Z0-9_]*; values may be
// any UTF-8 (escaped when rendered).
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };
const char* to_string(MetricType t);

// Monotonic count of events.
class Counter {
 public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(double d) { v_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// Observations counted in fixed buckets (upper bounds, inclusive: le="x" counts values <= x) plus
// their sum. observe() is a bucket search over the bounds, one relaxed add on the bucket and one
// atomic add on the sum. A NaN observation is ignored.
class Histogram {
 public:
  // REQUIRES: bounds finite and strictly increasing (RMQ_CHECK); +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);

  void observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (== count)
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1; the last is +Inf
  std::atomic<double> sum_{0};
};

// `count` bounds: start, start*factor, start*factor^2, ... REQUIRES: start > 0, factor > 1.
std::vector<double> exponential_buckets(double start, double factor, size_t count);
// Latency buckets in seconds, 100 us .. 10 s.
std::vector<double> latency_buckets_seconds();

// One series a callback family produces at scrape time.
struct Sample {
  Labels labels;
  double value = 0;
};

class Registry {
 public:
  // `const_labels` are added to every series (e.g. cluster, broker, node), before its own labels.
  explicit Registry(Labels const_labels = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // A series owned by the registry; the same name and labels again return the same object.
  // Registering a name with another type or help text, or a bad name, is a programming error
  // (RMQ_CHECK). Counter names end in _total by convention (promtool enforces it).
  Counter& counter(const std::string& name, const std::string& help, Labels labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, Labels labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                       Labels labels = {});

  // Series owned elsewhere (e.g. counters the broker keeps anyway). REQUIRES: `m` outlives the
  // registry.
  void add_counter_ref(const std::string& name, const std::string& help, const Counter& m,
                       Labels labels = {});
  void add_histogram_ref(const std::string& name, const std::string& help, const Histogram& m,
                         Labels labels = {});

  // A series whose value is read at scrape time (`fn` must be cheap and thread-safe).
  void counter_fn(const std::string& name, const std::string& help, std::function<double()> fn,
                  Labels labels = {});
  void gauge_fn(const std::string& name, const std::string& help, std::function<double()> fn,
                Labels labels = {});
  // A family whose series are all produced at scrape time: `fn` appends one Sample per series
  // (label sets may differ from scrape to scrape, e.g. per-peer lag only on a leader). One
  // collector per name. REQUIRES: type is kCounter or kGauge.
  void collector(const std::string& name, const std::string& help, MetricType type,
                 std::function<void(std::vector<Sample>&)> fn);

  // Runs at the start of every render(), in registration order (e.g. take one consistent status
  // snapshot that several callback series then read).
  void on_scrape(std::function<void()> hook);

  // The text exposition format 0.0.4: per family "# HELP", "# TYPE", then its series.
  std::string render() const;

 private:
  struct Family;
  struct Series;
  Family& family(const std::string& name, const std::string& help, MetricType type) REQUIRES(mu_);
  Series& add_series(Family& f, Labels labels) REQUIRES(mu_);
  Series* find_series(Family& f, const Labels& labels) REQUIRES(mu_);

  const Labels const_labels_;
  mutable common::Mutex mu_;
  std::vector<std::unique_ptr<Family>> families_ GUARDED_BY(mu_);
  std::vector<std::function<void()>> hooks_ GUARDED_BY(mu_);
};

// Text-format helpers (exposed for tests).
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);
// HELP text: backslash and line feed escaped.
std::string escape_help(std::string_view text);
// Label value: backslash, double quote and line feed escaped.
std::string escape_label_value(std::string_view text);
// A sample value: integers without a fraction, otherwise the shortest round-trip form;
// NaN, +Inf, -Inf as Prometheus spells them.
std::string format_value(double v);

}  // namespace rmq::metrics
