// weir-producer-perf: Kafka's kafka-producer-perf-test on librdkafka, with its flags and
// its output, so numbers taken against Weir read like the ones users know:
//
//   weir-producer-perf --topic T --num-records N (--record-size B | --payload-file F)
//                      --throughput R [--producer-props k=v ...] [--producer.config FILE]
//                      [--payload-delimiter D] [--print-metrics] [--reporting-interval MS]
//
// Latency is per record, from the produce call to its delivery report, as Kafka's tool
// measures from send() to the completion callback. --reporting-interval (default 5000 ms,
// Kafka's fixed interval) is the one addition, so short runs can still be plotted.
#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/client/client_config.h"
#include "bench/client/latency_record.h"

namespace {

using weir::bench::Clock;
using weir::bench::milliseconds_between;

struct Options {
  std::string topic;
  long long num_records = 0;
  int record_size = 0;
  double throughput = -1;
  std::vector<std::string> producer_props;
  std::string producer_config;
  std::string payload_file;
  std::string payload_delimiter = "\\n";
  bool print_metrics = false;
  int reporting_interval_ms = 5000;
};

// Kafka's ProducerPerformance.Stats: a window printed every reporting interval and the
// whole run at the end. Latencies of every `sampling`-th record are kept for the
// percentiles (at most 500,000 samples), as Kafka does.
class Stats {
 public:
  Stats(long long num_records, int reporting_interval_ms)
      : start_(Clock::now()),
        window_start_(start_),
        sampling_(std::max<long long>(
            1, num_records / std::min<long long>(std::max(num_records, 1LL), 500000))),
        reporting_interval_ms_(reporting_interval_ms) {
    latencies_.reserve(static_cast<std::size_t>(num_records / sampling_ + 1));
  }

  void record(double latency_ms, std::size_t bytes, Clock::time_point now) {
    ++count_;
    bytes_ += bytes;
    total_latency_ms_ += latency_ms;
    max_latency_ms_ = std::max(max_latency_ms_, latency_ms);
    ++window_count_;
    window_bytes_ += bytes;
    window_total_latency_ms_ += latency_ms;
    window_max_latency_ms_ = std::max(window_max_latency_ms_, latency_ms);
    if ((count_ - 1) % sampling_ == 0) latencies_.push_back(static_cast<int>(latency_ms));
    if (milliseconds_between(window_start_, now) >= reporting_interval_ms_) {
      print_window(now);
      window_start_ = now;
      window_count_ = 0;
      window_bytes_ = 0;
      window_total_latency_ms_ = 0;
      window_max_latency_ms_ = 0;
    }
  }

  void print_total() {
    const double elapsed_ms = std::max(1e-3, milliseconds_between(start_, Clock::now()));
    const double records_per_second = 1000.0 * static_cast<double>(count_) / elapsed_ms;
    const double megabytes_per_second =
        1000.0 * static_cast<double>(bytes_) / elapsed_ms / (1024.0 * 1024.0);
    std::sort(latencies_.begin(), latencies_.end());
    std::printf(
        "%lld records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max "
        "latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.\n",
        count_, records_per_second, megabytes_per_second,
        count_ ? total_latency_ms_ / static_cast<double>(count_) : 0.0, max_latency_ms_,
        weir::bench::percentile_of_sorted(latencies_, 0.5),
        weir::bench::percentile_of_sorted(latencies_, 0.95),
        weir::bench::percentile_of_sorted(latencies_, 0.99),
        weir::bench::percentile_of_sorted(latencies_, 0.999));
    std::fflush(stdout);
  }

 private:
  void print_window(Clock::time_point now) const {
    const double elapsed_ms = std::max(1e-3, milliseconds_between(window_start_, now));
    std::printf(
        "%lld records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max "
        "latency.\n",
        window_count_, 1000.0 * static_cast<double>(window_count_) / elapsed_ms,
        1000.0 * static_cast<double>(window_bytes_) / elapsed_ms / (1024.0 * 1024.0),
        window_count_ ? window_total_latency_ms_ / static_cast<double>(window_count_) : 0.0,
        window_max_latency_ms_);
    std::fflush(stdout);
  }

  Clock::time_point start_;
  Clock::time_point window_start_;
  long long sampling_;
  int reporting_interval_ms_;
  long long count_ = 0;
  unsigned long long bytes_ = 0;
  double total_latency_ms_ = 0;
  double max_latency_ms_ = 0;
  long long window_count_ = 0;
  unsigned long long window_bytes_ = 0;
  double window_total_latency_ms_ = 0;
  double window_max_latency_ms_ = 0;
  std::vector<int> latencies_;
};

struct RunState {
  Clock::time_point epoch = Clock::now();
  Stats* stats = nullptr;
  long long failed = 0;
  std::string last_statistics;
};

// The send time rides in the message's opaque pointer: microseconds since `epoch`.
void* encode_send_time(const RunState& state, Clock::time_point sent) {
  return reinterpret_cast<void*>(static_cast<std::intptr_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(sent - state.epoch).count()));
}

Clock::time_point decode_send_time(const RunState& state, void* opaque) {
  return state.epoch + std::chrono::microseconds(reinterpret_cast<std::intptr_t>(opaque));
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* state = static_cast<RunState*>(opaque);
  const auto now = Clock::now();
  if (message->err) {
    if (state->failed++ < 10)
      std::fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(message->err));
    return;
  }
  state->stats->record(milliseconds_between(decode_send_time(*state, message->_private), now),
                       message->len, now);
}

int on_statistics(rd_kafka_t*, char* json, size_t json_length, void* opaque) {
  static_cast<RunState*>(opaque)->last_statistics.assign(json, json_length);
  return 0;
}

std::vector<std::string> read_payloads(const std::string& path, std::string delimiter) {
  if (delimiter == "\\n") delimiter = "\n";
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read payload file " + path);
  std::stringstream contents;
  contents << file.rdbuf();
  const std::string text = contents.str();
  std::vector<std::string> payloads;
  std::size_t from = 0;
  while (from < text.size()) {
    auto to = text.find(delimiter, from);
    if (to == std::string::npos) to = text.size();
    if (to > from) payloads.push_back(text.substr(from, to - from));
    from = to + delimiter.size();
  }
  if (payloads.empty()) throw std::runtime_error("no payloads in " + path);
  std::printf("Reading payloads from: %s\nNumber of messages read: %zu\n", path.c_str(),
              payloads.size());
  return payloads;
}

// Kafka's random payload: uppercase letters, made once.
std::string random_payload(int size) {
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> letter('A', 'Z');
  std::string payload(static_cast<std::size_t>(size), 'A');
  for (auto& byte : payload) byte = static_cast<char>(letter(random));
  return payload;
}

rd_kafka_t* create_producer(const Options& options, RunState* state) {
  weir::bench::ClientProperties properties;
  if (!options.producer_config.empty())
    properties = weir::bench::read_properties_file(options.producer_config);
  const auto from_flags = weir::bench::parse_key_values(options.producer_props);
  properties.insert(properties.end(), from_flags.begin(), from_flags.end());
  if (!weir::bench::has_property(properties, "bootstrap.servers"))
    throw std::invalid_argument(
        "Either --producer-props or --producer.config must give bootstrap.servers");

  if (options.print_metrics && !weir::bench::has_property(properties, "statistics.interval.ms"))
    properties.emplace_back("statistics.interval.ms", "1000");
  return weir::bench::create_client(RD_KAFKA_PRODUCER, properties, [&](rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_opaque(conf, state);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    if (options.print_metrics) rd_kafka_conf_set_stats_cb(conf, on_statistics);
  });
}

void wait_for_send_slot(rd_kafka_t* producer, Clock::time_point due) {
  while (true) {
    const auto now = Clock::now();
    if (now >= due) return;
    const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(due - now).count();
    if (wait_ms >= 1)
      rd_kafka_poll(producer, static_cast<int>(wait_ms));
    else
      std::this_thread::sleep_until(due);
  }
}

int run(const Options& options) {
  const auto payloads = options.payload_file.empty()
                            ? std::vector<std::string>{random_payload(options.record_size)}
                            : read_payloads(options.payload_file, options.payload_delimiter);
  RunState state;
  rd_kafka_t* producer = create_producer(options, &state);
  rd_kafka_topic_t* topic = rd_kafka_topic_new(producer, options.topic.c_str(), nullptr);
  std::mt19937 random(42);
  std::uniform_int_distribution<std::size_t> pick(0, payloads.size() - 1);

  Stats stats(options.num_records, options.reporting_interval_ms);
  state.stats = &stats;
  const auto start = Clock::now();
  for (long long i = 0; i < options.num_records; ++i) {
    if (options.throughput > 0)
      wait_for_send_slot(
          producer,
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(static_cast<double>(i) / options.throughput)));
    const std::string& payload = payloads.size() == 1 ? payloads[0] : payloads[pick(random)];
    const auto sent = Clock::now();
    // A full queue blocks the send, as KafkaProducer.send blocks on a full buffer; the
    // wait counts in the record's latency there too.
    while (rd_kafka_produce(topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                            const_cast<char*>(payload.data()), payload.size(), nullptr, 0,
                            encode_send_time(state, sent)) == -1) {
      const auto error = rd_kafka_last_error();
      if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        std::fprintf(stderr, "produce failed: %s\n", rd_kafka_err2str(error));
        rd_kafka_topic_destroy(topic);
        rd_kafka_destroy(producer);
        return 1;
      }
      rd_kafka_poll(producer, 1);
    }
    rd_kafka_poll(producer, 0);
  }
  while (rd_kafka_outq_len(producer) > 0) rd_kafka_poll(producer, 10);
  stats.print_total();
  if (options.print_metrics) {
    std::printf("librdkafka statistics (the last emitted):\n%s\n", state.last_statistics.c_str());
  }
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(producer);
  if (state.failed > 0) {
    std::fprintf(stderr, "%lld records failed\n", state.failed);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "This tool is used to verify the producer performance (kafka-producer-perf-test "
      "on librdkafka)."};
  Options options;
  app.add_option("--topic", options.topic, "produce messages to this topic")->required();
  app.add_option("--num-records", options.num_records, "number of messages to produce")
      ->required()
      ->check(CLI::PositiveNumber);
  auto* record_size = app.add_option("--record-size", options.record_size, "message size in bytes")
                          ->check(CLI::PositiveNumber);
  auto* payload_file =
      app.add_option("--payload-file", options.payload_file,
                     "file to read the message payloads from; one is picked at random per record");
  record_size->excludes(payload_file);
  app.add_option("--payload-delimiter", options.payload_delimiter,
                 "delimiter between the payloads of --payload-file")
      ->capture_default_str();
  app.add_option("--throughput", options.throughput,
                 "throttle to approximately this many messages/sec; -1 for no throttling")
      ->required();
  app.add_option("--producer-props", options.producer_props,
                 "producer configuration properties, key=value ...")
      ->expected(1, -1);
  app.add_option("--producer.config", options.producer_config, "producer configuration file");
  app.add_flag("--print-metrics", options.print_metrics,
               "print librdkafka's statistics at the end of the test");
  app.add_option("--reporting-interval", options.reporting_interval_ms,
                 "milliseconds between progress lines (Kafka's tool: always 5000)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  if (options.payload_file.empty() && options.record_size <= 0) {
    std::fprintf(stderr, "Either --record-size or --payload-file must be specified\n");
    return 2;
  }
  try {
    return run(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
}
