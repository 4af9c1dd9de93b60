#include "metrics/http_endpoint.h"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace weir::metrics {

void Readiness::set_ready() {
  std::lock_guard lock(mutex_);
  reason_.reset();
}

void Readiness::set_not_ready(std::string reason) {
  std::lock_guard lock(mutex_);
  reason_ = std::move(reason);
}

std::optional<std::string> Readiness::not_ready_reason() const {
  std::lock_guard lock(mutex_);
  return reason_;
}

namespace {

void respond(mg_connection* connection, int status, const char* content_type,
             const std::string& body) {
  const char* status_text = status == 200   ? "OK"
                            : status == 503 ? "Service Unavailable"
                                            : "Not Found";
  mg_printf(
      connection,
      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-cache\r\n"
      "Connection: close\r\n\r\n",
      status, status_text, content_type, body.size());
  mg_write(connection, body.data(), body.size());
}

// Reasons and versions are our own plain text, but escape anyway so the JSON stays valid.
std::string json_string(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    if (static_cast<unsigned char>(c) < 0x20)
      quoted += fmt::format("\\u{:04x}", c);
    else
      quoted += c;
  }
  return quoted + '"';
}

class PathHandler : public CivetHandler {
 public:
  explicit PathHandler(std::function<void(mg_connection*)> serve) : serve_(std::move(serve)) {}
  bool handleGet(CivetServer*, mg_connection* connection) override {
    serve_(connection);
    return true;
  }

 private:
  std::function<void(mg_connection*)> serve_;
};

}  // namespace

class HttpEndpoint::Handlers {
 public:
  explicit Handlers(EndpointSources sources)
      : sources_(std::move(sources)),
        started_(std::chrono::steady_clock::now()),
        metrics_([this](mg_connection* c) { serve_metrics(c); }),
        health_([this](mg_connection* c) { serve_health(c); }),
        ready_([this](mg_connection* c) { serve_ready(c); }) {}

  void add_to(CivetServer& server) {
    server.addHandler("/metrics", metrics_);
    server.addHandler("/health", health_);
    server.addHandler("/ready", ready_);
  }

 private:
  void serve_metrics(mg_connection* connection) {
    respond(connection, 200, "text/plain; version=0.0.4; charset=utf-8",
            sources_.registry.exposition());
  }

  void serve_health(mg_connection* connection) {
    const HealthFacts facts = sources_.health_facts ? sources_.health_facts() : HealthFacts{};
    const auto uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const auto not_ready = sources_.readiness.not_ready_reason();
    respond(connection, 200, "application/json",
            fmt::format("{{\"status\":\"ok\",\"version\":{},\"uptime_seconds\":{:.3f},\"ready\":{},"
                        "\"active_connections\":{},\"topics\":{},\"partitions\":{}}}\n",
                        json_string(sources_.version), uptime, not_ready ? "false" : "true",
                        facts.active_connections, facts.topics, facts.partitions));
  }

  void serve_ready(mg_connection* connection) {
    if (auto reason = sources_.readiness.not_ready_reason())
      respond(connection, 503, "text/plain; charset=utf-8", "not ready: " + *reason + "\n");
    else
      respond(connection, 200, "text/plain; charset=utf-8", "ready\n");
  }

  EndpointSources sources_;
  std::chrono::steady_clock::time_point started_;
  PathHandler metrics_;
  PathHandler health_;
  PathHandler ready_;
};

HttpEndpoint::HttpEndpoint(const std::string& host, std::uint16_t port, EndpointSources sources)
    : handlers_(std::make_unique<Handlers>(std::move(sources))),
      wake_host_(host == "0.0.0.0" ? "127.0.0.1" : host),
      port_(port) {
  const std::string address = fmt::format("{}:{}", host, port);
  std::vector<std::string> options = {"listening_ports", address, "num_threads", "2"};
  try {
    server_ = std::make_unique<CivetServer>(options);
  } catch (const CivetException& error) {
    throw std::runtime_error(fmt::format("cannot serve metrics on {}: {}", address, error.what()));
  }
  handlers_->add_to(*server_);
}

namespace {

void connect_and_close(const std::string& host, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) == 1)
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::close(fd);
}

}  // namespace

HttpEndpoint::~HttpEndpoint() {
  // civetweb's threads may be inside a handler: stop them before the handlers go.
  // Its accepting thread only sees the stop flag when poll() returns, which it otherwise
  // does every two seconds: connections to the listening port wake it at once.
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server_.reset();
    stopped = true;
  });
  while (!stopped) {
    connect_and_close(wake_host_, port_);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stopper.join();
}

}  // namespace weir::metrics
