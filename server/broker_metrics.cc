#include "server/broker_metrics.h"

#include <string>

#include "protocol/generated/api_keys.h"
#include "server/dispatch/api_table.h"
#include "storage/partition_log.h"

namespace weir {
namespace {

const char* const errors_name = "weir_request_errors_total";
const char* const errors_help =
    "Kafka error codes answered, by API and code (see the Kafka protocol guide).";

metrics::Labels api_label(std::int16_t api_key) {
  const std::string_view name = protocol::api_name(api_key);
  return {{"api", name.empty() ? std::to_string(api_key) : std::string(name)}};
}

}  // namespace

BrokerMetrics::BrokerMetrics(metrics::Registry& registry, bool per_partition)
    : records_produced(registry.counter("weir_produced_records_total",
                                        "Records appended to the log by Produce requests.")),
      bytes_produced(
          registry.counter("weir_produced_bytes_total",
                           "Record batch bytes appended to the log by Produce requests.")),
      records_fetched(registry.counter("weir_fetched_records_total",
                                       "Records in the batches returned by Fetch requests.")),
      bytes_fetched(registry.counter("weir_fetched_bytes_total",
                                     "Record batch bytes returned by Fetch requests.")),
      registry_(&registry),
      per_partition_(per_partition) {
  for (const ApiEntry& entry : served_apis()) {
    const metrics::Labels labels = api_label(entry.api_key);
    ApiSeries& series = apis_.emplace_back();
    series.api_key = entry.api_key;
    series.requests = registry.counter("weir_requests_total",
                                       "Requests routed to a handler, by Kafka API.", labels);
    series.latency_seconds =
        registry.histogram("weir_request_duration_seconds",
                           "Time from routing a request to its response being ready, by Kafka API.",
                           metrics::latency_buckets(), labels);
    if (entry.api_key >= 0 && static_cast<std::size_t>(entry.api_key) < api_slots)
      api_by_key_[static_cast<std::size_t>(entry.api_key)] = &series;
  }
}

const BrokerMetrics::ApiSeries* BrokerMetrics::api(std::int16_t api_key) const {
  if (api_key < 0 || static_cast<std::size_t>(api_key) >= api_slots) return nullptr;
  return api_by_key_[static_cast<std::size_t>(api_key)];
}

void BrokerMetrics::count_error(std::int16_t api_key, std::int16_t error_code) const {
  auto labels = [&] {
    metrics::Labels labels = api_label(api_key);
    labels["code"] = std::to_string(error_code);
    return labels;
  };
  const ApiSeries* series = api(api_key);
  const int slot = error_code + 1;
  if (series == nullptr || slot < 0 || slot >= cached_error_codes) {
    registry_->counter(errors_name, errors_help, labels())
        .add();  // codes no broker sends: not worth a slot
    return;
  }
  auto& cached = series->errors[static_cast<std::size_t>(slot)];
  const metrics::Counter* counter = cached.load(std::memory_order_acquire);
  if (counter == nullptr) {
    std::lock_guard lock(errors_mutex_);
    counter = cached.load(std::memory_order_acquire);
    if (counter == nullptr) {
      counter =
          &error_counters_.emplace_back(registry_->counter(errors_name, errors_help, labels()));
      cached.store(counter, std::memory_order_release);
    }
  }
  counter->add();
}

const BrokerMetrics::PartitionSeries* BrokerMetrics::partition(
    const storage::PartitionLog& log) const {
  if (!per_partition_) return nullptr;
  {
    std::shared_lock lock(partitions_mutex_);
    auto found = partitions_.find(&log);
    if (found != partitions_.end()) return found->second.get();
  }
  std::unique_lock lock(partitions_mutex_);
  auto& series = partitions_[&log];
  if (!series) {
    const metrics::Labels labels{{"topic", log.topic().name},
                                 {"partition", std::to_string(log.partition())}};
    series = std::make_unique<PartitionSeries>(PartitionSeries{
        registry_->counter(
            "weir_partition_produced_records_total",
            "Records appended by Produce requests, by topic and partition (METRICS_PER_PARTITION).",
            labels),
        registry_->counter(
            "weir_partition_produced_bytes_total",
            "Record batch bytes appended by Produce requests, by topic and partition "
            "(METRICS_PER_PARTITION).",
            labels),
        registry_->counter(
            "weir_partition_fetched_records_total",
            "Records in the batches returned by Fetch requests, by topic and partition "
            "(METRICS_PER_PARTITION).",
            labels),
        registry_->counter("weir_partition_fetched_bytes_total",
                           "Record batch bytes returned by Fetch requests, by topic and partition "
                           "(METRICS_PER_PARTITION).",
                           labels)});
  }
  return series.get();
}

}  // namespace weir
