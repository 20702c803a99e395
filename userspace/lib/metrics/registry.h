// A small Prometheus-style registry (prometheus-cpp is not in Debian 12):
// metrics capsad owns (counters, gauges) plus collectors that produce
// families at scrape time, e.g. from BPF maps.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace capsa::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;
enum class MetricType { Counter, Gauge };

struct Sample {
  Labels labels;
  double value = 0;
};

struct Family {
  std::string name;
  std::string help;
  MetricType type = MetricType::Gauge;
  std::vector<Sample> samples;
};

class Gauge {
public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d) { value_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<double> value_{0};
};

class Counter {
public:
  // A negative or NaN d is an Error: Prometheus reads any decrease as a restart.
  void inc(double d = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<double> value_{0};
};

// Appends families to its argument. Collectors run one scrape at a time (never
// concurrently with each other) and without the registry lock held, so they
// may be slow and may create or update owned metrics.
using Collector = std::function<void(std::vector<Family>&)>;

class Registry {
public:
  // Returns the series for name+labels, created at 0 on first use; the
  // reference stays valid until remove() of that series. Label order does not
  // matter. Errors (capsa::Error): invalid metric or label name, a duplicate
  // label name, a counter name not ending in "_total", or a name registered
  // before with another type or help.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels);
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels);
  // Drops one owned series, e.g. of a deleted container. Returns whether it
  // existed. The name stays registered with its type and help.
  bool remove(const std::string& name, const Labels& labels);

  void add_collector(Collector c);

  // Owned series and collector output. Families of one name from several
  // sources are merged (the first help wins); families are sorted by name and
  // samples by labels. Errors: a collected family with an invalid name or
  // label name, one name collected with two types, or the same series twice.
  // The "_total" rule is not applied to collector output.
  std::vector<Family> collect() const;

private:
  struct Owned {
    std::string help;
    MetricType type;
    // Owned families hold either counters or gauges, never both.
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
  };
  Owned& family(const std::string& name, const std::string& help, MetricType type);

  mutable std::mutex mu_;         // owned_ and collectors_
  mutable std::mutex scrape_mu_;  // serializes collectors; taken before mu_
  std::map<std::string, Owned> owned_;
  std::vector<Collector> collectors_;
};

// Throw capsa::Error naming the bad name. Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*;
// label names: [a-zA-Z_][a-zA-Z0-9_]*, the "__" prefix being reserved.
void validate_metric_name(const std::string& name);
void validate_label_name(const std::string& name);

}  // namespace capsa::metrics
