// Latency samples and Kafka's way of summarising them. Not thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace weir::bench {

using Clock = std::chrono::steady_clock;

inline double milliseconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// Microseconds since the Unix epoch, the clock record timestamps (CreateTime) use.
inline std::int64_t wall_clock_microseconds() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The value at quantile `fraction` of `samples` (sorted in place), picked as Kafka's
// ProducerPerformance does: element floor(count * fraction) of the sorted samples.
template <typename T>
T percentile_of_sorted(const std::vector<T>& sorted, double fraction) {
  if (sorted.empty()) return T{};
  const auto index = static_cast<std::size_t>(static_cast<double>(sorted.size()) * fraction);
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace weir::bench
