// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
// text exposition format (version 0.0.4) for /metrics. Thread-safe: the pipeline thread,
// the classifier workers and the publisher's callbacks update it while the HTTP thread reads.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace raqib::daemon {

enum class MetricType { kCounter, kGauge, kHistogram };

// One metric name with its label names; one series per distinct label-values tuple.
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names, std::vector<double> buckets = {});

  // Counters: add a non-negative amount. Gauges: add any amount.
  void Add(double amount, const std::vector<std::string>& labels = {});
  void Inc(const std::vector<std::string>& labels = {}) { Add(1, labels); }
  // Gauges, and counters mirrored from another component's monotonic total.
  void Set(double value, const std::vector<std::string>& labels = {});
  // Histograms: records one observation.
  void Observe(double value, const std::vector<std::string>& labels = {});
  // The current value of a counter or gauge series (0 if absent); for tests and status.
  double Value(const std::vector<std::string>& labels = {}) const;

  void Render(std::string& out) const;
  const std::string& name() const { return name_; }

 private:
  struct Series {
    double value = 0;                   // counter / gauge
    std::vector<std::uint64_t> counts;  // histogram, per bucket (not cumulative)
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::string Labels(const std::vector<std::string>& values, const std::string& extra_name = "",
                     const std::string& extra_value = "") const;

  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> label_names_;
  const std::vector<double> buckets_;  // upper bounds, ascending; +Inf implied
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, Series> series_;  // guarded by mu_
};

class MetricsRegistry {
 public:
  // Creates a family; names must be unique (a programming error otherwise, so it throws).
  MetricFamily& Counter(const std::string& name, const std::string& help,
                        std::vector<std::string> labels = {});
  MetricFamily& Gauge(const std::string& name, const std::string& help,
                      std::vector<std::string> labels = {});
  MetricFamily& Histogram(const std::string& name, const std::string& help,
                          std::vector<double> buckets, std::vector<std::string> labels = {});

  // The whole registry in Prometheus text format, families in registration order.
  std::string Render() const;

 private:
  MetricFamily& Add(std::unique_ptr<MetricFamily> family);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<MetricFamily>> families_;  // guarded by mu_; entries stable
};

// Escapes a label value per the exposition format (backslash, quote, newline).
std::string EscapeLabelValue(const std::string& value);

}  // namespace raqib::daemon
