// Counters of what the network layer refused, closed or paused, for the metrics exporter
// and for tests. Every field is a relaxed atomic: any thread may bump or read it, and a
// reader sees each counter exactly, though not a consistent snapshot of all of them.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace weir {

struct NetworkCounters {
  using Counter = std::atomic<std::uint64_t>;

  // Admission at accept time, one counter per reason a connection was refused.
  Counter connections_accepted{0};
  Counter rejected_max_connections{0};
  Counter rejected_max_connections_per_ip{0};
  Counter rejected_rate_limited{0};
  Counter rejected_banned{0};
  // Connections currently open (admitted and not yet closed).
  std::atomic<std::int64_t> connections_open{0};

  // Timeouts that closed a connection.
  Counter closed_idle{0};
  Counter closed_partial_frame_timeout{0};
  Counter closed_request_timeout{0};

  // Times a connection stopped reading: too many queued requests, too many queued
  // request bytes on the connection, or the broker-wide request-memory budget exhausted.
  Counter paused_request_count{0};
  Counter paused_connection_bytes{0};
  Counter paused_global_memory{0};

  Counter tls_handshakes_completed{0};
  Counter tls_handshake_failures{0};

  // Kafka frames read in full and responses written, size prefixes included.
  Counter bytes_received{0};
  Counter bytes_sent{0};

  // Requests read and not yet answered (or dropped with their connection).
  std::atomic<std::int64_t> requests_pending{0};
  // Requests left unanswered past REQUEST_TIMEOUT_SECS, by API key (the connection is
  // then closed, which closed_request_timeout counts once).
  static constexpr std::size_t api_key_slots = 128;
  std::array<Counter, api_key_slots> request_timeouts_by_api{};
  // Frames that closed their connection, by reason: a size prefix that is negative or
  // below the smallest header, above MAX_REQUEST_BYTES, then (counted after the router
  // refused the frame) the FrameError reasons.
  Counter frame_invalid_size{0};
  Counter frame_too_large{0};
  Counter frame_malformed_header{0};
  Counter frame_unsupported_api{0};
  Counter frame_unsupported_version{0};
  Counter frame_malformed_body{0};
};

inline void bump(NetworkCounters::Counter& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace weir
