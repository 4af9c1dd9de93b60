// The broker's own metric series: what handlers and the router count, in handles from
// the metrics registry. Created once per broker; every handle is thread-safe.
#pragma once

#include <cstdint>
#include <map>

#include "metrics/registry.h"

namespace weir {

class BrokerMetrics {
 public:
  struct ApiSeries {
    metrics::Counter requests;
    metrics::Histogram latency_seconds;
  };

  // Creates one series per served API up front, so every API shows (at zero) from the
  // first scrape and the map is read-only afterwards.
  explicit BrokerMetrics(metrics::Registry& registry);

  // Null for an API the broker does not serve.
  const ApiSeries* api(std::int16_t api_key) const;
  // One error answered (a non-zero Kafka error code in a response, top-level or per
  // partition). Series are created on first use: APIs times error codes stays small.
  void count_error(std::int16_t api_key, std::int16_t error_code) const;

  metrics::Counter records_produced;
  metrics::Counter bytes_produced;
  metrics::Counter bytes_fetched;

 private:
  metrics::Registry* registry_;
  std::map<std::int16_t, ApiSeries> apis_;
};

}  // namespace weir
