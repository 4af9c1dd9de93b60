// W6, many connections: one process opens tens of thousands of sockets to a broker from
// several 127.x source addresses (librdkafka cannot open that many cheaply) and reports
// how the broker serves them (docs/benchmarks.md has the commands and the numbers):
//
//   weir-conn-storm --port 9092 [--host 127.0.0.1] [--producers 10000] [--idle 40000]
//                   [--source-addresses 16] [--seconds 30] [--topic conn-storm]
//                   [--partitions 16] [--record-bytes 100] [--connect-window 512]
//                   [--broker-pid PID] [--workload w6-conn-storm]
//
// First --idle connections each send one ApiVersions request and then stay silent; the
// broker's RSS is read before and after they connect (from /proc/PID/status, with
// --broker-pid). Then --producers connections each send one Produce (acks=1, one record
// batch of one record) per second for --seconds, staggered over the second. Reported:
// produce latency p50/p99/max (request written to response read), errors (a Kafka error
// code, a refused or dropped connection, an unanswered request), connections established,
// idle connections the broker closed, and broker RSS per idle connection. The last line is
// `RESULT <workload> key=value ...` for bench/run.sh.
//
// Sockets bind to 127.0.1.1, 127.0.1.2, ... before connecting, with IP_BIND_ADDRESS_NO_PORT
// so the port is picked per destination: each source address has its own ephemeral range.
#include <netinet/in.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/generated/api_keys.h"
#include "protocol/generated/api_versions_request.h"
#include "protocol/generated/create_topics_request.h"
#include "protocol/generated/create_topics_response.h"
#include "protocol/generated/produce_request.h"
#include "protocol/generated/produce_response.h"
#include "protocol/generated/request_header.h"
#include "protocol/generated/response_header.h"
#include "protocol/records/record_batch.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace {

namespace protocol = weir::protocol;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

constexpr std::int16_t produce_version = 9;
constexpr std::int16_t api_versions_version = 3;
constexpr std::int16_t create_topics_version = 4;
constexpr std::int16_t topic_already_exists = 36;

struct Settings {
  std::string host = "127.0.0.1";
  int port = 9092;
  int producers = 10000;
  int idle = 40000;
  int source_addresses = 16;
  int seconds = 30;
  std::string topic = "conn-storm";
  int partitions = 16;
  int record_bytes = 100;
  int connect_window = 512;  // connects in flight at once
  int broker_pid = 0;
  std::string workload = "w6-conn-storm";
};

struct Totals {
  int connect_failures = 0;
  int established_idle = 0;
  int established_producers = 0;
  int idle_closed_by_broker = 0;
  long produce_errors = 0;    // a Kafka error code in the response
  long transport_errors = 0;  // a connection that failed while producing
  long sent = 0;
  long answered = 0;
  long late_sends = 0;  // a producer still waiting for its previous answer at its next tick
  std::vector<std::uint32_t> latencies_us;
};

// VmRSS of the broker in KiB; 0 when unknown.
long broker_rss_kib(int pid) {
  if (pid <= 0) return 0;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

// Every socket needs a descriptor; root may raise its own hard limit.
bool raise_descriptor_limit(rlim_t needed) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= needed) return true;
  limit.rlim_cur = needed;
  limit.rlim_max = std::max(limit.rlim_max, needed);
  return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

template <typename Body>
protocol::Bytes request_frame(const Body& body, std::int16_t version, std::int32_t correlation_id) {
  protocol::Writer writer;
  writer.write_int32(0);  // size, patched below
  protocol::RequestHeader header;
  header.request_api_key = Body::api_key;
  header.request_api_version = version;
  header.correlation_id = correlation_id;
  header.client_id = "weir-conn-storm";
  header.encode(writer, protocol::request_header_version(Body::api_key, version));
  body.encode(writer, version);
  writer.patch_int32(0, static_cast<std::int32_t>(writer.size() - 4));
  return writer.take();
}

// Reads one response frame (without its size prefix).
awaitable<protocol::Bytes> read_frame(tcp::socket& socket) {
  std::array<std::byte, 4> prefix{};
  co_await asio::async_read(socket, asio::buffer(prefix), use_awaitable);
  protocol::Reader size_reader(prefix);
  const std::int32_t size = size_reader.read_int32();
  if (size < 4 || size > (64 << 20)) throw std::runtime_error("bad response size");
  protocol::Bytes frame(static_cast<std::size_t>(size));
  co_await asio::async_read(socket, asio::buffer(frame), use_awaitable);
  co_return frame;
}

// Body of a response after its header, checked against the request's correlation id.
protocol::Reader response_body(const protocol::Bytes& frame, std::int16_t api_key,
                               std::int16_t version, std::int32_t correlation_id) {
  protocol::Reader reader(frame);
  protocol::ResponseHeader header;
  if (!header.decode(reader, protocol::response_header_version(api_key, version)) ||
      header.correlation_id != correlation_id)
    throw std::runtime_error("response header does not match the request");
  return reader;
}

class Storm {
 public:
  Storm(asio::io_context& io, Settings settings)
      : io_(io), settings_(std::move(settings)), go_(io, Clock::time_point::max()) {
    record_value_.assign(static_cast<std::size_t>(settings_.record_bytes), std::byte{'x'});
    totals_.latencies_us.reserve(static_cast<std::size_t>(settings_.producers) *
                                 static_cast<std::size_t>(settings_.seconds));
  }

  awaitable<void> run() {
    co_await create_topic();
    rss_before_ = broker_rss_kib(settings_.broker_pid);
    const auto idle_started = Clock::now();
    for (int i = 0; i < settings_.idle; ++i) {
      co_await wait_for_connect_slot();
      asio::co_spawn(io_, idle_connection(i), asio::detached);
    }
    co_await wait_until([this] { return connecting_ == 0; });
    idle_connect_seconds_ = seconds_since(idle_started);
    co_await pause(std::chrono::seconds(1));  // let the broker settle before reading its RSS
    rss_idle_ = broker_rss_kib(settings_.broker_pid);
    std::fprintf(stderr, "conn-storm: %d idle connections in %.1f s, broker RSS %ld -> %ld KiB\n",
                 totals_.established_idle, idle_connect_seconds_, rss_before_, rss_idle_);

    for (int i = 0; i < settings_.producers; ++i) {
      co_await wait_for_connect_slot();
      asio::co_spawn(io_, producer(i), asio::detached);
    }
    co_await wait_until([this] { return connecting_ == 0; });
    std::fprintf(stderr, "conn-storm: %d producers connected; producing for %d s\n",
                 totals_.established_producers, settings_.seconds);
    run_started_ = Clock::now();
    run_ends_ = run_started_ + std::chrono::seconds(settings_.seconds);
    go_.cancel();  // wakes every producer waiting for the start
    for (int second = 1; second <= settings_.seconds; ++second) {
      co_await pause_until(run_started_ + std::chrono::seconds(second));
      report_second(second);
    }
    // Answers still on their way get the request timeout's worth of grace.
    const auto grace_ends = Clock::now() + std::chrono::seconds(10);
    co_await wait_until(
        [this, grace_ends] { return producing_ == 0 || Clock::now() > grace_ends; });
    rss_after_ = broker_rss_kib(settings_.broker_pid);
    unanswered_ = totals_.sent - totals_.answered - totals_.transport_errors;
    io_.stop();
  }

  int report() {
    auto& latencies = totals_.latencies_us;
    std::sort(latencies.begin(), latencies.end());
    auto percentile_ms = [&](double p) {
      if (latencies.empty()) return 0.0;
      const auto index =
          std::min(latencies.size() - 1, static_cast<std::size_t>(p * latencies.size()));
      return latencies[index] / 1000.0;
    };
    const double max_ms = latencies.empty() ? 0.0 : latencies.back() / 1000.0;
    const int established = totals_.established_idle + totals_.established_producers;
    const long errors = totals_.produce_errors + totals_.transport_errors + unanswered_ +
                        totals_.connect_failures + totals_.idle_closed_by_broker;
    const double rss_per_idle_kib =
        totals_.established_idle > 0
            ? static_cast<double>(rss_idle_ - rss_before_) / totals_.established_idle
            : 0.0;
    const double produce_rate =
        static_cast<double>(totals_.answered) / std::max(1, settings_.seconds);
    std::printf("connections established %d of %d (failed %d), idle closed by the broker %d\n",
                established, settings_.idle + settings_.producers, totals_.connect_failures,
                totals_.idle_closed_by_broker);
    std::printf(
        "produce requests sent %ld, answered %ld (%.0f/s), Kafka errors %ld, "
        "connection errors %ld, unanswered %ld, late sends %ld\n",
        totals_.sent, totals_.answered, produce_rate, totals_.produce_errors,
        totals_.transport_errors, unanswered_, totals_.late_sends);
    std::printf("produce latency ms: p50 %.2f, p99 %.2f, p99.9 %.2f, max %.2f\n",
                percentile_ms(0.50), percentile_ms(0.99), percentile_ms(0.999), max_ms);
    std::printf(
        "broker RSS KiB: before %ld, with idle connections %ld, after producing %ld; "
        "per idle connection %.1f KiB\n",
        rss_before_, rss_idle_, rss_after_, rss_per_idle_kib);
    std::printf(
        "RESULT %s producers=%d idle=%d established=%d errors=%ld produce_per_s=%.0f "
        "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f rss_per_idle_kib=%.1f rss_after_mib=%.1f\n",
        settings_.workload.c_str(), settings_.producers, settings_.idle, established, errors,
        produce_rate, percentile_ms(0.50), percentile_ms(0.99), max_ms, rss_per_idle_kib,
        rss_after_ / 1024.0);
    return errors == 0 && established == settings_.idle + settings_.producers ? 0 : 1;
  }

 private:
  static double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  awaitable<void> pause(Clock::duration duration) {
    asio::steady_timer timer(io_, duration);
    co_await timer.async_wait(use_awaitable);
  }

  awaitable<void> pause_until(Clock::time_point at) {
    asio::steady_timer timer(io_, at);
    co_await timer.async_wait(use_awaitable);
  }

  // Progress, one line a second: the answers of the last second and their latencies.
  void report_second(int second) {
    std::vector<std::uint32_t> recent(
        totals_.latencies_us.begin() + static_cast<std::ptrdiff_t>(reported_),
        totals_.latencies_us.end());
    reported_ = totals_.latencies_us.size();
    std::sort(recent.begin(), recent.end());
    auto at = [&](double p) {
      return recent.empty() ? 0.0
                            : recent[std::min(recent.size() - 1,
                                              static_cast<std::size_t>(p * recent.size()))] /
                                  1000.0;
    };
    std::fprintf(
        stderr,
        "conn-storm: %3d s  %6zu answers  p50 %.2f ms  p99 %.2f ms  max %.2f ms  errors %ld\n",
        second, recent.size(), at(0.5), at(0.99), recent.empty() ? 0.0 : recent.back() / 1000.0,
        totals_.produce_errors + totals_.transport_errors);
  }

  template <typename Condition>
  awaitable<void> wait_until(Condition done) {
    while (!done()) co_await pause(std::chrono::milliseconds(5));
  }

  awaitable<void> wait_for_connect_slot() {
    while (connecting_ >= settings_.connect_window) co_await pause(std::chrono::milliseconds(1));
    ++connecting_;
  }

  // A socket bound to the next source address, connected to the broker.
  awaitable<std::optional<tcp::socket>> connect(int index) {
    tcp::socket socket(io_);
    asio::error_code error;
    socket.open(tcp::v4(), error);
    if (!error) {
      const int no_port = 1;  // pick the port at connect time, per destination
      ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &no_port,
                   sizeof no_port);
      const asio::ip::address_v4 source(asio::ip::address_v4::bytes_type{
          127, 0, 1, static_cast<unsigned char>(1 + index % settings_.source_addresses)});
      socket.bind(tcp::endpoint(source, 0), error);
    }
    if (!error) {
      const tcp::endpoint broker(asio::ip::make_address(settings_.host),
                                 static_cast<unsigned short>(settings_.port));
      co_await socket.async_connect(broker, asio::redirect_error(use_awaitable, error));
    }
    if (!error) socket.set_option(tcp::no_delay(true), error);
    if (error) {
      if (++totals_.connect_failures <= 5)
        std::fprintf(stderr, "conn-storm: connect %d failed: %s\n", index, error.message().c_str());
      co_return std::nullopt;
    }
    co_return std::optional<tcp::socket>(std::move(socket));
  }

  awaitable<void> create_topic() {
    auto socket = co_await connect(0);
    if (!socket) throw std::runtime_error("cannot connect to the broker");
    protocol::CreateTopicsRequest request;
    auto& topic = request.topics.emplace_back();
    topic.name = settings_.topic;
    topic.num_partitions = settings_.partitions;
    topic.replication_factor = 1;
    const auto frame = request_frame(request, create_topics_version, 1);
    co_await asio::async_write(*socket, asio::buffer(frame), use_awaitable);
    const auto response_frame = co_await read_frame(*socket);
    auto reader = response_body(response_frame, protocol::CreateTopicsRequest::api_key,
                                create_topics_version, 1);
    protocol::CreateTopicsResponse response;
    if (!response.decode(reader, create_topics_version) || response.topics.size() != 1)
      throw std::runtime_error("cannot decode the CreateTopics response");
    const auto code = response.topics[0].error_code;
    if (code != 0 && code != topic_already_exists)
      throw std::runtime_error("CreateTopics failed with error code " + std::to_string(code));
  }

  // ApiVersions once, as a client does first, then silence. The wait ends only if the
  // broker closes the connection (or, wrongly, sends something unasked).
  awaitable<void> idle_connection(int index) {
    auto socket = co_await connect(index);
    if (!socket) {
      --connecting_;
      co_return;
    }
    try {
      protocol::ApiVersionsRequest request;
      request.client_software_name = "weir-conn-storm";
      request.client_software_version = "1";
      const auto frame = request_frame(request, api_versions_version, 1);
      co_await asio::async_write(*socket, asio::buffer(frame), use_awaitable);
      const auto answer = co_await read_frame(*socket);
      response_body(answer, protocol::ApiVersionsRequest::api_key, api_versions_version, 1);
      ++totals_.established_idle;
    } catch (const std::exception&) {
      ++totals_.connect_failures;
      --connecting_;
      co_return;
    }
    --connecting_;
    asio::error_code error;
    co_await socket->async_wait(tcp::socket::wait_read, asio::redirect_error(use_awaitable, error));
    if (!stopping()) ++totals_.idle_closed_by_broker;
  }

  bool stopping() const { return io_.stopped(); }

  protocol::Bytes produce_frame(int producer, std::int32_t correlation_id) {
    protocol::records::RecordBatchBuilder builder;
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    builder.add({std::nullopt, protocol::Bytes(record_value_), {}, now_ms});
    const protocol::Bytes batch = builder.build();
    protocol::ProduceRequest request;
    request.acks = 1;
    request.timeout_ms = 30000;
    auto& topic = request.topic_data.emplace_back();
    topic.name = settings_.topic;
    auto& partition = topic.partition_data.emplace_back();
    partition.index = producer % settings_.partitions;
    partition.records = protocol::BytesView(batch);
    return request_frame(request, produce_version, correlation_id);
  }

  // One Produce a second, the first at a point of the first second that spreads the
  // producers evenly, each waiting for its answer before the next.
  awaitable<void> producer(int index) {
    auto socket = co_await connect(settings_.idle + index);
    --connecting_;
    if (!socket) co_return;
    ++totals_.established_producers;
    ++producing_;
    asio::error_code ignored;
    co_await go_.async_wait(asio::redirect_error(use_awaitable, ignored));
    asio::steady_timer tick(io_);
    auto next = run_started_ +
                std::chrono::microseconds(1000000LL * index / std::max(1, settings_.producers));
    std::int32_t correlation_id = 0;
    try {
      while (next < run_ends_) {
        tick.expires_at(next);
        co_await tick.async_wait(use_awaitable);
        const auto frame = produce_frame(index, ++correlation_id);
        const auto sent_at = Clock::now();
        ++totals_.sent;
        co_await asio::async_write(*socket, asio::buffer(frame), use_awaitable);
        const auto answer = co_await read_frame(*socket);
        const auto latency =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at);
        auto reader = response_body(answer, protocol::ProduceRequest::api_key, produce_version,
                                    correlation_id);
        protocol::ProduceResponse response;
        ++totals_.answered;
        totals_.latencies_us.push_back(static_cast<std::uint32_t>(latency.count()));
        if (!response.decode(reader, produce_version) || response.responses.size() != 1 ||
            response.responses[0].partition_responses.size() != 1 ||
            response.responses[0].partition_responses[0].error_code != 0)
          ++totals_.produce_errors;
        next += std::chrono::seconds(1);
        if (Clock::now() > next) {
          ++totals_.late_sends;
          next = Clock::now();
        }
      }
    } catch (const std::exception& failure) {
      if (++totals_.transport_errors <= 5)
        std::fprintf(stderr, "conn-storm: producer %d: %s\n", index, failure.what());
    }
    --producing_;
  }

  asio::io_context& io_;
  const Settings settings_;
  asio::steady_timer go_;  // cancelled when producing starts
  protocol::Bytes record_value_;
  Totals totals_;
  int connecting_ = 0;
  int producing_ = 0;
  long unanswered_ = 0;
  std::size_t reported_ = 0;  // latencies already in a progress line
  long rss_before_ = 0;
  long rss_idle_ = 0;
  long rss_after_ = 0;
  double idle_connect_seconds_ = 0;
  Clock::time_point run_started_;
  Clock::time_point run_ends_;
};

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  CLI::App app{"W6: many producer and idle connections to one broker"};
  app.add_option("--host", settings.host, "broker address")->capture_default_str();
  app.add_option("--port", settings.port, "broker port")->capture_default_str();
  app.add_option("--producers", settings.producers, "connections producing once a second")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--idle", settings.idle, "connections that stay silent")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--source-addresses", settings.source_addresses, "127.0.1.x source addresses")
      ->capture_default_str()
      ->check(CLI::Range(1, 254));
  app.add_option("--seconds", settings.seconds, "seconds of producing")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--topic", settings.topic, "topic produced to")->capture_default_str();
  app.add_option("--partitions", settings.partitions, "partitions of the topic")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--record-bytes", settings.record_bytes, "value bytes per record")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--connect-window", settings.connect_window, "connects in flight at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--broker-pid", settings.broker_pid, "broker process whose RSS is read");
  app.add_option("--workload", settings.workload, "name on the RESULT line")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const auto needed = static_cast<rlim_t>(settings.producers + settings.idle + 64);
  if (!raise_descriptor_limit(needed)) {
    std::fprintf(stderr, "conn-storm: cannot raise the open-file limit to %lu (ulimit -n)\n",
                 static_cast<unsigned long>(needed));
    return 2;
  }
  // Destroyed in reverse: the Storm and its timer first, then the context, which destroys
  // the coroutines still parked on idle sockets (their frames hold only sockets, timers
  // and buffers, none of the Storm's state).
  auto io = std::make_unique<asio::io_context>(1);
  auto storm = std::make_unique<Storm>(*io, settings);
  bool failed = false;
  asio::co_spawn(*io, storm->run(), [&](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& failure) {
      std::fprintf(stderr, "conn-storm: %s\n", failure.what());
    }
    failed = true;
    io->stop();
  });
  io->run();
  return failed ? 1 : storm->report();
}
