// The broker's metrics: a Prometheus registry with small typed handles, so server code
// can count without knowing Prometheus, and callback metrics for values that another
// component already keeps (read at scrape time rather than copied on every change).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace weir::metrics {

using Labels = std::map<std::string, std::string>;

class Counter {
 public:
  Counter() = default;
  explicit Counter(prometheus::Counter* counter) : counter_(counter) {}
  void add(double amount = 1) const;

 private:
  prometheus::Counter* counter_ = nullptr;
};

class Gauge {
 public:
  Gauge() = default;
  explicit Gauge(prometheus::Gauge* gauge) : gauge_(gauge) {}
  void set(double value) const;
  void add(double amount) const;

 private:
  prometheus::Gauge* gauge_ = nullptr;
};

class Histogram {
 public:
  Histogram() = default;
  explicit Histogram(prometheus::Histogram* histogram) : histogram_(histogram) {}
  void observe(double value) const;

 private:
  prometheus::Histogram* histogram_ = nullptr;
};

// Bucket bounds in seconds for request and sync latencies: 100 us to 10 s.
std::vector<double> latency_buckets();

class Registry {
 public:
  enum class CallbackType { counter, gauge };

  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Handles stay valid for the registry's lifetime; asking twice for the same name and
  // labels returns the same series. Thread-safe.
  Counter counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram histogram(const std::string& name, const std::string& help,
                      const std::vector<double>& buckets, const Labels& labels = {});
  // A series whose value `read` returns at each scrape. `read` runs on the scraping
  // thread, so it must be thread-safe and must outlive the registry's last scrape.
  void add_callback(const std::string& name, const std::string& help, CallbackType type,
                    const Labels& labels, std::function<double()> read);

  // Removes every callback series: once this returns, no `read` runs again, so the
  // components they read may be destroyed while the registry is still being scraped.
  void drop_callbacks();

  // Prometheus text exposition format 0.0.4.
  std::string exposition() const;

 private:
  struct CallbackSeries {
    Labels labels;
    std::function<double()> read;
  };
  struct CallbackFamily {
    std::string help;
    CallbackType type;
    std::vector<CallbackSeries> series;
  };

  std::shared_ptr<prometheus::Registry> registry_;
  mutable std::mutex callbacks_mutex_;
  std::map<std::string, CallbackFamily> callbacks_;
};

// CPU seconds, resident memory, open file descriptors and start time of this process,
// read from /proc at scrape time, under the standard process_* names.
void add_process_metrics(Registry& registry);

}  // namespace weir::metrics
