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
  void add(double d);
  double value() const { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<double> value_{0};
};

// Only goes up.
class Counter {
public:
  void inc(double d = 1);
  double value() const { return g_.value(); }

private:
  Gauge g_;
};

using Collector = std::function<void(std::vector<Family>&)>;

class Registry {
public:
  // Counter names must end in "_total". The same name and labels return the
  // same object; a name reused with another type or help is an Error.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels);
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels);
  // Drops one owned series (e.g. of a deleted container).
  void remove(const std::string& name, const Labels& labels);
  void add_collector(Collector c);

  // Owned metrics and collector output, merged by family name and sorted.
  std::vector<Family> collect() const;

private:
  struct Owned {
    std::string help;
    MetricType type;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
  };
  Owned& family(const std::string& name, const std::string& help, MetricType type, const Labels& labels);
  mutable std::mutex mu_;
  std::map<std::string, Owned> owned_;
  std::vector<Collector> collectors_;
};

// Throws capsa::Error naming the bad metric or label name.
void validate_metric_name(const std::string& name);
void validate_label_name(const std::string& name);

}  // namespace capsa::metrics
