#include <unistd.h>

#include <cmath>
#include <thread>

#include <gtest/gtest.h>

#include "common/error.h"
#include "metrics/exposition.h"
#include "metrics/process_collector.h"
#include "metrics/registry.h"

namespace capsa::metrics {
namespace {

TEST(MetricsExposition, ExactTextFormat) {
  std::vector<Family> fams = {
      {"capsa_x_total", "Help with \\ and\nnewline.", MetricType::Counter,
       {{{{"container_id", "a\"b\\c\nd"}, {"k", "v"}}, 12345}, {{}, 0}}},
      {"capsa_empty", "No samples.", MetricType::Gauge, {}},
      {"capsa_g", "A gauge.", MetricType::Gauge, {{{}, 0.5}}},
  };
  EXPECT_EQ(to_text(fams),
            "# HELP capsa_x_total Help with \\\\ and\\nnewline.\n"
            "# TYPE capsa_x_total counter\n"
            "capsa_x_total{container_id=\"a\\\"b\\\\c\\nd\",k=\"v\"} 12345\n"
            "capsa_x_total 0\n"
            "# HELP capsa_g A gauge.\n"
            "# TYPE capsa_g gauge\n"
            "capsa_g 0.5\n");
}

TEST(MetricsExposition, ValuesAreExactOrSpelledAsPrometheusExpects) {
  EXPECT_EQ(format_value(9007199254740991.0), "9007199254740991");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(INFINITY), "+Inf");
  EXPECT_EQ(format_value(-INFINITY), "-Inf");
  EXPECT_EQ(format_value(NAN), "NaN");
  EXPECT_EQ(std::stod(format_value(0.1)), 0.1);
  EXPECT_EQ(std::stod(format_value(1e300)), 1e300);
}

TEST(MetricsRegistry, OwnedMetricsAndCollectorsMergeSorted) {
  Registry r;
  r.counter("capsa_b_total", "B.", {{"x", "1"}}).inc(2);
  r.gauge("capsa_a", "A.", {}).set(7);
  r.add_collector([](std::vector<Family>& out) {
    out.push_back({"capsa_b_total", "B.", MetricType::Counter, {{{{"x", "2"}}, 5}}});
  });
  auto fams = r.collect();
  ASSERT_EQ(fams.size(), 2u);
  EXPECT_EQ(fams[0].name, "capsa_a");
  EXPECT_EQ(fams[1].name, "capsa_b_total");
  EXPECT_EQ(fams[1].samples.size(), 2u);
}

TEST(MetricsRegistry, SameSeriesIsTheSameObjectAndRemoveDropsIt) {
  Registry r;
  auto& a = r.counter("capsa_c_total", "C.", {{"id", "1"}});
  auto& b = r.counter("capsa_c_total", "C.", {{"id", "1"}});
  EXPECT_EQ(&a, &b);
  r.remove("capsa_c_total", {{"id", "1"}});
  EXPECT_TRUE(r.collect().empty() || r.collect()[0].samples.empty());
}

TEST(MetricsRegistry, BadNamesAndMisuseAreErrors) {
  Registry r;
  EXPECT_THROW(r.counter("capsa_no_suffix", "x", {}), Error);
  EXPECT_THROW(r.gauge("9bad", "x", {}), Error);
  EXPECT_THROW(r.gauge("capsa_ok", "x", {{"__reserved", "v"}}), Error);
  EXPECT_THROW(r.gauge("capsa_ok", "x", {{"bad-label", "v"}}), Error);
  r.gauge("capsa_twice", "x", {});
  EXPECT_THROW(r.counter("capsa_twice", "x", {}), Error);
  EXPECT_THROW(r.counter("capsa_neg_total", "x", {}).inc(-1), Error);
}

TEST(MetricsRegistry, ConcurrentIncrementsAreExact) {
  Registry r;
  auto& c = r.counter("capsa_hits_total", "Hits.", {});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) c.inc();
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(c.value(), 400000);
}

TEST(MetricsProcess, StandardProcessMetricsArePlausible) {
  Registry r;
  register_process_collector(r);
  std::map<std::string, double> v;
  for (const auto& f : r.collect()) v[f.name] = f.samples.at(0).value;
  EXPECT_GT(v.at("process_resident_memory_bytes"), 1e5);
  EXPECT_GE(v.at("process_cpu_seconds_total"), 0);
  EXPECT_GT(v.at("process_open_fds"), 2);
  double now = static_cast<double>(::time(nullptr));
  EXPECT_LE(v.at("process_start_time_seconds"), now + 1);
  EXPECT_GT(v.at("process_start_time_seconds"), now - 3600);
}

}  // namespace
}  // namespace capsa::metrics
