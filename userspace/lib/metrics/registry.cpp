#include "metrics/registry.h"

#include <algorithm>
#include <set>

#include "common/error.h"

namespace capsa::metrics {

namespace {

bool valid_name(const std::string& n, bool colon) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

const char* type_name(MetricType t) { return t == MetricType::Counter ? "counter" : "gauge"; }

std::string series_name(const std::string& name, const Labels& labels) {
  std::string s = name + "{";
  for (size_t i = 0; i < labels.size(); ++i) s += (i ? "," : "") + labels[i].first + "=\"" + labels[i].second + "\"";
  return s + "}";
}

// Sorted by label name so that {a,b} and {b,a} are one series.
Labels canonical(Labels labels) {
  std::sort(labels.begin(), labels.end());
  return labels;
}

void validate_labels(const std::string& name, const Labels& sorted) {
  for (size_t i = 0; i < sorted.size(); ++i) {
    validate_label_name(sorted[i].first);
    if (i > 0 && sorted[i].first == sorted[i - 1].first)
      throw Error("metric \"" + name + "\": label \"" + sorted[i].first + "\" given twice");
  }
}

}  // namespace

void validate_metric_name(const std::string& name) {
  if (!valid_name(name, true)) throw Error("invalid metric name \"" + name + "\"");
}

void validate_label_name(const std::string& name) {
  if (!valid_name(name, false)) throw Error("invalid label name \"" + name + "\"");
  if (name.rfind("__", 0) == 0) throw Error("label name \"" + name + "\" uses the reserved \"__\" prefix");
}

void Counter::inc(double d) {
  if (!(d >= 0)) throw Error("a counter cannot be increased by " + std::to_string(d));
  value_.fetch_add(d, std::memory_order_relaxed);
}

Registry::Owned& Registry::family(const std::string& name, const std::string& help, MetricType type) {
  validate_metric_name(name);
  // Prometheus tooling relies on the suffix to tell counters from gauges.
  if (type == MetricType::Counter && (name.size() < 6 || name.compare(name.size() - 6, 6, "_total") != 0))
    throw Error("counter \"" + name + "\" must end in _total");
  auto [it, inserted] = owned_.try_emplace(name, Owned{help, type, {}, {}});
  if (!inserted && it->second.type != type)
    throw Error("metric \"" + name + "\" is a " + type_name(it->second.type) + ", not a " + type_name(type));
  if (!inserted && it->second.help != help)
    throw Error("metric \"" + name + "\" registered again with different help");
  return it->second;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  Labels key = canonical(labels);
  validate_labels(name, key);
  std::lock_guard lock(mu_);
  auto& slot = family(name, help, MetricType::Counter).counters[std::move(key)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  Labels key = canonical(labels);
  validate_labels(name, key);
  std::lock_guard lock(mu_);
  auto& slot = family(name, help, MetricType::Gauge).gauges[std::move(key)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

bool Registry::remove(const std::string& name, const Labels& labels) {
  Labels key = canonical(labels);
  std::lock_guard lock(mu_);
  auto it = owned_.find(name);
  if (it == owned_.end()) return false;
  return it->second.counters.erase(key) + it->second.gauges.erase(key) > 0;
}

void Registry::add_collector(Collector c) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(c));
}

std::vector<Family> Registry::collect() const {
  std::lock_guard scrape(scrape_mu_);
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
  // Collectors may be slow (BPF map reads): updates of owned metrics must not
  // wait for them, so they run without mu_.
  for (const auto& c : collectors) c(raw);

  std::map<std::string, Family> merged;
  for (auto& f : raw) {
    validate_metric_name(f.name);
    auto [it, inserted] = merged.try_emplace(f.name, Family{f.name, f.help, f.type, {}});
    if (inserted) {
      it->second.samples = std::move(f.samples);
      continue;
    }
    if (it->second.type != f.type)
      throw Error("metric \"" + f.name + "\" collected both as a counter and as a gauge");
    for (auto& s : f.samples) it->second.samples.push_back(std::move(s));
  }

  std::vector<Family> out;
  out.reserve(merged.size());
  auto by_labels = [](const Sample& a, const Sample& b) { return a.labels < b.labels; };
  for (auto& [name, f] : merged) {
    // A series given twice (in any label order) would make the scrape invalid.
    // Collectors give labels in name order: then equal series sort next to
    // each other, and no canonical copy of each sample's labels is needed.
    bool canonical_order = std::all_of(f.samples.begin(), f.samples.end(), [](const Sample& s) {
      return std::is_sorted(s.labels.begin(), s.labels.end(),
                            [](const auto& a, const auto& b) { return a.first < b.first; });
    });
    if (canonical_order) {
      for (const auto& s : f.samples) validate_labels(name, s.labels);
      std::stable_sort(f.samples.begin(), f.samples.end(), by_labels);
      auto dup = std::adjacent_find(f.samples.begin(), f.samples.end(),
                                    [](const Sample& a, const Sample& b) { return a.labels == b.labels; });
      if (dup != f.samples.end()) throw Error("series " + series_name(name, dup->labels) + " collected twice");
    } else {
      std::set<Labels> seen;
      for (const auto& s : f.samples) {
        Labels key = canonical(s.labels);
        validate_labels(name, key);
        if (!seen.insert(std::move(key)).second)
          throw Error("series " + series_name(name, s.labels) + " collected twice");
      }
      std::stable_sort(f.samples.begin(), f.samples.end(), by_labels);
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace capsa::metrics
