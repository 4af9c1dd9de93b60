// The physical limit of every network figure in docs/benchmarks.md: how fast one sender
// can move bytes to one receiver over 127.0.0.1 on this machine, with plain blocking
// sockets and no protocol.
//
//   weir-loopback-throughput [--megabytes 1024] [--chunk-bytes 1048576] [--workload loopback]
//
// Prints MB/s (10^6 bytes per second, as the other benchmarks) and a
// `RESULT <workload> mb_per_s=...` line for bench/run.sh.
#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

using tcp = asio::ip::tcp;

struct Settings {
  std::size_t megabytes = 1024;
  std::size_t chunk_bytes = 1 << 20;
  std::string workload = "loopback";
};

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  CLI::App app{"Loopback TCP throughput"};
  app.add_option("--megabytes", settings.megabytes, "megabytes sent")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--chunk-bytes", settings.chunk_bytes, "bytes per write")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--workload", settings.workload, "name on the RESULT line")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const std::size_t total = settings.megabytes << 20;
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));

  std::size_t received = 0;
  std::thread receiver([&] {
    tcp::socket socket = acceptor.accept();
    std::vector<char> buffer(settings.chunk_bytes);
    asio::error_code error;
    while (!error) received += socket.read_some(asio::buffer(buffer), error);
  });

  tcp::socket sender(io);
  sender.connect(acceptor.local_endpoint());
  const std::vector<char> chunk(settings.chunk_bytes, 'x');
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t sent = 0; sent < total;) {
    const std::size_t n = std::min(chunk.size(), total - sent);
    sent += asio::write(sender, asio::buffer(chunk.data(), n));
  }
  sender.shutdown(tcp::socket::shutdown_send);
  receiver.join();  // the clock stops once the receiver has read everything
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double rate = static_cast<double>(received) / seconds / 1e6;
  std::printf("%zu bytes in %.3f s: %.0f MB/s over 127.0.0.1 (chunks of %zu bytes)\n", received,
              seconds, rate, settings.chunk_bytes);
  std::printf("RESULT %s mb_per_s=%.0f bytes=%zu seconds=%.3f\n", settings.workload.c_str(), rate,
              received, seconds);
  return received == total ? 0 : 1;
}
