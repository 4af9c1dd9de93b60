// W7: how long a broker takes from exec to serving. Starts the broker command given after
// `--` (its environment is this process's), then polls every millisecond until a Fetch of
// `--offset` in `--topic`/`--partition` returns records and, with --metrics-port, until
// GET /ready answers 200; then stops the broker with SIGTERM and waits for it.
//
//   weir-restart-probe --port P [--metrics-port M] --topic T --partition N --offset O
//                      [--timeout-seconds 60] [--workload w7-restart] -- weir [args...]
//
// Prints the two times in milliseconds from the fork that execs the broker, and a
// `RESULT <workload> ...` line for bench/run.sh.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "protocol/generated/api_keys.h"
#include "protocol/generated/fetch_request.h"
#include "protocol/generated/fetch_response.h"
#include "protocol/generated/request_header.h"
#include "protocol/generated/response_header.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace {

namespace protocol = weir::protocol;
using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

constexpr std::int16_t fetch_version = 4;  // addresses topics by name, not by topic id

struct Settings {
  int port = 0;
  int metrics_port = 0;
  std::string topic;
  int partition = 0;
  std::int64_t offset = 0;
  int timeout_seconds = 60;
  std::string workload = "w7-restart";
  std::vector<std::string> command;  // the broker and its arguments
};

protocol::Bytes fetch_frame(const Settings& settings, std::int32_t correlation_id) {
  protocol::FetchRequest request;
  request.max_wait_ms = 0;
  request.min_bytes = 1;
  request.max_bytes = 1 << 20;
  auto& topic = request.topics.emplace_back();
  topic.topic = settings.topic;
  auto& partition = topic.partitions.emplace_back();
  partition.partition = settings.partition;
  partition.fetch_offset = settings.offset;
  partition.partition_max_bytes = 1 << 20;
  protocol::Writer writer;
  writer.write_int32(0);
  protocol::RequestHeader header;
  header.request_api_key = protocol::FetchRequest::api_key;
  header.request_api_version = fetch_version;
  header.correlation_id = correlation_id;
  header.client_id = "weir-restart-probe";
  header.encode(writer,
                protocol::request_header_version(protocol::FetchRequest::api_key, fetch_version));
  request.encode(writer, fetch_version);
  writer.patch_int32(0, static_cast<std::int32_t>(writer.size() - 4));
  return writer.take();
}

// One Fetch on a fresh connection: true once the partition answers with records.
bool fetch_returns_records(asio::io_context& io, const Settings& settings,
                           std::int32_t correlation_id) {
  try {
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::address_v4::loopback(),
                                 static_cast<unsigned short>(settings.port)));
    asio::write(socket, asio::buffer(fetch_frame(settings, correlation_id)));
    std::array<std::byte, 4> prefix{};
    asio::read(socket, asio::buffer(prefix));
    protocol::Reader size_reader(prefix);
    const std::int32_t size = size_reader.read_int32();
    if (size < 4 || size > (16 << 20)) return false;
    protocol::Bytes frame(static_cast<std::size_t>(size));
    asio::read(socket, asio::buffer(frame));
    protocol::Reader reader(frame);
    protocol::ResponseHeader response_header;
    protocol::FetchResponse response;
    if (!response_header.decode(reader, protocol::response_header_version(
                                            protocol::FetchRequest::api_key, fetch_version)) ||
        !response.decode(reader, fetch_version) || response.responses.size() != 1 ||
        response.responses[0].partitions.size() != 1)
      return false;
    const auto& partition = response.responses[0].partitions[0];
    return partition.error_code == 0 && partition.records && !partition.records->empty();
  } catch (const std::exception&) {
    return false;  // not listening yet, or closed while starting
  }
}

bool ready_answers_200(asio::io_context& io, int metrics_port) {
  try {
    tcp::socket socket(io);
    socket.connect(
        tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(metrics_port)));
    const std::string request =
        "GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    asio::write(socket, asio::buffer(request));
    std::array<char, 64> status{};
    std::size_t filled = 0;
    asio::error_code error;
    while (filled < 12 && !error)
      filled +=
          socket.read_some(asio::buffer(status.data() + filled, status.size() - filled), error);
    return std::string_view(status.data(), filled).starts_with("HTTP/1.1 200");
  } catch (const std::exception&) {
    return false;
  }
}

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const auto not_empty = [](const std::string& value) {
    return std::string(value.empty() ? "must not be empty" : "");
  };
  Settings settings;
  CLI::App app{"Starts a broker and times until it serves a fetch at an offset"};
  app.add_option("--port", settings.port, "broker port")->required()->check(CLI::PositiveNumber);
  app.add_option("--metrics-port", settings.metrics_port, "broker metrics port");
  app.add_option("--topic", settings.topic, "topic fetched from")->required()->check(not_empty);
  app.add_option("--partition", settings.partition, "partition fetched from")
      ->capture_default_str();
  app.add_option("--offset", settings.offset, "offset fetched")->capture_default_str();
  app.add_option("--timeout-seconds", settings.timeout_seconds, "give up after")
      ->capture_default_str();
  app.add_option("--workload", settings.workload, "name on the RESULT line")->capture_default_str();
  app.add_option("broker", settings.command, "broker command and its arguments, after --")
      ->required();
  CLI11_PARSE(app, argc, argv);
  asio::io_context io;
  const auto started = Clock::now();
  const pid_t broker = fork();
  if (broker < 0) return 1;
  if (broker == 0) {
    std::vector<char*> command;
    for (auto& word : settings.command) command.push_back(word.data());
    command.push_back(nullptr);
    execvp(command[0], command.data());
    std::perror("exec");
    _exit(127);
  }
  std::optional<double> fetch_ms;
  std::optional<double> ready_ms;
  std::int32_t correlation_id = 0;
  const auto deadline = started + std::chrono::seconds(settings.timeout_seconds);
  bool exited = false;
  while (Clock::now() < deadline && (!fetch_ms || (settings.metrics_port > 0 && !ready_ms))) {
    if (!fetch_ms && fetch_returns_records(io, settings, ++correlation_id))
      fetch_ms = milliseconds_since(started);
    if (settings.metrics_port > 0 && !ready_ms && ready_answers_200(io, settings.metrics_port))
      ready_ms = milliseconds_since(started);
    int status = 0;
    if (waitpid(broker, &status, WNOHANG) == broker) {
      exited = true;
      std::fprintf(stderr, "restart-probe: the broker exited while starting\n");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!exited) {
    kill(broker, SIGTERM);
    waitpid(broker, nullptr, 0);
  }
  std::printf("exec to first Fetch with records of %s-%d at offset %lld: %s ms\n",
              settings.topic.c_str(), settings.partition, static_cast<long long>(settings.offset),
              fetch_ms ? std::to_string(*fetch_ms).c_str() : "never");
  if (settings.metrics_port > 0)
    std::printf("exec to /ready 200: %s ms\n",
                ready_ms ? std::to_string(*ready_ms).c_str() : "never");
  std::printf("RESULT %s first_fetch_ms=%.0f ready_ms=%.0f ok=%d\n", settings.workload.c_str(),
              fetch_ms.value_or(-1), ready_ms.value_or(-1), fetch_ms.has_value() ? 1 : 0);
  return fetch_ms ? 0 : 1;
}
