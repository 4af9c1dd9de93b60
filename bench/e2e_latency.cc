// e2e-latency: produces at a fixed rate and consumes the same records at the same time,
// reporting end-to-end latency (produce call to the consumer receiving the record):
//
//   e2e-latency --bootstrap-server HOST:PORT --topic T --num-records N --throughput R
//               [--record-size B] [--producer-props k=v ...] [--consumer-props k=v ...]
//               [--reporting-interval MS] [--timeout MS]
//
// Each record carries its send time twice: as its timestamp (CreateTime, milliseconds) and
// in the first 8 bytes of its value (microseconds). The headline percentiles use the
// microseconds, because a millisecond CreateTime adds up to 1 ms of rounding to every
// sample; the CreateTime-based figures are printed on a second line to cross-check.
// The producer defaults to linger.ms=0, as Kafka's EndToEndLatency tool does.
#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/client/client_config.h"
#include "bench/client/latency_record.h"

namespace {

using weir::bench::Clock;
using weir::bench::milliseconds_between;
using weir::bench::wall_clock_microseconds;

struct Options {
  std::string bootstrap_server;
  std::string topic;
  long long num_records = 0;
  double throughput = 0;
  int record_size = 1024;
  std::vector<std::string> producer_props;
  std::vector<std::string> consumer_props;
  int reporting_interval_ms = 5000;
  int timeout_ms = 30000;
};

// Latencies in milliseconds of one window or of the whole run.
struct LatencySummary {
  std::vector<double> samples;
  double total = 0;

  void add(double latency_ms) {
    samples.push_back(latency_ms);
    total += latency_ms;
  }
  double average() const { return samples.empty() ? 0 : total / samples.size(); }
  // Sorts in place; call once at the end of a window.
  double at(double fraction) { return weir::bench::percentile_of_sorted(samples, fraction); }
  double max() const {
    return samples.empty() ? 0 : *std::max_element(samples.begin(), samples.end());
  }
  void sort() { std::sort(samples.begin(), samples.end()); }
};

void print_summary(const char* prefix, long long records, double seconds, LatencySummary& latencies,
                   bool final_line) {
  latencies.sort();
  std::printf(
      "%s%lld records received, %.1f records/sec, %.3f ms avg latency, %.3f ms max latency, "
      "%.3f ms 50th, %.3f ms 99th, %.3f ms 99.9th%s\n",
      prefix, records, static_cast<double>(records) / std::max(seconds, 1e-6), latencies.average(),
      latencies.max(), latencies.at(0.5), latencies.at(0.99), latencies.at(0.999),
      final_line ? "." : "");
  std::fflush(stdout);
}

rd_kafka_t* client_with_overrides(rd_kafka_type_t type,
                                  const weir::bench::ClientProperties& defaults,
                                  const std::vector<std::string>& overrides, void* opaque,
                                  void (*on_delivery)(rd_kafka_t*, const rd_kafka_message_t*,
                                                      void*)) {
  auto properties = defaults;
  const auto extra = weir::bench::parse_key_values(overrides);
  properties.insert(properties.end(), extra.begin(), extra.end());
  return weir::bench::create_client(type, properties, [&](rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_opaque(conf, opaque);
    if (on_delivery) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  });
}

std::atomic<long long> delivery_failures{0};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  if (message->err && delivery_failures++ < 10)
    std::fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(message->err));
}

// Partitions of the topic, waiting while it is being auto-created.
int partition_count(rd_kafka_t* producer, const std::string& topic_name) {
  rd_kafka_topic_t* topic = rd_kafka_topic_new(producer, topic_name.c_str(), nullptr);
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  int partitions = 0;
  while (partitions == 0 && Clock::now() < deadline) {
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(producer, 0, topic, &metadata, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
        partitions = metadata->topics[0].partition_cnt;
      rd_kafka_metadata_destroy(metadata);
    }
    if (partitions == 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  rd_kafka_topic_destroy(topic);
  if (partitions == 0) throw std::runtime_error("no metadata for topic " + topic_name);
  return partitions;
}

// Starts the consumer at each partition's current end, so only this run's records count.
void assign_at_end(rd_kafka_t* consumer, const std::string& topic, int partitions) {
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  for (int partition = 0; partition < partitions; ++partition) {
    int64_t low = 0;
    int64_t high = 0;
    if (const auto error = rd_kafka_query_watermark_offsets(consumer, topic.c_str(), partition,
                                                            &low, &high, 10000))
      throw std::runtime_error(std::string("cannot read the end offset: ") +
                               rd_kafka_err2str(error));
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), partition)->offset = high;
  }
  const auto error = rd_kafka_assign(consumer, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (error) throw std::runtime_error(std::string("assign failed: ") + rd_kafka_err2str(error));
}

struct ConsumeOutcome {
  long long received = 0;
  LatencySummary from_send_time;
  LatencySummary from_create_time;
  double seconds = 0;
};

void consume(rd_kafka_t* consumer, const Options& options, const std::atomic<bool>& producing,
             ConsumeOutcome* outcome) {
  LatencySummary window;
  long long window_records = 0;
  // Windows and the rate start at the first record, not at the warm-up before producing.
  auto first_received = Clock::now();
  auto window_start = first_received;
  auto last_received = first_received;
  while (outcome->received < options.num_records) {
    if (!producing && milliseconds_between(last_received, Clock::now()) > options.timeout_ms) break;
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    const auto now = Clock::now();
    if (message) {
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR && message->len >= sizeof(int64_t)) {
        const int64_t now_us = wall_clock_microseconds();
        int64_t sent_us = 0;
        std::memcpy(&sent_us, message->payload, sizeof sent_us);
        const double latency_ms = static_cast<double>(now_us - sent_us) / 1000.0;
        rd_kafka_timestamp_type_t type;
        const int64_t create_time_ms = rd_kafka_message_timestamp(message, &type);
        outcome->from_send_time.add(latency_ms);
        outcome->from_create_time.add(static_cast<double>(now_us) / 1000.0 -
                                      static_cast<double>(create_time_ms));
        if (outcome->received == 0) first_received = window_start = now;
        window.add(latency_ms);
        ++window_records;
        ++outcome->received;
        last_received = now;
      } else if (message->err && message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        std::fprintf(stderr, "consume error: %s\n", rd_kafka_message_errstr(message));
      }
      rd_kafka_message_destroy(message);
    }
    const double window_ms = milliseconds_between(window_start, now);
    // Once producing is done, empty windows (waiting for stragglers) are not printed.
    if (outcome->received > 0 && window_ms >= options.reporting_interval_ms &&
        (producing || window_records > 0)) {
      print_summary("", window_records, window_ms / 1000.0, window, false);
      window = LatencySummary{};
      window_records = 0;
      window_start = now;
    }
  }
  outcome->seconds = milliseconds_between(first_received, last_received) / 1000.0;
}

void produce(rd_kafka_t* producer, const Options& options) {
  std::string value(static_cast<std::size_t>(options.record_size), 'x');
  const auto start = Clock::now();
  for (long long i = 0; i < options.num_records; ++i) {
    const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(i / options.throughput));
    while (Clock::now() < due) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now());
      if (wait.count() >= 1)
        rd_kafka_poll(producer, static_cast<int>(wait.count()));
      else
        std::this_thread::sleep_until(due);
    }
    const int64_t sent_us = wall_clock_microseconds();
    std::memcpy(value.data(), &sent_us, sizeof sent_us);
    while (true) {
      const auto error = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(options.topic.c_str()),
                                           RD_KAFKA_V_VALUE(value.data(), value.size()),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_TIMESTAMP(sent_us / 1000), RD_KAFKA_V_END);
      if (error == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        throw std::runtime_error(std::string("produce failed: ") + rd_kafka_err2str(error));
      rd_kafka_poll(producer, 1);
    }
    rd_kafka_poll(producer, 0);
  }
  rd_kafka_flush(producer, options.timeout_ms);
}

int run(const Options& options) {
  rd_kafka_t* producer = client_with_overrides(
      RD_KAFKA_PRODUCER,
      {{"bootstrap.servers", options.bootstrap_server}, {"linger.ms", "0"}, {"acks", "all"}},
      options.producer_props, nullptr, on_delivery);
  rd_kafka_t* consumer = client_with_overrides(RD_KAFKA_CONSUMER,
                                               {{"bootstrap.servers", options.bootstrap_server},
                                                {"group.id", "e2e-latency"},
                                                {"enable.auto.commit", "false"}},
                                               options.consumer_props, nullptr, nullptr);
  rd_kafka_poll_set_consumer(consumer);
  assign_at_end(consumer, options.topic, partition_count(producer, options.topic));

  std::atomic<bool> producing{true};
  ConsumeOutcome outcome;
  std::thread consumer_thread(consume, consumer, std::cref(options), std::cref(producing),
                              &outcome);
  // Let the consumer reach the broker and start its first fetch, so the first records do
  // not carry its connection set-up.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  try {
    produce(producer, options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
  }
  producing = false;
  consumer_thread.join();

  print_summary("", outcome.received, outcome.seconds, outcome.from_send_time, true);
  print_summary("CreateTime: ", outcome.received, outcome.seconds, outcome.from_create_time, true);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_destroy(producer);
  if (outcome.received != options.num_records || delivery_failures > 0) {
    std::fprintf(stderr, "sent %lld records, received %lld, %lld failed deliveries\n",
                 options.num_records, outcome.received, delivery_failures.load());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"End-to-end latency at a fixed produce rate, on librdkafka"};
  Options options;
  app.add_option("--bootstrap-server", options.bootstrap_server, "the server(s) to connect to")
      ->required();
  app.add_option("--topic", options.topic, "the topic to produce to and consume from")->required();
  app.add_option("--num-records", options.num_records, "records to produce")
      ->required()
      ->check(CLI::PositiveNumber);
  app.add_option("--throughput", options.throughput, "records per second to produce")
      ->required()
      ->check(CLI::PositiveNumber);
  app.add_option("--record-size", options.record_size, "value size in bytes (at least 8)")
      ->capture_default_str()
      ->check(CLI::Range(8, 100 << 20));
  app.add_option("--producer-props", options.producer_props, "producer properties, key=value ...")
      ->expected(1, -1);
  app.add_option("--consumer-props", options.consumer_props, "consumer properties, key=value ...")
      ->expected(1, -1);
  app.add_option("--reporting-interval", options.reporting_interval_ms,
                 "milliseconds between progress lines")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--timeout", options.timeout_ms,
                 "milliseconds to wait for the last records once producing is done")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  try {
    return run(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
}
