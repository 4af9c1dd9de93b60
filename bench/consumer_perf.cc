// weir-consumer-perf: Kafka's kafka-consumer-perf-test on librdkafka's group consumer,
// with its flags and its output columns:
//
//   weir-consumer-perf --bootstrap-server HOST:PORT --topic T --messages N [--group G]
//                      [--fetch-size BYTES] [--timeout MS] [--from-latest]
//                      [--show-detailed-stats] [--reporting-interval MS]
//                      [--consumer.config FILE] [--hide-header] [--print-metrics]
//
// As in Kafka's tool, rebalance.time.ms is the time from subscribing until partitions are
// assigned, and fetch.* leave it out; with --show-detailed-stats a row is printed every
// reporting interval instead of the one summary row.
#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <random>
#include <stdexcept>
#include <string>

#include "bench/client/client_config.h"
#include "bench/client/latency_record.h"

namespace {

using weir::bench::Clock;
using weir::bench::milliseconds_between;

struct Options {
  std::string bootstrap_server;
  std::string topic;
  long long messages = 0;
  std::string group;
  int fetch_size = 1024 * 1024;
  long long timeout_ms = 10000;
  bool from_latest = false;
  bool show_detailed_stats = false;
  long long reporting_interval_ms = 5000;
  std::string consumer_config;
  bool hide_header = false;
  bool print_metrics = false;
};

struct GroupState {
  Clock::time_point join_start = Clock::now();
  double join_time_ms = 0;                  // all rebalances so far
  double join_time_ms_in_single_round = 0;  // the latest one
  std::string last_statistics;
};

// Kafka's rebalance listener: the time until onPartitionsAssigned counts as rebalance time.
void on_rebalance(rd_kafka_t* consumer, rd_kafka_resp_err_t error,
                  rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* state = static_cast<GroupState*>(opaque);
  const bool cooperative = std::string(rd_kafka_rebalance_protocol(consumer)) == "COOPERATIVE";
  if (error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    const auto now = Clock::now();
    state->join_time_ms_in_single_round = milliseconds_between(state->join_start, now);
    state->join_time_ms += state->join_time_ms_in_single_round;
    if (cooperative)
      rd_kafka_error_destroy(rd_kafka_incremental_assign(consumer, partitions));
    else
      rd_kafka_assign(consumer, partitions);
  } else {
    state->join_start = Clock::now();
    if (cooperative)
      rd_kafka_error_destroy(rd_kafka_incremental_unassign(consumer, partitions));
    else
      rd_kafka_assign(consumer, nullptr);
  }
}

int on_statistics(rd_kafka_t*, char* json, size_t json_length, void* opaque) {
  static_cast<GroupState*>(opaque)->last_statistics.assign(json, json_length);
  return 0;
}

// Kafka's default --date-format, yyyy-MM-dd HH:mm:ss:SSS, in local time.
std::string format_time(std::chrono::system_clock::time_point when) {
  const auto since_epoch = when.time_since_epoch();
  const std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  char with_millis[80];
  std::snprintf(with_millis, sizeof with_millis, "%s:%03lld", text, static_cast<long long>(millis));
  return with_millis;
}

rd_kafka_t* create_consumer(const Options& options, GroupState* state) {
  weir::bench::ClientProperties properties;
  if (!options.consumer_config.empty())
    properties = weir::bench::read_properties_file(options.consumer_config);
  // After the file's settings, so the flags win as in Kafka's tool.
  properties.emplace_back("bootstrap.servers", options.bootstrap_server);
  properties.emplace_back("group.id", options.group);
  properties.emplace_back("auto.offset.reset", options.from_latest ? "latest" : "earliest");
  properties.emplace_back("max.partition.fetch.bytes", std::to_string(options.fetch_size));
  if (options.print_metrics && !weir::bench::has_property(properties, "statistics.interval.ms"))
    properties.emplace_back("statistics.interval.ms", "1000");
  rd_kafka_t* consumer =
      weir::bench::create_client(RD_KAFKA_CONSUMER, properties, [&](rd_kafka_conf_t* conf) {
        rd_kafka_conf_set_opaque(conf, state);
        rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
        if (options.print_metrics) rd_kafka_conf_set_stats_cb(conf, on_statistics);
      });
  rd_kafka_poll_set_consumer(consumer);
  return consumer;
}

struct Progress {
  long long messages = 0;
  unsigned long long bytes = 0;
};

constexpr double kMegabyte = 1024.0 * 1024.0;

void print_detailed_row(const Progress& now_read, const Progress& last_read,
                        Clock::time_point last_report, Clock::time_point now,
                        const GroupState& state) {
  const double elapsed_ms = std::max(1e-3, milliseconds_between(last_report, now));
  const double megabytes = static_cast<double>(now_read.bytes) / kMegabyte;
  const double interval_megabytes =
      static_cast<double>(now_read.bytes - last_read.bytes) / kMegabyte;
  const double interval_messages = static_cast<double>(now_read.messages - last_read.messages);
  const double fetch_ms = std::max(1e-3, elapsed_ms - state.join_time_ms_in_single_round);
  std::printf("%s, %d, %.4f, %.4f, %lld, %.4f, %.0f, %.0f, %.4f, %.4f\n",
              format_time(std::chrono::system_clock::now()).c_str(), 0, megabytes,
              1000.0 * interval_megabytes / elapsed_ms, now_read.messages,
              1000.0 * interval_messages / elapsed_ms, state.join_time_ms_in_single_round, fetch_ms,
              1000.0 * interval_megabytes / fetch_ms, 1000.0 * interval_messages / fetch_ms);
  std::fflush(stdout);
}

int run(const Options& options) {
  GroupState state;
  rd_kafka_t* consumer = create_consumer(options, &state);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, options.topic.c_str(), RD_KAFKA_PARTITION_UA);

  if (!options.hide_header) {
    if (options.show_detailed_stats)
      std::printf(
          "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
          "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n");
    else
      std::printf(
          "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, "
          "nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n");
    std::fflush(stdout);
  }
  const auto start_wall = std::chrono::system_clock::now();
  const auto start = Clock::now();
  state.join_start = start;
  if (const auto error = rd_kafka_subscribe(consumer, topics)) {
    std::fprintf(stderr, "subscribe failed: %s\n", rd_kafka_err2str(error));
    rd_kafka_topic_partition_list_destroy(topics);
    rd_kafka_destroy(consumer);
    return 1;
  }
  rd_kafka_topic_partition_list_destroy(topics);

  Progress read;
  Progress last_reported;
  auto last_consumed = Clock::now();
  auto last_report = last_consumed;
  int failures = 0;
  while (read.messages < options.messages &&
         milliseconds_between(last_consumed, Clock::now()) <= options.timeout_ms) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    if (!message) continue;
    if (message->err) {
      if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && failures++ < 10)
        std::fprintf(stderr, "consume error: %s\n", rd_kafka_message_errstr(message));
      rd_kafka_message_destroy(message);
      continue;
    }
    ++read.messages;
    read.bytes += message->len + message->key_len;
    rd_kafka_message_destroy(message);
    last_consumed = Clock::now();
    if (options.show_detailed_stats &&
        milliseconds_between(last_report, last_consumed) >= options.reporting_interval_ms) {
      print_detailed_row(read, last_reported, last_report, last_consumed, state);
      state.join_time_ms_in_single_round = 0;
      last_report = last_consumed;
      last_reported = read;
    }
  }
  const auto end = Clock::now();
  const auto end_wall = std::chrono::system_clock::now();
  if (read.messages < options.messages)
    std::fprintf(stderr,
                 "WARNING: Exiting before consuming the expected number of messages: timeout "
                 "(%lld ms) exceeded. You can use the --timeout option to increase the timeout.\n",
                 options.timeout_ms);

  if (!options.show_detailed_stats) {
    const double elapsed_ms = std::max(1e-3, milliseconds_between(start, end));
    const double megabytes = static_cast<double>(read.bytes) / kMegabyte;
    const double fetch_ms = std::max(1e-3, elapsed_ms - state.join_time_ms);
    std::printf(
        "%s, %s, %.4f, %.4f, %lld, %.4f, %.0f, %.0f, %.4f, %.4f\n", format_time(start_wall).c_str(),
        format_time(end_wall).c_str(), megabytes, 1000.0 * megabytes / elapsed_ms, read.messages,
        1000.0 * static_cast<double>(read.messages) / elapsed_ms, state.join_time_ms, fetch_ms,
        1000.0 * megabytes / fetch_ms, 1000.0 * static_cast<double>(read.messages) / fetch_ms);
  }
  if (options.print_metrics)
    std::printf("librdkafka statistics (the last emitted):\n%s\n", state.last_statistics.c_str());
  std::fflush(stdout);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  return read.messages >= options.messages ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "This tool is used to verify the consumer performance (kafka-consumer-perf-test "
      "on librdkafka)."};
  Options options;
  std::mt19937 random(std::random_device{}());
  options.group = "perf-consumer-" + std::to_string(random() % 100000);
  app.add_option("--bootstrap-server,--broker-list", options.bootstrap_server,
                 "the server(s) to connect to")
      ->required();
  app.add_option("--topic", options.topic, "the topic to consume from")->required();
  app.add_option("--messages", options.messages, "the number of messages to consume")
      ->required()
      ->check(CLI::PositiveNumber);
  app.add_option("--group", options.group, "the group id to consume on")->capture_default_str();
  app.add_option("--fetch-size", options.fetch_size,
                 "the amount of data to fetch in a single request (max.partition.fetch.bytes)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--timeout", options.timeout_ms,
                 "the maximum allowed time in milliseconds between returned records")
      ->capture_default_str();
  app.add_flag("--from-latest", options.from_latest,
               "start from the latest offset when the group has no committed offset");
  app.add_flag("--show-detailed-stats", options.show_detailed_stats,
               "report stats every --reporting-interval");
  app.add_option("--reporting-interval", options.reporting_interval_ms,
                 "interval in milliseconds at which to print progress info")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--consumer.config", options.consumer_config, "consumer config properties file");
  app.add_flag("--hide-header", options.hide_header, "skip printing the header for the stats");
  app.add_flag("--print-metrics", options.print_metrics, "print librdkafka's statistics");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
}
