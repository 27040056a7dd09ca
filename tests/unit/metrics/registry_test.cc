// metrics::Registry and the Prometheus text format 0.0.4: exact rendering of each metric type,
// escaping, histogram buckets, constant labels, callback series and collectors, and counts that
// stay exact under concurrent updates.
#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace rmq::metrics {
namespace {

TEST(MetricsFormatTest, ValuesUseIntegersShortestFloatsAndPrometheusSpecials) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-0.0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-7), "-7");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(1e20), "1e+20");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(std::stod(format_value(1.0 / 3)), 1.0 / 3);  // round-trips
}

TEST(MetricsFormatTest, EscapesHelpAndLabelValues) {
  EXPECT_EQ(escape_help("a\\b\nc\"d"), "a\\\\b\\nc\"d");  // quotes stay in HELP
  EXPECT_EQ(escape_label_value("a\\b\nc\"d"), "a\\\\b\\nc\\\"d");
  EXPECT_EQ(escape_label_value("plain ü"), "plain ü");
}

TEST(MetricsFormatTest, NameRules) {
  EXPECT_TRUE(valid_metric_name("raftmq_put_messages_total"));
  EXPECT_TRUE(valid_metric_name("a:b_c9"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("9abc"));
  EXPECT_FALSE(valid_metric_name("a-b"));
  EXPECT_TRUE(valid_label_name("peer"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("__reserved"));
  EXPECT_FALSE(valid_label_name("1x"));
}

TEST(MetricsRegistryTest, RendersCounterGaugeAndHistogramExactly) {
  Registry r;
  Counter& c = r.counter("t_events_total", "Events seen.");
  c.inc();
  c.inc(4);
  Gauge& g = r.gauge("t_level", "A level.", {{"side", "left"}});
  g.set(2.5);
  g.add(-1);
  Histogram& h = r.histogram("t_latency_seconds", "Latency.", {0.1, 1});
  h.observe(0.05);
  h.observe(0.1);  // le is inclusive
  h.observe(0.5);
  h.observe(3);
  h.observe(std::numeric_limits<double>::quiet_NaN());  // ignored
  EXPECT_EQ(r.render(),
            "# HELP t_events_total Events seen.\n"
            "# TYPE t_events_total counter\n"
            "t_events_total 5\n"
            "# HELP t_level A level.\n"
            "# TYPE t_level gauge\n"
            "t_level{side=\"left\"} 1.5\n"
            "# HELP t_latency_seconds Latency.\n"
            "# TYPE t_latency_seconds histogram\n"
            "t_latency_seconds_bucket{le=\"0.1\"} 2\n"
            "t_latency_seconds_bucket{le=\"1\"} 3\n"
            "t_latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "t_latency_seconds_sum 3.65\n"
            "t_latency_seconds_count 4\n");
}

TEST(MetricsRegistryTest, ConstantLabelsComeFirstAndEscapedValuesRender) {
  Registry r(Labels{{"cluster", "c1"}, {"node", "n\"1"}});
  r.counter("t_total", "Help with \\ and\nnewline.", {{"code", "10"}}).inc(3);
  r.histogram("t_seconds", "H.", {1}, {{"path", "a\\b"}}).observe(2);
  EXPECT_EQ(r.render(),
            "# HELP t_total Help with \\\\ and\\nnewline.\n"
            "# TYPE t_total counter\n"
            "t_total{cluster=\"c1\",node=\"n\\\"1\",code=\"10\"} 3\n"
            "# HELP t_seconds H.\n"
            "# TYPE t_seconds histogram\n"
            "t_seconds_bucket{cluster=\"c1\",node=\"n\\\"1\",path=\"a\\\\b\",le=\"1\"} 0\n"
            "t_seconds_bucket{cluster=\"c1\",node=\"n\\\"1\",path=\"a\\\\b\",le=\"+Inf\"} 1\n"
            "t_seconds_sum{cluster=\"c1\",node=\"n\\\"1\",path=\"a\\\\b\"} 2\n"
            "t_seconds_count{cluster=\"c1\",node=\"n\\\"1\",path=\"a\\\\b\"} 1\n");
}

TEST(MetricsRegistryTest, SameNameAndLabelsReturnTheSameSeriesOtherLabelsANewOne) {
  Registry r;
  Counter& a = r.counter("t_total", "T.", {{"code", "1"}});
  Counter& b = r.counter("t_total", "T.", {{"code", "1"}});
  Counter& c = r.counter("t_total", "T.", {{"code", "2"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  a.inc();
  b.inc();
  c.inc(7);
  const std::string text = r.render();
  EXPECT_NE(text.find("t_total{code=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_total{code=\"2\"} 7\n"), std::string::npos) << text;
  // One HELP/TYPE block per family.
  EXPECT_EQ(text.find("# TYPE t_total"), text.rfind("# TYPE t_total"));
}

TEST(MetricsRegistryTest, CallbackSeriesAndHooksAreEvaluatedAtEveryScrape) {
  Registry r;
  int scrapes = 0;
  double snapshot = 0;
  r.on_scrape([&] { snapshot = ++scrapes * 10; });
  r.gauge_fn("t_snapshot", "S.", [&] { return snapshot; });
  uint64_t external = 3;
  r.counter_fn("t_external_total", "E.", [&] { return static_cast<double>(external); });
  Counter owned_elsewhere;
  r.add_counter_ref("t_ref_total", "R.", owned_elsewhere);
  Histogram hist({1, 2});
  r.add_histogram_ref("t_ref_seconds", "RH.", hist);

  EXPECT_NE(r.render().find("t_snapshot 10\n"), std::string::npos);
  external = 9;
  owned_elsewhere.inc(2);
  hist.observe(1.5);
  const std::string text = r.render();
  EXPECT_NE(text.find("t_snapshot 20\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_external_total 9\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_ref_total 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_ref_seconds_bucket{le=\"2\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_ref_seconds_bucket{le=\"1\"} 0\n"), std::string::npos) << text;
}

TEST(MetricsRegistryTest, CollectorsProduceDynamicSeriesAndDropBadOrRepeatedOnes) {
  Registry r(Labels{{"node", "n1"}});
  bool leader = true;
  r.collector("t_peer_lag", "Lag per peer.", MetricType::kGauge, [&](std::vector<Sample>& out) {
    if (!leader) return;
    out.push_back({{{"peer", "n2"}}, 0});
    out.push_back({{{"peer", "n3"}}, 12});
    out.push_back({{{"peer", "n3"}}, 13});    // repeated: dropped
    out.push_back({{{"bad-name", "x"}}, 1});  // invalid label: dropped
    out.push_back({{{"node", "x"}}, 1});      // clashes with a constant label: dropped
  });
  std::string text = r.render();
  EXPECT_EQ(text,
            "# HELP t_peer_lag Lag per peer.\n"
            "# TYPE t_peer_lag gauge\n"
            "t_peer_lag{node=\"n1\",peer=\"n2\"} 0\n"
            "t_peer_lag{node=\"n1\",peer=\"n3\"} 12\n");
  leader = false;
  text = r.render();
  EXPECT_EQ(text, "# HELP t_peer_lag Lag per peer.\n# TYPE t_peer_lag gauge\n");
}

TEST(MetricsRegistryTest, ExponentialAndLatencyBuckets) {
  EXPECT_EQ(exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  const auto b = latency_buckets_seconds();
  ASSERT_FALSE(b.empty());
  for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
  Histogram h(b);  // valid bounds: no abort
  h.observe(1e9);
  EXPECT_EQ(h.snapshot().cumulative.back(), 1u);
  EXPECT_EQ(h.snapshot().cumulative[b.size() - 1], 0u);
}

TEST(MetricsRegistryDeathTest, ProgrammingErrorsAbort) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Registry r;
        r.counter("bad-name", "x");
      },
      "bad metric name");
  EXPECT_DEATH(
      {
        Registry r;
        r.counter("t_total", "x");
        r.gauge("t_total", "x");
      },
      "another type");
  EXPECT_DEATH(Histogram({2, 1}), "increase");
  EXPECT_DEATH(
      {
        Registry r;
        r.histogram("t_seconds", "x", {1}, {{"le", "1"}});
      },
      "reserved");
}

TEST(MetricsRegistryTest, ConcurrentUpdatesAreExactAndRenderingMeanwhileIsSafe) {
  Registry r;
  Counter& c = r.counter("t_total", "T.");
  Histogram& h = r.histogram("t_seconds", "H.", {0.5});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c.inc();
        h.observe(t % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(r.render().empty());
  for (auto& th : threads) th.join();
  EXPECT_EQ(c.value(), static_cast<uint64_t>(kThreads * kPerThread));
  const auto s = h.snapshot();
  EXPECT_EQ(s.count, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(s.cumulative[0], static_cast<uint64_t>(kThreads / 2 * kPerThread));
  EXPECT_DOUBLE_EQ(s.sum, kThreads / 2 * kPerThread * 0.25 + kThreads / 2 * kPerThread * 1.0);
}

}  // namespace
}  // namespace rmq::metrics
