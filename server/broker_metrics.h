// The broker's own metric series: what handlers and the router count, in handles from
// the metrics registry. Created once per broker; every handle is thread-safe, and every
// series a request touches is found by index or pointer, never by name.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "metrics/registry.h"
#include "protocol/generated/error_codes.h"

namespace weir {

namespace storage {
class PartitionLog;
}

class BrokerMetrics {
 public:
  // Kafka error codes run from -1 (UNKNOWN_SERVER_ERROR) to a little over 100.
  static constexpr int cached_error_codes = 160;

  struct ApiSeries {
    std::int16_t api_key = -1;
    metrics::Counter requests;
    metrics::Histogram latency_seconds;
    // weir_request_errors_total by code (index code + 1), created on first use.
    mutable std::array<std::atomic<const metrics::Counter*>, cached_error_codes> errors{};
  };

  // Records and bytes of one partition, when METRICS_PER_PARTITION is on.
  struct PartitionSeries {
    metrics::Counter records_produced;
    metrics::Counter bytes_produced;
    metrics::Counter records_fetched;
    metrics::Counter bytes_fetched;
  };

  // Creates one series per served API up front, so every API shows (at zero) from the
  // first scrape. `per_partition` turns on the topic and partition labelled series.
  explicit BrokerMetrics(metrics::Registry& registry, bool per_partition = false);

  // Null for an API the broker does not serve.
  const ApiSeries* api(std::int16_t api_key) const;
  // One error answered (a non-zero Kafka error code in a response, top-level or per
  // partition). APIs times error codes stays small.
  void count_error(std::int16_t api_key, std::int16_t error_code) const;
  // Every non-zero error code of `response`; encode_reply calls it for every response.
  template <typename Response>
  void count_errors(std::int16_t api_key, const Response& response) const {
    ErrorCounter counter(*this, api_key);
    protocol::for_each_error_code(response, counter);
  }

  bool per_partition() const { return per_partition_; }
  // The partition's series; null unless per_partition(). Thread-safe.
  const PartitionSeries* partition(const storage::PartitionLog& log) const;

  metrics::Counter records_produced;
  metrics::Counter bytes_produced;
  metrics::Counter records_fetched;
  metrics::Counter bytes_fetched;

 private:
  class ErrorCounter final : public protocol::ErrorCodeVisitor {
   public:
    ErrorCounter(const BrokerMetrics& metrics, std::int16_t api_key)
        : metrics_(metrics), api_key_(api_key) {}
    void visit(std::int16_t error_code) override { metrics_.count_error(api_key_, error_code); }

   private:
    const BrokerMetrics& metrics_;
    std::int16_t api_key_;
  };

  static constexpr std::size_t api_slots = 128;

  metrics::Registry* registry_;
  const bool per_partition_;
  std::deque<ApiSeries> apis_;
  std::array<const ApiSeries*, api_slots> api_by_key_{};

  mutable std::mutex errors_mutex_;
  mutable std::deque<metrics::Counter> error_counters_;  // guarded by errors_mutex_

  mutable std::shared_mutex partitions_mutex_;
  // Keyed by the partition's PartitionLog, which the store keeps until it closes.
  mutable std::unordered_map<const storage::PartitionLog*, std::unique_ptr<PartitionSeries>>
      partitions_;
};

}  // namespace weir
