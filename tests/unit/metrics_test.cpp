#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "common/error.h"
#include "metrics/exposition.h"
#include "metrics/process_collector.h"
#include "metrics/registry.h"

namespace capsa::metrics {
namespace {

// The message of the Error fn throws, or "" when it throws none.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::map<std::string, double> values_by_name(const std::vector<Family>& fams) {
  std::map<std::string, double> v;
  for (const auto& f : fams)
    if (!f.samples.empty()) v[f.name] = f.samples.at(0).value;
  return v;
}

TEST(MetricsExposition, ExactTextFormat) {
  std::vector<Family> fams = {
      {"capsa_x_total", "Help with \\ and\nnewline and \"quotes\".", MetricType::Counter,
       {{{{"container_id", "a\"b\\c\nd"}, {"k", "v"}}, 12345}, {{}, 0}}},
      {"capsa_empty", "No samples.", MetricType::Gauge, {}},
      {"capsa_g", "A gauge.", MetricType::Gauge, {{{}, 0.5}, {{{"k", ""}}, -INFINITY}, {{{"k", "n"}}, NAN}}},
  };
  EXPECT_EQ(to_text(fams),
            "# HELP capsa_x_total Help with \\\\ and\\nnewline and \"quotes\".\n"
            "# TYPE capsa_x_total counter\n"
            "capsa_x_total{container_id=\"a\\\"b\\\\c\\nd\",k=\"v\"} 12345\n"
            "capsa_x_total 0\n"
            "# HELP capsa_g A gauge.\n"
            "# TYPE capsa_g gauge\n"
            "capsa_g 0.5\n"
            "capsa_g{k=\"\"} -Inf\n"
            "capsa_g{k=\"n\"} NaN\n");
  EXPECT_EQ(to_text({}), "");
}

TEST(MetricsExposition, ValuesAreExactOrSpelledAsPrometheusExpects) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-0.0), "0");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(12345), "12345");
  EXPECT_EQ(format_value(1e15), "1000000000000000");
  EXPECT_EQ(format_value(9007199254740991.0), "9007199254740991");
  EXPECT_EQ(format_value(9007199254740992.0), "9007199254740992");  // 2^53
  EXPECT_EQ(format_value(-9007199254740992.0), "-9007199254740992");
  EXPECT_EQ(format_value(0.5), "0.5");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(-2.25), "-2.25");
  EXPECT_EQ(format_value(INFINITY), "+Inf");
  EXPECT_EQ(format_value(-INFINITY), "-Inf");
  EXPECT_EQ(format_value(NAN), "NaN");
  // Beyond 2^53 and for fractions: any spelling, as long as it reads back exactly.
  for (double v : {0.1 + 0.2, 1.0 / 3, 1e-300, 4.9e-324, 18446744073709551615.0, 1e300,
                   std::numeric_limits<double>::max(), 9007199254740994.0, 123456.789}) {
    std::string s = format_value(v);
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), v) << s;  // stod rejects subnormals
    EXPECT_EQ(s.find_first_of(" \t\n"), std::string::npos) << s;
  }
}

TEST(MetricsExposition, ContentType) { EXPECT_STREQ(kTextContentType, "text/plain; version=0.0.4; charset=utf-8"); }

TEST(MetricsRegistry, OwnedMetricsAndCollectorsMergeSorted) {
  Registry r;
  r.counter("capsa_b_total", "B.", {{"x", "1"}}).inc(2);
  r.gauge("capsa_a", "A.", {}).set(7);
  r.add_collector([](std::vector<Family>& out) {
    out.push_back({"capsa_b_total", "Other help: the first one wins.", MetricType::Counter, {{{{"x", "0"}}, 5}}});
    out.push_back({"capsa_0", "Zero.", MetricType::Gauge, {{{}, 1}}});
  });
  r.add_collector([](std::vector<Family>& out) {
    out.push_back({"capsa_b_total", "B.", MetricType::Counter, {{{{"x", "3"}}, 1}}});
  });
  EXPECT_EQ(to_text(r.collect()),
            "# HELP capsa_0 Zero.\n"
            "# TYPE capsa_0 gauge\n"
            "capsa_0 1\n"
            "# HELP capsa_a A.\n"
            "# TYPE capsa_a gauge\n"
            "capsa_a 7\n"
            "# HELP capsa_b_total B.\n"
            "# TYPE capsa_b_total counter\n"
            "capsa_b_total{x=\"0\"} 5\n"
            "capsa_b_total{x=\"1\"} 2\n"
            "capsa_b_total{x=\"3\"} 1\n");
}

TEST(MetricsRegistry, CollectorsRunAtEveryScrape) {
  Registry r;
  int scrapes = 0;
  r.add_collector([&](std::vector<Family>& out) {
    ++scrapes;
    out.push_back({"capsa_scrapes", "Scrapes.", MetricType::Gauge, {{{}, double(scrapes)}}});
  });
  EXPECT_EQ(values_by_name(r.collect()).at("capsa_scrapes"), 1);
  EXPECT_EQ(values_by_name(r.collect()).at("capsa_scrapes"), 2);
}

TEST(MetricsRegistry, InconsistentCollectorOutputIsAnError) {
  {
    Registry r;
    r.gauge("capsa_mixed", "M.", {}).set(1);
    r.add_collector([](std::vector<Family>& out) {
      out.push_back({"capsa_mixed", "M.", MetricType::Counter, {{{{"a", "b"}}, 1}}});
    });
    EXPECT_NE(error_of([&] { r.collect(); }).find("capsa_mixed"), std::string::npos);
  }
  {
    Registry r;
    r.counter("capsa_dup_total", "D.", {{"a", "1"}, {"b", "2"}});
    r.add_collector([](std::vector<Family>& out) {
      out.push_back({"capsa_dup_total", "D.", MetricType::Counter, {{{{"b", "2"}, {"a", "1"}}, 1}}});
    });
    EXPECT_NE(error_of([&] { r.collect(); }).find("capsa_dup_total{b=\"2\",a=\"1\"}"), std::string::npos);
  }
  {
    Registry r;
    r.add_collector([](std::vector<Family>& out) { out.push_back({"bad-name", "x", MetricType::Gauge, {{{}, 1}}}); });
    EXPECT_NE(error_of([&] { r.collect(); }).find("\"bad-name\""), std::string::npos);
  }
  {
    Registry r;
    r.add_collector(
        [](std::vector<Family>& out) { out.push_back({"capsa_ok", "x", MetricType::Gauge, {{{{"__x", "v"}}, 1}}}); });
    EXPECT_NE(error_of([&] { r.collect(); }).find("\"__x\""), std::string::npos);
  }
}

TEST(MetricsRegistry, NameValidation) {
  for (const char* ok : {"a", "_a", ":a", "capsa:rule:rate5m", "A_b9"}) EXPECT_NO_THROW(validate_metric_name(ok)) << ok;
  for (const char* bad : {"", "9a", "a-b", "a b", "a.b", "é"}) {
    EXPECT_NE(error_of([&] { validate_metric_name(bad); }).find(std::string("\"") + bad + "\""), std::string::npos)
        << bad;
  }
  for (const char* ok : {"a", "_a", "container_id", "A9"}) EXPECT_NO_THROW(validate_label_name(ok)) << ok;
  for (const char* bad : {"", "9a", "a:b", "a-b", "__name__", "__x"}) {
    EXPECT_NE(error_of([&] { validate_label_name(bad); }).find(std::string("\"") + bad + "\""), std::string::npos)
        << bad;
  }
}

TEST(MetricsRegistry, MisuseIsAnErrorNamingTheName) {
  Registry r;
  EXPECT_NE(error_of([&] { r.counter("capsa_no_suffix", "x", {}); }).find("capsa_no_suffix"), std::string::npos);
  EXPECT_NE(error_of([&] { r.gauge("9bad", "x", {}); }).find("9bad"), std::string::npos);
  EXPECT_NE(error_of([&] { r.gauge("capsa_ok", "x", {{"__reserved", "v"}}); }).find("__reserved"), std::string::npos);
  EXPECT_NE(error_of([&] { r.gauge("capsa_ok", "x", {{"bad-label", "v"}}); }).find("bad-label"), std::string::npos);
  EXPECT_NE(error_of([&] { r.gauge("capsa_ok", "x", {{"l", "1"}, {"l", "2"}}); }).find("\"l\""), std::string::npos);
  r.gauge("capsa_twice", "x", {});
  EXPECT_NE(error_of([&] { r.counter("capsa_twice", "x", {}); }).find("capsa_twice"), std::string::npos);
  EXPECT_NE(error_of([&] { r.gauge("capsa_twice", "other help", {}); }).find("capsa_twice"), std::string::npos);
  EXPECT_NO_THROW(r.gauge("capsa_twice", "x", {{"new", "series"}}));
  auto& c = r.counter("capsa_neg_total", "x", {});
  EXPECT_THROW(c.inc(-1), Error);
  EXPECT_THROW(c.inc(NAN), Error);
  EXPECT_EQ(c.value(), 0);
  // Failed registrations leave nothing behind.
  for (const auto& f : r.collect()) EXPECT_TRUE(f.name == "capsa_twice" || f.name == "capsa_neg_total") << f.name;
}

TEST(MetricsRegistry, SameSeriesIsTheSameObject) {
  Registry r;
  auto& a = r.counter("capsa_c_total", "C.", {{"id", "1"}, {"kind", "x"}});
  EXPECT_EQ(&a, &r.counter("capsa_c_total", "C.", {{"id", "1"}, {"kind", "x"}}));
  EXPECT_EQ(&a, &r.counter("capsa_c_total", "C.", {{"kind", "x"}, {"id", "1"}}));
  EXPECT_NE(&a, &r.counter("capsa_c_total", "C.", {{"id", "2"}, {"kind", "x"}}));
  auto& g = r.gauge("capsa_g", "G.", {});
  g.set(5);
  g.add(-1.5);
  EXPECT_EQ(r.gauge("capsa_g", "G.", {}).value(), 3.5);
}

TEST(MetricsRegistry, RemoveDropsOneSeries) {
  Registry r;
  r.counter("capsa_c_total", "C.", {{"id", "1"}}).inc(3);
  r.counter("capsa_c_total", "C.", {{"id", "2"}}).inc(4);
  r.gauge("capsa_g", "G.", {{"id", "1"}, {"k", "v"}}).set(1);
  EXPECT_TRUE(r.remove("capsa_c_total", {{"id", "1"}}));
  EXPECT_TRUE(r.remove("capsa_g", {{"k", "v"}, {"id", "1"}}));
  EXPECT_FALSE(r.remove("capsa_c_total", {{"id", "1"}}));
  EXPECT_FALSE(r.remove("capsa_nothing", {}));
  EXPECT_EQ(to_text(r.collect()),
            "# HELP capsa_c_total C.\n"
            "# TYPE capsa_c_total counter\n"
            "capsa_c_total{id=\"2\"} 4\n");
  // Coming back starts from zero.
  EXPECT_EQ(r.counter("capsa_c_total", "C.", {{"id", "1"}}).value(), 0);
}

TEST(MetricsRegistry, ConcurrentUpdatesAreExact) {
  Registry r;
  auto& c = r.counter("capsa_hits_total", "Hits.", {});
  auto& g = r.gauge("capsa_level", "Level.", {});
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done) to_text(r.collect());
  });
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&, t] {
      auto& own = r.counter("capsa_per_thread_total", "Per thread.", {{"t", std::to_string(t)}});
      for (int i = 0; i < 50000; ++i) {
        c.inc();
        g.add(i % 2 ? 1 : -1);
        own.inc(0.5);
      }
    });
  for (auto& t : ts) t.join();
  done = true;
  scraper.join();
  EXPECT_EQ(c.value(), 400000);
  EXPECT_EQ(g.value(), 0);
  for (const auto& f : r.collect())
    if (f.name == "capsa_per_thread_total") {
      ASSERT_EQ(f.samples.size(), 8u);
      for (const auto& s : f.samples) EXPECT_EQ(s.value, 25000);
    }
}

TEST(MetricsProcess, StandardProcessMetricsArePlausible) {
  Registry r;
  register_process_collector(r);
  auto v = values_by_name(r.collect());
  ASSERT_EQ(v.size(), 6u);
  EXPECT_GT(v.at("process_resident_memory_bytes"), 0);
  EXPECT_GE(v.at("process_virtual_memory_bytes"), v.at("process_resident_memory_bytes"));
  EXPECT_GE(v.at("process_cpu_seconds_total"), 0);
  double now = static_cast<double>(::time(nullptr));
  EXPECT_LE(v.at("process_start_time_seconds"), now + 1);
  EXPECT_GT(v.at("process_start_time_seconds"), now - 86400);
  EXPECT_GE(v.at("process_open_fds"), 3);  // at least stdin, stdout, stderr
  EXPECT_GE(v.at("process_max_fds"), v.at("process_open_fds"));

  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(values_by_name(r.collect()).at("process_open_fds"), v.at("process_open_fds") + 1);
  ::close(fd);
}

TEST(MetricsProcess, ExpositionLinesAreWellFormed) {
  Registry r;
  register_process_collector(r);
  r.counter("capsa_x_total", "X.", {{"container_id", "a\"b\nc"}}).inc();
  std::regex comment(R"(# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge)))");
  std::regex sample(
      R"([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? ([-+]?[0-9.e+-]+|[+-]Inf|NaN))");
  std::istringstream in(to_text(r.collect()));
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines)
    EXPECT_TRUE(std::regex_match(line, line[0] == '#' ? comment : sample)) << line;
  EXPECT_EQ(lines, 6 * 3 + 3);
}

}  // namespace
}  // namespace capsa::metrics
