// The operator's HTTP endpoint: /metrics (Prometheus text format), /health (liveness,
// JSON) and /ready (200 once the broker serves, 503 with the reason otherwise). Served
// by civetweb, the HTTP server prometheus-cpp's exposer is built on, on its own threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "metrics/registry.h"

class CivetServer;

namespace weir::metrics {

// Whether the broker serves, and if not, why. Thread-safe.
class Readiness {
 public:
  explicit Readiness(std::string initial_reason) : reason_(std::move(initial_reason)) {}
  void set_ready();
  void set_not_ready(std::string reason);
  // Empty when ready.
  std::optional<std::string> not_ready_reason() const;

 private:
  mutable std::mutex mutex_;
  std::optional<std::string> reason_;
};

struct HealthFacts {
  std::int64_t active_connections = 0;
  std::int64_t topics = 0;
  std::int64_t partitions = 0;
};

struct EndpointSources {
  const Registry& registry;
  const Readiness& readiness;
  // Called on an HTTP thread for each /health request.
  std::function<HealthFacts()> health_facts;
  std::string version;
};

class HttpEndpoint {
 public:
  // Throws std::runtime_error naming the address when it cannot listen there.
  HttpEndpoint(const std::string& host, std::uint16_t port, EndpointSources sources);
  // Joins civetweb's threads.
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

 private:
  class Handlers;
  std::unique_ptr<Handlers> handlers_;
  std::unique_ptr<CivetServer> server_;
  std::string wake_host_;
  std::uint16_t port_;
};

}  // namespace weir::metrics
