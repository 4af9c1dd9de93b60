#include "server/broker_metrics.h"

#include <string>

#include "protocol/generated/api_keys.h"
#include "server/dispatch/api_table.h"

namespace weir {

BrokerMetrics::BrokerMetrics(metrics::Registry& registry)
    : records_produced(registry.counter("weir_produced_records_total",
                                        "Records appended to the log by Produce requests.")),
      bytes_produced(registry.counter("weir_produced_bytes_total",
                                      "Record batch bytes appended to the log by Produce requests.")),
      bytes_fetched(registry.counter("weir_fetched_bytes_total", "Record batch bytes returned by Fetch requests.")),
      registry_(&registry) {
  for (const ApiEntry& entry : served_apis()) {
    const metrics::Labels labels{{"api", std::string(protocol::api_name(entry.api_key))}};
    apis_[entry.api_key] = ApiSeries{
        registry.counter("weir_requests_total", "Requests routed to a handler, by Kafka API.", labels),
        registry.histogram("weir_request_duration_seconds",
                           "Time from routing a request to its response being ready, by Kafka API.",
                           metrics::latency_buckets(), labels)};
  }
}

const BrokerMetrics::ApiSeries* BrokerMetrics::api(std::int16_t api_key) const {
  auto found = apis_.find(api_key);
  return found == apis_.end() ? nullptr : &found->second;
}

void BrokerMetrics::count_error(std::int16_t api_key, std::int16_t error_code) const {
  registry_
      ->counter("weir_request_errors_total", "Kafka error codes answered, by API and code (see the Kafka protocol guide).",
                {{"api", std::string(protocol::api_name(api_key))}, {"code", std::to_string(error_code)}})
      .add();
}

}  // namespace weir
