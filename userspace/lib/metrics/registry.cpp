#include "metrics/registry.h"

#include <algorithm>

#include "common/error.h"

namespace capsa::metrics {

namespace {

bool name_char(char c, bool first, bool colon) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  return alpha || (!first && c >= '0' && c <= '9');
}

bool valid_name(const std::string& n, bool colon) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i)
    if (!name_char(n[i], i == 0, colon)) return false;
  return true;
}

const char* type_name(MetricType t) { return t == MetricType::Counter ? "counter" : "gauge"; }

}  // namespace

void validate_metric_name(const std::string& name) {
  if (!valid_name(name, true)) throw Error("invalid metric name \"" + name + "\"");
}

void validate_label_name(const std::string& name) {
  if (!valid_name(name, false) || name.rfind("__", 0) == 0) throw Error("invalid label name \"" + name + "\"");
}

void Gauge::add(double d) {
  double cur = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

void Counter::inc(double d) {
  if (d < 0) throw Error("a counter cannot decrease");
  g_.add(d);
}

Registry::Owned& Registry::family(const std::string& name, const std::string& help, MetricType type,
                                  const Labels& labels) {
  validate_metric_name(name);
  for (const auto& [k, v] : labels) validate_label_name(k);
  if (type == MetricType::Counter && (name.size() < 6 || name.compare(name.size() - 6, 6, "_total") != 0))
    throw Error("counter \"" + name + "\" must end in _total");
  auto [it, inserted] = owned_.try_emplace(name, Owned{help, type, {}, {}});
  if (!inserted && (it->second.type != type || it->second.help != help))
    throw Error("metric \"" + name + "\" registered again as a " + type_name(type) + " with different help or type");
  return it->second;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& f = family(name, help, MetricType::Counter, labels);
  auto& slot = f.counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& f = family(name, help, MetricType::Gauge, labels);
  auto& slot = f.gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

void Registry::remove(const std::string& name, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto it = owned_.find(name);
  if (it == owned_.end()) return;
  it->second.counters.erase(labels);
  it->second.gauges.erase(labels);
}

void Registry::add_collector(Collector c) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(c));
}

std::vector<Family> Registry::collect() const {
  std::vector<Family> raw;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, f] : owned_) {
      Family fam{name, f.help, f.type, {}};
      for (const auto& [labels, c] : f.counters) fam.samples.push_back({labels, c->value()});
      for (const auto& [labels, g] : f.gauges) fam.samples.push_back({labels, g->value()});
      raw.push_back(std::move(fam));
    }
    collectors = collectors_;
  }
  // Collectors may be slow (map reads): run them outside the lock.
  for (const auto& c : collectors) c(raw);

  std::map<std::string, Family> merged;
  for (auto& f : raw) {
    validate_metric_name(f.name);
    auto [it, inserted] = merged.try_emplace(f.name, Family{f.name, f.help, f.type, {}});
    if (!inserted && it->second.type != f.type) throw Error("metric \"" + f.name + "\" collected with two types");
    for (auto& s : f.samples) {
      for (const auto& [k, v] : s.labels) validate_label_name(k);
      it->second.samples.push_back(std::move(s));
    }
  }
  std::vector<Family> out;
  for (auto& [name, f] : merged) out.push_back(std::move(f));
  return out;
}

}  // namespace capsa::metrics
