#include "daemon/metrics.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace raqib::daemon {
namespace {

// Prometheus floats: integers without a fraction, +Inf spelled as such.
std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<std::int64_t>(v));
  return fmt::format("{}", v);
}

std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

MetricFamily::MetricFamily(std::string name, std::string help, MetricType type,
                           std::vector<std::string> label_names, std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      buckets_(std::move(buckets)) {
  if (!std::is_sorted(buckets_.begin(), buckets_.end()))
    throw std::logic_error("histogram buckets must ascend: " + name_);
}

void MetricFamily::Add(double amount, const std::vector<std::string>& labels) {
  if (labels.size() != label_names_.size()) throw std::logic_error("label count: " + name_);
  std::lock_guard lock(mu_);
  series_[labels].value += amount;
}

void MetricFamily::Set(double value, const std::vector<std::string>& labels) {
  if (labels.size() != label_names_.size()) throw std::logic_error("label count: " + name_);
  std::lock_guard lock(mu_);
  series_[labels].value = value;
}

void MetricFamily::Observe(double value, const std::vector<std::string>& labels) {
  if (labels.size() != label_names_.size()) throw std::logic_error("label count: " + name_);
  std::lock_guard lock(mu_);
  Series& s = series_[labels];
  if (s.counts.empty()) s.counts.assign(buckets_.size(), 0);
  const auto bucket = std::lower_bound(buckets_.begin(), buckets_.end(), value) - buckets_.begin();
  if (static_cast<std::size_t>(bucket) < buckets_.size()) ++s.counts[bucket];
  ++s.count;
  s.sum += value;
}

double MetricFamily::Value(const std::vector<std::string>& labels) const {
  std::lock_guard lock(mu_);
  const auto it = series_.find(labels);
  return it == series_.end() ? 0 : it->second.value;
}

std::string MetricFamily::Labels(const std::vector<std::string>& values,
                                 const std::string& extra_name,
                                 const std::string& extra_value) const {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i)
    out += fmt::format("{}{}=\"{}\"", out.empty() ? "" : ",", label_names_[i],
                       EscapeLabelValue(values[i]));
  if (!extra_name.empty())
    out += fmt::format("{}{}=\"{}\"", out.empty() ? "" : ",", extra_name, extra_value);
  return out.empty() ? out : "{" + out + "}";
}

void MetricFamily::Render(std::string& out) const {
  static constexpr const char* kTypes[] = {"counter", "gauge", "histogram"};
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name_, EscapeHelp(help_), name_,
                     kTypes[static_cast<int>(type_)]);
  std::lock_guard lock(mu_);
  // An unlabelled counter or gauge is shown as 0 before its first update, so dashboards see it.
  if (series_.empty() && label_names_.empty() && type_ != MetricType::kHistogram)
    out += name_ + " 0\n";
  for (const auto& [labels, s] : series_) {
    if (type_ != MetricType::kHistogram) {
      out += fmt::format("{}{} {}\n", name_, Labels(labels), Number(s.value));
      continue;
    }
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      cumulative += s.counts[i];
      out += fmt::format("{}_bucket{} {}\n", name_, Labels(labels, "le", Number(buckets_[i])),
                         cumulative);
    }
    out += fmt::format("{}_bucket{} {}\n", name_, Labels(labels, "le", "+Inf"), s.count);
    out += fmt::format("{}_sum{} {}\n", name_, Labels(labels), Number(s.sum));
    out += fmt::format("{}_count{} {}\n", name_, Labels(labels), s.count);
  }
}

MetricFamily& MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                       std::vector<std::string> labels) {
  return Add(std::make_unique<MetricFamily>(name, help, MetricType::kCounter, std::move(labels)));
}

MetricFamily& MetricsRegistry::Gauge(const std::string& name, const std::string& help,
                                     std::vector<std::string> labels) {
  return Add(std::make_unique<MetricFamily>(name, help, MetricType::kGauge, std::move(labels)));
}

MetricFamily& MetricsRegistry::Histogram(const std::string& name, const std::string& help,
                                         std::vector<double> buckets,
                                         std::vector<std::string> labels) {
  return Add(std::make_unique<MetricFamily>(name, help, MetricType::kHistogram, std::move(labels),
                                            std::move(buckets)));
}

MetricFamily& MetricsRegistry::Add(std::unique_ptr<MetricFamily> family) {
  std::lock_guard lock(mu_);
  for (const auto& f : families_) {
    if (f->name() == family->name()) throw std::logic_error("duplicate metric " + f->name());
  }
  families_.push_back(std::move(family));
  return *families_.back();
}

std::string MetricsRegistry::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& f : families_) f->Render(out);
  return out;
}

}  // namespace raqib::daemon
