#include "metrics/registry.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

namespace weir::metrics {

void Counter::add(double amount) const {
  if (counter_ != nullptr) counter_->Increment(amount);
}

void Gauge::set(double value) const {
  if (gauge_ != nullptr) gauge_->Set(value);
}

void Gauge::add(double amount) const {
  if (gauge_ != nullptr) gauge_->Increment(amount);
}

void Histogram::observe(double value) const {
  if (histogram_ != nullptr) histogram_->Observe(value);
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

// prometheus::Registry's default Merge behaviour hands back the existing family when a
// name is registered again, and Family::Add the existing series for the same labels.
Registry::Registry() : registry_(std::make_shared<prometheus::Registry>()) {}

Registry::~Registry() = default;

Counter Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  auto& family = prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
  return Counter(&family.Add(labels));
}

Gauge Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  auto& family = prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
  return Gauge(&family.Add(labels));
}

Histogram Registry::histogram(const std::string& name, const std::string& help,
                              const std::vector<double>& buckets, const Labels& labels) {
  auto& family = prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
  return Histogram(&family.Add(labels, buckets));
}

void Registry::add_callback(const std::string& name, const std::string& help, CallbackType type,
                            const Labels& labels, std::function<double()> read) {
  std::lock_guard lock(callbacks_mutex_);
  auto [family, inserted] = callbacks_.try_emplace(name, CallbackFamily{help, type, {}});
  family->second.series.push_back(CallbackSeries{labels, std::move(read)});
}

void Registry::drop_callbacks() {
  // exposition() holds the mutex while it calls the callbacks.
  std::lock_guard lock(callbacks_mutex_);
  callbacks_.clear();
}

std::string Registry::exposition() const {
  auto families = registry_->Collect();
  {
    std::lock_guard lock(callbacks_mutex_);
    for (const auto& [name, callback_family] : callbacks_) {
      prometheus::MetricFamily family;
      family.name = name;
      family.help = callback_family.help;
      family.type = callback_family.type == CallbackType::counter ? prometheus::MetricType::Counter
                                                                  : prometheus::MetricType::Gauge;
      for (const auto& series : callback_family.series) {
        prometheus::ClientMetric metric;
        for (const auto& [label, value] : series.labels) metric.label.push_back({label, value});
        const double value = series.read();
        if (callback_family.type == CallbackType::counter)
          metric.counter.value = value;
        else
          metric.gauge.value = value;
        family.metric.push_back(std::move(metric));
      }
      families.push_back(std::move(family));
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace weir::metrics
